/**
 * Store faults through `npm run validate`: a store that refuses connections, resets them,
 * accepts and never answers, answers 503 or bytes that are not HTTP, refuses the
 * credentials, or lacks the bucket is an error (exit 1) naming the operation, the object
 * and the cause, never a verdict: no quality.json, and nothing in the repository changes.
 * Small timeouts and attempts from the config's `s3` section keep every case to seconds;
 * the same command judges the batch once the store answers. Real s3rver and sockets on
 * 127.0.0.1.
 */
import { readFile } from "node:fs/promises";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Store, createS3Client } from "../../lib/storage/index.ts";
import { closedPort } from "../helpers/faults-files.ts";
import { qualityOf, useValidateWorld } from "../helpers/faults-validate.ts";
import {
  type RunningS3rver,
  type StoreGate,
  startS3rver,
  startStoreGate,
} from "../helpers/s3rver.ts";

const w = useValidateWorld();
let s3: RunningS3rver;
let client: S3Client;
const gates: Record<"reset" | "hang" | "forward", StoreGate> = {} as never;
let unavailable: HttpServer;
let garbage: Server;
const held = new Set<Socket>();
let refusing: number;
const CREDENTIALS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };
const listen = async (server: Server | HttpServer) => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  s3 = await startS3rver({ buckets: ["incoming"] });
  client = createS3Client(s3.settings);
  const store = new S3Store("s3://incoming/batch", client);
  for (const img of w.good.images)
    await store.put(img.key, await readFile(join(w.bucket, img.key)));
  for (const mode of ["reset", "hang", "forward"] as const)
    gates[mode] = await startStoreGate({ port: s3.port }, mode);
  unavailable = createHttpServer((_req, res) => res.writeHead(503).end("SlowDown"));
  garbage = createServer((socket) => {
    held.add(socket);
    socket.on("close", () => held.delete(socket));
    socket.on("error", () => {});
    socket.end("this is not HTTP\r\n\r\n");
  });
  refusing = await closedPort();
}, 60_000);
afterAll(async () => {
  client?.destroy();
  await Promise.all(Object.values(gates).map((g) => g.stop()));
  unavailable?.closeAllConnections();
  for (const socket of held) socket.destroy();
  for (const server of [unavailable, garbage])
    if (server?.listening) await new Promise((resolve) => server.close(resolve));
  await s3?.stop();
});

const AFTER = (attempts: number) => ` \\(after ${attempts} attempts\\)`;
const OBJECT = "s3://incoming/batch/b/(verde|maduro)/\\w+\\.jpg";
const RETRY =
  "\\. The store could not be used, which says nothing about the data: check that it is reachable \\(endpoint, bucket, credentials, network\\), then retry$";

interface StoreCase {
  name: string;
  endpoint: () => Promise<string> | string;
  base?: string;
  env?: Record<string, string>;
  /** The cause as the error line names it. */
  cause: string;
  /** At most this long, start-up included. */
  withinMs: number;
}

const CASES: StoreCase[] = [
  {
    name: "a store that refuses connections (a closed port)",
    endpoint: () => `http://127.0.0.1:${refusing}`,
    cause: `connect ECONNREFUSED 127\\.0\\.0\\.1:${"\\d+"}${AFTER(2)}`,
    withinMs: 15_000,
  },
  {
    name: "a store that resets every connection",
    endpoint: () => gates.reset.endpoint,
    cause: `the connection was reset: ((read|write|connect) ECONNRESET[\\d.: ]*|socket hang up|write EPIPE)${AFTER(2)}`,
    withinMs: 15_000,
  },
  {
    name: "a store that accepts and never answers",
    endpoint: () => gates.hang.endpoint,
    cause: `.*(requestTimeout|timed out).*${AFTER(2)}`,
    withinMs: 10_000,
  },
  {
    name: "a store that answers 503 to everything",
    endpoint: () => listen(unavailable),
    cause: `HTTP 503: @aws-sdk XML parse error: unexpected content${AFTER(2)}`,
    withinMs: 15_000,
  },
  {
    name: "a store that answers bytes that are not HTTP",
    endpoint: () => listen(garbage),
    cause: `.*(Parse Error|HPE_|Expected HTTP).*`,
    withinMs: 15_000,
  },
  {
    name: "wrong credentials on a real s3rver",
    endpoint: () => s3.endpoint,
    env: { AWS_ACCESS_KEY_ID: "WRONG", AWS_SECRET_ACCESS_KEY: "WRONG" },
    cause: "HTTP 403: The AWS Access Key Id you provided does not exist in our records",
    withinMs: 15_000,
  },
  {
    name: "a missing bucket",
    endpoint: () => s3.endpoint,
    base: "s3://no-such-bucket/batch",
    cause: "HTTP 404: The specified bucket does not exist",
    withinMs: 15_000,
  },
];

/** A config reaching `endpoint` with small timeouts and two attempts, and its own cache. */
function storeConfig(name: string, endpoint: string) {
  return w.configFile(`s3-${name}`, {
    paths: { cache: join(w.dir, `cache-${name}`) },
    s3: {
      endpoint,
      force_path_style: true,
      connect_timeout_ms: 300,
      request_timeout_ms: 300,
      max_attempts: 2,
    },
  });
}

describe("store faults through npm run validate", () => {
  it.each(CASES.map((c) => [c.name, c] as const))(
    "%s: exit 1 naming the store, no verdict, within seconds",
    async (name, c) => {
      const before = await w.repoState();
      const slug = name.replace(/\W+/g, "-");
      const base = c.base ?? "s3://incoming/batch";
      const manifest = await w.manifest(slug, { ...w.good, base_uri: base });
      const config = await storeConfig(slug, await c.endpoint());
      const out = w.out(slug);
      const run = await w.validate(manifest, out, { config, env: c.env ?? CREDENTIALS });

      expect(run.code, run.out).toBe(1);
      const object = OBJECT.replace("s3://incoming/batch", base.replace(/[/.]/g, "\\$&"));
      expect(run.out).toMatch(
        new RegExp(`^error: GetObject ${object} failed: ${c.cause}${RETRY}`, "m"),
      );
      expect(run.out).not.toMatch(/quality_score|FAIL|PASS/);
      expect(await qualityOf(out)).toBeUndefined();
      expect(run.ms).toBeLessThan(c.withinMs);
      expect(await w.repoState()).toBe(before);
    },
    30_000,
  );

  it("judges the batch with the same command once the store answers again", async () => {
    const manifest = await w.manifest("s3-back", { ...w.good, base_uri: "s3://incoming/batch" });
    const config = await storeConfig("back", gates.forward.endpoint);
    const out = w.out("s3-back");
    gates.forward.mode = "reset";
    const down = await w.validate(manifest, out, { config, env: CREDENTIALS });
    expect(down.code, down.out).toBe(1);
    expect(await qualityOf(out)).toBeUndefined();

    gates.forward.mode = "forward";
    const back = await w.validate(manifest, out, { config, env: CREDENTIALS });
    expect(back.code, back.out).toBe(0);
    expect(back.out).toContain("quality_score 10.0/10 (threshold 7): PASS; 0 of 4 images refused");
    expect(await qualityOf(out)).toMatchObject({ passed: true, quality_score: 10 });
  }, 40_000);

  it("a fault of the store holding the evaluation set is an error too, not a smaller comparison", async () => {
    const batch = await w.manifest("local-batch", w.good);
    const evaluation = await w.manifest("s3-eval", {
      ...w.good,
      dataset_id: "eval",
      kind: "evaluation",
      base_uri: "s3://incoming/batch",
      images: w.good.images.map((i) => ({ ...i, split: "eval" })),
    });
    const config = await storeConfig("eval", gates.reset.endpoint);
    const out = w.out("s3-eval");
    const args = ["--eval", evaluation];
    const run = await w.validate(batch, out, { config, env: CREDENTIALS, args });
    expect(run.code, run.out).toBe(1);
    expect(run.out).toMatch(
      new RegExp(`^error: .*${OBJECT} failed: the connection was reset: .*${RETRY}`, "m"),
    );
    expect(await qualityOf(out)).toBeUndefined();
  }, 30_000);
});
