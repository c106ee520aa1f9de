/**
 * A store outage during a pipeline run is a run error, never a verdict: the run fails in
 * the node that reached the store, naming it, with no halted record
 * (`refs/mlops/rejected/*`), no version, production and the reservations unchanged; a store
 * that accepts and never answers fails the run within seconds; and resuming the same run
 * once the store answers completes it. The batch lives only in s3rver, reached through a
 * gate on 127.0.0.1 with small timeouts.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Store, createS3Client, openStore } from "../../lib/storage/index.ts";
import { type Snapshot, usePipelineWorld } from "../helpers/faults-pipeline.ts";
import {
  type RunningS3rver,
  type StoreGate,
  startS3rver,
  startStoreGate,
} from "../helpers/s3rver.ts";

const w = usePipelineWorld();
let s3: RunningS3rver;
let gate: StoreGate;
let client: S3Client;

beforeAll(async () => {
  s3 = await startS3rver({ buckets: ["incoming"] });
  gate = await startStoreGate({ port: s3.port }, "forward");
  client = createS3Client(s3.settings);
  const store = new S3Store("s3://incoming", client);
  for (const [name, seed] of [
    ["farm-s", 31],
    ["farm-t", 32],
  ] as const) {
    const local = await w.batch(name, seed, 3);
    for (const img of local.images)
      await store.put(img.key, await readFile(join(w.scratch.bucket, img.key)));
    await w.scratch.commitManifest(
      `data-manifests/${name}.json`,
      { ...local, base_uri: "s3://incoming" },
      `Add ${name} from S3`,
    );
  }
}, 120_000);
afterAll(async () => {
  client?.destroy();
  await gate?.stop();
  await s3?.stop();
});

/** The real opener, reaching s3rver through the gate with two short attempts. */
const services = {
  openStore: (uri: string) =>
    openStore(uri, {
      ...s3.settings,
      endpoint: gate.endpoint,
      connectTimeoutMs: 300,
      requestTimeoutMs: 300,
      maxAttempts: 2,
    }),
};
const omitReserved = ({ reserved: _reserved, ...rest }: Snapshot) => rest;
const RETRY =
  "\\. The store could not be used, which says nothing about the data: .*then retry\\nNothing was promoted\\. After fixing the cause, resume with: npm run pipeline -- --repo .* --resume ";

interface OutageCase {
  name: string;
  runId: string;
  manifest: string;
  mode: "reset" | "hang";
  /** The node the outage stops; a run paused before it first when it is not validate_data. */
  node: "validate_data" | "run_training_job";
  cause: string;
  withinMs: number;
}

const CASES: OutageCase[] = [
  {
    name: "a store that resets every connection during validate_data",
    runId: "outage-validate",
    manifest: "data-manifests/farm-s.json",
    mode: "reset",
    node: "validate_data",
    cause:
      "GetObject s3://incoming/farm-s/\\S+ failed: the connection was reset: .*\\(after 2 attempts\\)",
    withinMs: 20_000,
  },
  {
    name: "a store that accepts and never answers while run_training_job reads the images",
    runId: "outage-train",
    manifest: "data-manifests/farm-t.json",
    mode: "hang",
    node: "run_training_job",
    cause:
      "HeadObject s3://incoming/farm-t/\\S+ failed: .*(requestTimeout|timed out).*\\(after 2 attempts\\)",
    withinMs: 20_000,
  },
];

describe("a store outage during a pipeline run", () => {
  it.each(CASES.map((c) => [c.name, c] as const))(
    "%s: a run error, nothing recorded, and the resumed run completes",
    async (_name, c) => {
      const run = { manifest: c.manifest, services };
      if (c.node !== "validate_data") {
        const paused = await w.run({ ...run, runId: c.runId, stopBefore: c.node });
        expect(paused.outcome).toBe("paused");
      }
      const before = await w.snapshot();
      gate.mode = c.mode;
      const started = Date.now();
      const err = await (
        c.node === "validate_data"
          ? w.run({ ...run, runId: c.runId })
          : w.run({ ...run, resume: c.runId })
      ).catch((e: Error) => e);
      gate.mode = "forward";
      expect((err as Error).message).toMatch(
        new RegExp(`^Run ${c.runId} failed in ${c.node}: ${c.cause}${RETRY}${c.runId}$`),
      );
      expect(Date.now() - started).toBeLessThan(c.withinMs);
      const { reserved, ...rest } = await w.snapshot();
      expect(rest).toEqual(omitReserved(before));
      // A number is reserved only once the training data has been read: a store fault
      // before that, in either node, takes none; the resumed run reserves its own.
      const taken = Object.entries(reserved).filter(([v]) => !(v in before.reserved));
      expect(taken).toEqual([]);

      const resumed = await w.run({ ...run, resume: c.runId });
      expect(resumed.halted).toBe(false);
      expect(["proposed", "proposed_for_review"]).toContain(resumed.outcome);
      expect(resumed.state.new_data_path).toBe(c.manifest);
      expect(resumed.state.quality_score).toBe(10);
      const after = await w.snapshot();
      expect(after.rejected).toEqual([]);
      expect(after.pointer).toBe(before.pointer);
      expect(after.reserved[resumed.state.model_version!]).toBe(c.runId);
    },
    120_000,
  );
});
