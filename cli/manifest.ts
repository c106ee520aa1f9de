/**
 * `npm run manifest -- --from DIR --base-uri URI --out data-manifests/X.json [--val 0.15]
 * [--seed N] [--id ID] [--labels a,b]`: a training manifest from a folder of labelled photos
 * (`DIR/<label>/<file>`), as a user brings a real dataset. Labels come from the folder
 * names, sha256 from the bytes, and the split is seeded, stratified by label and keeps
 * copies of one photo together (lib/dataset-builder.ts, which the bucket watch uses too).
 * `--base-uri` is where the images will be read from (an s3:// prefix they are uploaded to,
 * or file:// of the folder itself, the default); keys are relative to DIR.
 *
 * Exit code: 0 written, 1 on an error (a file that is not an image, a bad flag).
 */
import { mkdir, stat, writeFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { buildManifest } from "../lib/dataset-builder.ts";
import { stringifyManifest } from "../lib/manifest.ts";
import { FileStore } from "../lib/storage/index.ts";
import { parseFlags, runIfMain, UsageError } from "./main.ts";

const USAGE =
  "usage: npm run manifest -- --from DIR --out data-manifests/X.json [--base-uri URI] [--val 0.15] [--seed 42] [--id DATASET_ID] [--labels a,b,c]";

/** The CLI's options, parsed. */
export interface ManifestArgs {
  from: string;
  out: string;
  baseUri?: string;
  val: number;
  seed: number;
  id?: string;
  labels?: string[];
}

/** Parses the flags; a bad one is an error naming it and the usage. */
export function parseManifestArgs(argv: string[]): ManifestArgs {
  const v = parseFlags(
    argv,
    {
      from: { type: "string" },
      out: { type: "string" },
      "base-uri": { type: "string" },
      val: { type: "string" },
      seed: { type: "string" },
      id: { type: "string" },
      labels: { type: "string" },
    },
    USAGE,
  );
  const values = { ...v, val: v.val ?? "0.15", seed: v.seed ?? "42" };
  if (!values.from || !values.out) throw new UsageError(`--from and --out are required\n${USAGE}`);
  const val = Number(values.val);
  if (!(val >= 0 && val <= 0.9))
    throw new UsageError(
      `--val takes the share of each class for validation, 0 to 0.9; received "${values.val}"\n${USAGE}`,
    );
  const seed = Number(values.seed);
  if (!Number.isInteger(seed))
    throw new UsageError(`--seed takes an integer; received "${values.seed}"\n${USAGE}`);
  return {
    from: values.from,
    out: values.out,
    val,
    seed,
    ...(values["base-uri"] ? { baseUri: values["base-uri"] } : {}),
    ...(values.id ? { id: values.id } : {}),
    ...(values.labels
      ? {
          labels: values.labels
            .split(",")
            .map((l) => l.trim())
            .filter(Boolean),
        }
      : {}),
  };
}

/** Runs the CLI; returns the exit code. */
export async function runManifest(
  args: ManifestArgs,
  log: (m: string) => void = console.log,
): Promise<number> {
  const from = resolve(args.from);
  if (!(await stat(from).catch(() => undefined))?.isDirectory()) {
    log(
      `error: --from ${args.from} is not a folder (fix: point it at the folder whose subfolders are the labels)`,
    );
    return 1;
  }
  const datasetId = args.id ?? basename(args.out).replace(/\.json$/, "");
  const built = await buildManifest(new FileStore(pathToFileURL(from).href), {
    prefix: "",
    datasetId,
    valFraction: args.val,
    seed: args.seed,
    ...(args.baseUri ? { baseUri: args.baseUri.replace(/\/?$/, "/") } : {}),
    ...(args.labels ? { labels: args.labels } : {}),
    onProgress: (done, total) => {
      if (done % 1000 === 0 || done === total) log(`hashed ${done}/${total} images`);
    },
  });
  const notImages = built.skipped.filter((s) => s.notImage);
  for (const s of built.skipped.filter((x) => !x.notImage)) log(`left out ${s.key}: ${s.reason}`);
  if (notImages.length) {
    log(
      `error: ${notImages.length} file(s) in the label folders of ${args.from} are not images:\n${notImages
        .slice(0, 20)
        .map((s) => `  ${s.key}: ${s.reason}`)
        .join(
          "\n",
        )}${notImages.length > 20 ? `\n  ... and ${notImages.length - 20} more` : ""}\n(fix: remove them, or move them out of ${args.from}; nothing was written)`,
    );
    return 1;
  }
  if (!built.manifest) {
    log(
      `error: no images under ${args.from}/<label>/ (fix: put each class's photos in a folder named after the class)`,
    );
    return 1;
  }
  if (built.problems) {
    log(
      `error: the folders of ${args.from} do not make a valid manifest:\n${built.problems.map((p) => `  ${p}`).join("\n")}\n(fix: one folder per class, at least two classes; nothing was written)`,
    );
    return 1;
  }
  const m = built.manifest;
  await mkdir(dirname(resolve(args.out)), { recursive: true });
  await writeFile(resolve(args.out), stringifyManifest(m));
  for (const label of m.labels) {
    const mine = m.images.filter((i) => i.label === label);
    log(
      `${label}: ${mine.length} images (${mine.filter((i) => i.split === "train").length} train, ${mine.filter((i) => i.split === "val").length} val)`,
    );
  }
  log(
    `wrote ${args.out}: ${m.images.length} images, base_uri ${m.base_uri}; ${built.copyGroups} group(s) of copies kept in one split`,
  );
  return 0;
}

runIfMain(import.meta.url, () => runManifest(parseManifestArgs(process.argv.slice(2))));
