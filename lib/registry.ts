/**
 * The model registry, kept in git under `models/<model>/`:
 *   production.json          the production pointer (which version the app serves)
 *   vN/metrics.json          the candidate's evaluation metrics
 *   vN/artifact.json         where the model files are and their sha256
 *   vN/lineage.json          the manifests it learned from and the evaluation set
 *   vN/model-card.md         the human summary
 *   vN/training-curves.png   the pictures a reviewer sees in the pull request and the card:
 *   vN/confusion-matrix.png  loss and accuracy per epoch, the evaluation set's confusions,
 *   vN/contact-sheet.png     and the batch's flagged images (when the data gate drew them)
 * A version exists once its promotion commit is merged; a pending proposal lives on the
 * branch `mlops/<model>-vN`. Rollback is a revert of the pointer commit.
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { git, listBranches, showFile } from "./git.ts";
import { duplicateKeys, jsonPathOf } from "./json-keys.ts";
import { reservations, reserveVersion } from "./version-reservation.ts";
import { artifactNameProblems } from "./artifact-names.ts";

const REPUBLISH = "fix: republish the artifact from its training run with plain, unique file names";

/** One file of a model artifact, content-addressed in the artifact store. */
export const ArtifactFileSchema = z.object({
  /** A plain file name, unique within the artifact (see artifactNameProblems). */
  name: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  uri: z.string(),
});

/** `vN/artifact.json`: the model's files, each with its sha256 and location. */
export const ArtifactSchema = z
  .object({
    /** "tflite+tfjs-layers": the .tflite the app runs (first file) plus the TF.js model it was exported from. */
    format: z.enum(["tfjs-layers", "tflite+tfjs-layers"]),
    input_size: z.number().int(),
    labels: z.array(z.string()),
    files: z.array(ArtifactFileSchema).min(1),
  })
  .superRefine((artifact, ctx) => {
    for (const p of artifactNameProblems(artifact.files))
      ctx.addIssue({
        code: "custom",
        path: ["files"],
        message: `${JSON.stringify(p.name)}: ${p.problem} (${REPUBLISH})`,
      });
  });
export type ModelArtifact = z.infer<typeof ArtifactSchema>;

/** `vN/lineage.json`: exactly which data a version saw and was judged on. */
export const LineageSchema = z.object({
  manifests: z.array(
    z.object({
      path: z.string(),
      sha256: z.string(),
      dataset_id: z.string(),
      images: z.number().int(),
    }),
  ),
  eval_manifest: z.object({ path: z.string(), sha256: z.string(), images: z.number().int() }),
  run_id: z.string(),
});
export type Lineage = z.infer<typeof LineageSchema>;

/** `production.json`: the version the app is served. */
export const ProductionPointerSchema = z.object({
  model: z.string(),
  version: z.string().regex(/^v\d+$/),
  artifact: ArtifactSchema,
  decided: z.enum(["APPROVE", "HUMAN_REVIEW"]),
  reason: z.string(),
  proposed_at: z.string(),
});
export type ProductionPointer = z.infer<typeof ProductionPointerSchema>;

/** Paths of a model's registry entries, relative to the repository root. */
export function registryPaths(registryDir: string, model: string) {
  const root = `${registryDir}/${model}`;
  return {
    root,
    production: `${root}/production.json`,
    version: (v: string) => ({
      dir: `${root}/${v}`,
      metrics: `${root}/${v}/metrics.json`,
      artifact: `${root}/${v}/artifact.json`,
      lineage: `${root}/${v}/lineage.json`,
      card: `${root}/${v}/model-card.md`,
      plots: {
        curves: `${root}/${v}/training-curves.png`,
        confusion: `${root}/${v}/confusion-matrix.png`,
        contactSheet: `${root}/${v}/contact-sheet.png`,
      },
    }),
  };
}

/** Branch name of the promotion proposal for a version. */
export function promotionBranch(model: string, version: string): string {
  return `mlops/${model}-${version}`;
}

const versionNumber = (v: string) => Number(v.slice(1));

/** Parses a registry file, with an error naming it and the fix when it is corrupt. */
function parseRegistryFile<T>(schema: z.ZodType<T>, text: string, where: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new Error(
      `registry file ${where} is not valid JSON (fix: restore it with git checkout or git revert)`,
      { cause },
    );
  }
  // A repeated key: JSON keeps the last value, so what a reviewer read is not what is used.
  const repeated = duplicateKeys(text)[0];
  if (repeated)
    throw new Error(
      `registry file ${where}: ${jsonPathOf(repeated.path)}: repeats the key "${repeated.key}" (line ${repeated.line}; first at line ${repeated.firstLine}): JSON keeps only the last value, so a reviewer reading the first one sees something else than the pipeline uses (fix: keep one "${repeated.key}" in that object and delete the other)`,
    );
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `registry file ${where} does not match its schema: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")} (fix: restore it from git history)`,
    );
  }
  return parsed.data;
}

/** Reads the registry of one model in a repository working tree. */
export class Registry {
  readonly paths: ReturnType<typeof registryPaths>;
  constructor(
    readonly repoDir: string,
    readonly registryDir: string,
    readonly model: string,
  ) {
    this.paths = registryPaths(registryDir, model);
  }

  /** Versions merged into the registry, oldest first. */
  async versions(): Promise<string[]> {
    const dir = join(this.repoDir, this.paths.root);
    if (!existsSync(dir)) return [];
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && /^v\d+$/.test(e.name))
      .map((e) => e.name)
      .sort((a, b) => versionNumber(a) - versionNumber(b));
  }

  /** Versions proposed on promotion branches but not merged. */
  async pendingVersions(): Promise<string[]> {
    const branches = await listBranches(this.repoDir, `mlops/${this.model}-v*`);
    const merged = new Set(await this.versions());
    return branches
      .map((b) => b.slice(`mlops/${this.model}-`.length))
      .filter((v) => /^v\d+$/.test(v) && !merged.has(v));
  }

  /** The next free version: one past every merged, pending or reserved one. */
  async nextVersion(): Promise<string> {
    const all = [
      ...(await this.versions()),
      ...(await this.pendingVersions()),
      ...(await reservations(this.repoDir, this.model)).keys(),
    ];
    const max = all.reduce((m, v) => Math.max(m, versionNumber(v)), 0);
    return `v${max + 1}`;
  }

  /**
   * The version `runId` trains, reserved atomically so two runs at once never get the
   * same number (lib/version-reservation.ts); a resumed run gets its own back.
   */
  async reserveVersion(runId: string): Promise<string> {
    return reserveVersion(this.repoDir, this.model, runId, () => this.nextVersion());
  }

  /** The production pointer, or undefined before the first promotion. */
  async production(): Promise<ProductionPointer | undefined> {
    const file = join(this.repoDir, this.paths.production);
    if (!existsSync(file)) return undefined;
    return parseRegistryFile(
      ProductionPointerSchema,
      await readFile(file, "utf8"),
      this.paths.production,
    );
  }

  /** A merged version's metrics.json as stored. */
  async metrics(version: string): Promise<Record<string, unknown>> {
    const path = this.paths.version(version).metrics;
    return JSON.parse(await readFile(join(this.repoDir, path), "utf8")) as Record<string, unknown>;
  }

  /** A merged version's lineage. */
  async lineage(version: string): Promise<Lineage | undefined> {
    const path = this.paths.version(version).lineage;
    const file = join(this.repoDir, path);
    if (!existsSync(file)) return undefined;
    return parseRegistryFile(LineageSchema, await readFile(file, "utf8"), path);
  }

  /**
   * Manifests (path -> sha256) already trained on: those in a merged version's lineage,
   * plus those on pending promotion branches (in review; training them again would only
   * duplicate the proposal).
   */
  async trainedManifests(): Promise<
    Map<string, { sha256: string; version: string; pending: boolean }>
  > {
    const seen = new Map<string, { sha256: string; version: string; pending: boolean }>();
    for (const version of await this.versions()) {
      for (const m of (await this.lineage(version))?.manifests ?? [])
        seen.set(`${m.path}@${m.sha256}`, { sha256: m.sha256, version, pending: false });
    }
    for (const version of await this.pendingVersions()) {
      const path = this.paths.version(version).lineage;
      const text = await showFile(this.repoDir, promotionBranch(this.model, version), path);
      if (!text) continue;
      for (const m of parseRegistryFile(
        LineageSchema,
        text,
        `${promotionBranch(this.model, version)}:${path}`,
      ).manifests) {
        seen.set(`${m.path}@${m.sha256}`, { sha256: m.sha256, version, pending: true });
      }
    }
    return seen;
  }

  /** The ref that records a halted run's verdict on one manifest's exact bytes. */
  rejectionRef(manifestSha256: string): string {
    return `refs/mlops/rejected/${this.model}/${manifestSha256}`;
  }

  /**
   * Records that a manifest (these exact bytes) was judged and halted, so scheduled and
   * later runs do not retrain it again and again. A git ref, not a branch commit: nothing
   * in production or on any branch changes. Editing the manifest changes its sha256 and
   * makes it new data again; `--manifest` forces a rerun.
   */
  async recordRejection(
    manifestPath: string,
    manifestSha256: string,
    runId: string,
    reason: string,
  ): Promise<string> {
    const tree = await git(this.repoDir, ["hash-object", "-w", "-t", "tree", "--stdin"], {
      input: "",
    });
    const message = `Halted: ${manifestPath}\n\n${reason}\n\nRun: ${runId}\nManifest-SHA256: ${manifestSha256}\n`;
    const commit = await git(this.repoDir, ["commit-tree", tree, "-F", "-"], { input: message });
    const ref = this.rejectionRef(manifestSha256);
    await git(this.repoDir, ["update-ref", ref, commit]);
    return ref;
  }

  /** sha256 of manifests whose runs halted (data gate failed or candidate rejected). */
  async rejectedManifests(): Promise<Set<string>> {
    const out = await git(this.repoDir, [
      "for-each-ref",
      "--format=%(refname)",
      `refs/mlops/rejected/${this.model}/`,
    ]);
    return new Set(out ? out.split("\n").map((r) => r.slice(r.lastIndexOf("/") + 1)) : []);
  }
}
