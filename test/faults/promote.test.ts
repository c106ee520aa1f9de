/**
 * Faults of promotion on merge, over real servers (the GitHub stand-in and s3rver), with v1
 * in production: a pointer whose artifact has duplicate or folder-part names, bytes that do
 * not hash to the registry's record, a file missing from the store, outside it or climbing
 * out of it, a pointer that repeats a key or is not JSON. Each is refused and production is
 * unchanged: nothing written to the serving location, v1 still served, no tag or release.
 * A same-size tampered served file is repaired from the verified artifact. Through the
 * promote use case, a tampered artifact alerts a person, and no token is a clear error.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { promote } from "../../app/promote.ts";
import { parseConfig } from "../../lib/config.ts";
import { PromotionVerificationError } from "../../lib/github/promote.ts";
import type { ModelArtifact } from "../../lib/registry.ts";
import { FileStore, sha256 } from "../../lib/storage/index.ts";
import { commitOnMain, publishTo, sameSizeForgery } from "../helpers/faults-promote.ts";
import {
  MODEL,
  POINTER,
  SERVING_KEY,
  pointerOf,
  tflite,
  usePromoteWorld,
} from "../helpers/promote-world.ts";

const w = usePromoteWorld();
let merge1: string;
let tmp: string;
beforeAll(async () => {
  merge1 = await w.proposeAndMerge("v1", await w.publish("v1"));
  await w.promoteAt(merge1);
  tmp = await mkdtemp(join(tmpdir(), "mlops-faults-promote-"));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const keyOf = (uri: string, base: string) => uri.slice(base.length + 1);
const withFile = (a: ModelArtifact, file: Partial<ModelArtifact["files"][number]>) => ({
  ...a,
  files: [...a.files, { ...a.files.find((f) => f.name.endsWith(".tflite"))!, ...file }],
});

interface Refusal {
  name: string;
  /** Publishes `version` and merges (or commits) the pointer to refuse; returns the commit. */
  merge: (version: string) => Promise<string>;
  error: RegExp;
  /** A verification failure (alerting a person), rather than a pointer refused as unreadable. */
  verification?: true;
}

const REFUSALS: Refusal[] = [
  {
    name: "duplicate artifact base names",
    merge: async (v) => w.proposeAndMerge(v, withFile(await w.publish(v), { name: "weights.bin" })),
    error:
      /^models\/mango-ripeness\/production\.json at [0-9a-f]{40} does not match the production pointer schema: artifact\.files: "weights\.bin": file 3 has the same base name as file 2 \("weights\.bin"\) \(fix: republish the artifact/,
  },
  {
    name: "a file named ../x.tflite",
    merge: async (v) => w.proposeAndMerge(v, withFile(await w.publish(v), { name: "../x.tflite" })),
    error: /artifact\.files: "\.\.\/x\.tflite": file 3's name has a folder part \('\/' or '\\'\)/,
  },
  {
    name: "artifact bytes that do not hash to the registry's sha256 (same size)",
    verification: true,
    merge: async (v) => {
      const a = await w.publish(v);
      const file = a.files.find((f) => f.name.endsWith(".tflite"))!;
      await w.artifacts.put(keyOf(file.uri, w.artifacts.baseUri), sameSizeForgery(tflite(v)));
      return w.proposeAndMerge(v, a);
    },
    error:
      /^promotion of v\d+ refused, serving location unchanged: mango_model_v\d+\.tflite \(s3:\/\/artifacts\/models\/\S+\): sha256 [0-9a-f]{64}, the registry says [0-9a-f]{64} \(fix: republish the artifact from its training run, or revert the pointer\)$/,
  },
  {
    name: "an artifact file missing from the store",
    verification: true,
    merge: async (v) => {
      const a = await w.publish(v);
      const files = a.files.map((f) =>
        f.name === "weights.bin"
          ? { ...f, uri: `${w.artifacts.baseUri}/${MODEL}/gone/weights.bin` }
          : f,
      );
      return w.proposeAndMerge(v, { ...a, files });
    },
    error:
      /: weights\.bin \(s3:\/\/artifacts\/models\/mango-ripeness\/gone\/weights\.bin\): missing from the artifact store \(fix:/,
  },
  {
    name: "an artifact file outside the artifact store",
    verification: true,
    merge: async (v) => {
      const a = await w.publish(v);
      const files = a.files.map((f) =>
        f.name === "weights.bin" ? { ...f, uri: "s3://serving/app/weights.bin" } : f,
      );
      return w.proposeAndMerge(v, { ...a, files });
    },
    error:
      /: weights\.bin \(s3:\/\/serving\/app\/weights\.bin\): not under the artifact store s3:\/\/artifacts\/models \(fix:/,
  },
  {
    name: "an artifact file URI that climbs out of the store with ..",
    verification: true,
    merge: async (v) => {
      const a = await w.publish(v);
      const uri = `${w.artifacts.baseUri}/../../serving/app/weights.bin`;
      const files = a.files.map((f) => (f.name === "weights.bin" ? { ...f, uri } : f));
      return w.proposeAndMerge(v, { ...a, files });
    },
    error:
      /: weights\.bin \(s3:\/\/artifacts\/models\/\.\.\/\.\.\/serving\/app\/weights\.bin\): invalid object key "\.\.\/\.\.\/serving\/app\/weights\.bin": has an empty, '\.' or '\.\.' segment/,
  },
  {
    name: "a production pointer that repeats a key (version twice)",
    merge: async (v) => {
      const text = JSON.stringify(pointerOf(v, await w.publish(v)), null, 2);
      return commitOnMain(
        w.client,
        POINTER,
        text.replace('"version"', `"version": "v1",\n  "version"`),
      );
    },
    error:
      /^models\/mango-ripeness\/production\.json at [0-9a-f]{40}: \$\.version: repeats the key "version" \(line 4; first at line 3\): JSON keeps only the last value, so a reviewer reading the first one sees something else than the promote step serves \(fix: keep one "version" in that object and delete the other\)$/,
  },
  {
    name: "a production pointer that is not JSON",
    merge: async () => commitOnMain(w.client, POINTER, '{"model": "mango-ripeness",'),
    error:
      /^models\/mango-ripeness\/production\.json at [0-9a-f]{40} is not valid JSON \(fix: revert the commit that broke it\)$/,
  },
];

describe("promotion refusals leave production unchanged", () => {
  it.each(REFUSALS.map((c, i) => [c.name, c, `v${i + 3}`] as const))(
    "%s is refused",
    async (_name, c, version) => {
      const commit = await c.merge(version);
      const puts = w.servingPuts.length;
      const err = await w.promoteAt(commit).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(c.error);
      if (c.verification) expect(err).toBeInstanceOf(PromotionVerificationError);
      expect(w.servingPuts.length).toBe(puts);
      const served = await w.served();
      expect([served.record.version, served.sha]).toEqual(["v1", sha256(tflite("v1"))]);
      expect(await w.serving.head(`${MODEL}/x.tflite`)).toBeUndefined();
      expect(w.gh.git.refs.has(`refs/tags/${MODEL}-${version}`)).toBe(false);
      expect(w.release(`${MODEL}-${version}`)).toBeUndefined();
    },
    30_000,
  );
});

describe("promotion repairs and the promote use case", () => {
  it("repairs a same-size tampered served file from the verified artifact, and says so", async () => {
    const merge = merge1;
    const forged = sameSizeForgery(tflite("v1"));
    await w.tamper(SERVING_KEY, forged);
    const puts = w.servingPuts.length;
    const out = await w.promoteAt(merge);
    expect(out).toMatchObject({ version: "v1", changed: true, previousVersion: "v1" });
    expect(out.notes).toEqual([
      `repaired s3://serving/app/${SERVING_KEY}: its bytes hash to ${sha256(forged)}, not the recorded ${sha256(tflite("v1"))}; rewritten from the verified artifact of v1`,
    ]);
    expect(w.servingPuts.slice(puts)).toEqual([SERVING_KEY]);
    expect((await w.served()).bytes).toEqual(tflite("v1"));
  }, 30_000);

  it("a tampered artifact through the promote use case alerts a person and serves nothing", async () => {
    const repoDir = join(tmp, "repo");
    const artifacts = join(tmp, "artifacts");
    const serving = join(tmp, "serving");
    const config = parseConfig({ artifacts_uri: pathToFileURL(artifacts).href });
    const a = await publishTo(
      new FileStore(pathToFileURL(artifacts).href),
      join(tmp, "models"),
      "v20",
    );
    const file = a.files.find((f) => f.name.endsWith(".tflite"))!;
    await writeFile(
      join(artifacts, keyOf(file.uri, pathToFileURL(artifacts).href)),
      sameSizeForgery(tflite("v20")),
    );
    const commit = await w.proposeAndMerge("v20", a);
    const env = {
      GITHUB_TOKEN: w.gh.token,
      GITHUB_REPOSITORY: `${w.gh.owner}/${w.gh.repo}`,
      GITHUB_API_URL: w.gh.baseUrl,
      MLOPS_PUBLISH: "github",
    };
    const err = await promote({
      repoDir,
      config,
      servingUri: pathToFileURL(serving).href,
      commit,
      env,
      log: () => {},
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromotionVerificationError);
    expect((err as Error).message).toMatch(
      /^promotion of v20 refused, serving location unchanged: mango_model_v20\.tflite \(file:\/\/\S+\): sha256 [0-9a-f]{64}, the registry says/,
    );
    const alert = await readFile(join(repoDir, ".mlops/promote/alert.md"), "utf8");
    expect(alert).toContain(
      "# Promotion of mango-ripeness failed verification; production is unchanged",
    );
    expect(alert).toMatch(
      /mango_model_v20\.tflite \(file:\/\/\S+\): sha256 [0-9a-f]{64}, the registry says/,
    );
    expect(alert).toContain("mango-ripeness v20");
    expect(existsSync(serving) ? await readdir(serving) : []).toEqual([]);
    expect(w.gh.git.refs.has(`refs/tags/${MODEL}-v20`)).toBe(false);
  }, 30_000);

  it("the promote use case without a GitHub token is a clear error, and serves nothing", async () => {
    const serving = join(tmp, "serving-no-token");
    const config = parseConfig({});
    const err = await promote({
      repoDir: tmp,
      config,
      servingUri: pathToFileURL(serving).href,
      commit: "0".repeat(40),
      env: {},
      log: () => {},
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      "promote needs GitHub: GITHUB_TOKEN and GITHUB_REPOSITORY inside Actions (fix: pass the github_token input, or set MLOPS_PUBLISH=github outside Actions)",
    );
    expect(existsSync(serving)).toBe(false);
  }, 30_000);
});
