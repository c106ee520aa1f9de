/**
 * The demo use case: four scenarios through the real graph in a scratch git repository of
 * its own (never the user's repository), each with data made so that its decision follows
 * from the data for a reason a reader can check in the report:
 *   1. bootstrap: farm A's first batch has no overripe (sobremaduro) fruit, so v1 cannot
 *      know that class; as the first model it goes to a person (HUMAN_REVIEW, a draft),
 *      who merges it;
 *   2. clear win: farm B sends all five classes; v2 learns sobremaduro, which also stops
 *      overripe fruit being called maduro, so accuracy, macro-F1 and maduro F1 rise beyond
 *      doubt (APPROVE, a ready proposal), and the proposal is merged;
 *   3. critical loss: farm C, at the peak of the harvest, sends mostly ripe and overripe
 *      fruit, and its two bins were swapped: every maduro photo is labelled sobremaduro and
 *      back. Nothing in the pixels is wrong, so the data gate passes it, but v3 learns the
 *      swap and loses maduro (REJECT: a person is alerted, production stays v2);
 *   4. bad batch: broken files fail the data gate; nothing is trained.
 * The decisions come from the real training and the real analyst; `PROMISED` is only what
 * the README says they will be, for the CLI's exit code.
 */
import type { Decision } from "../lib/analyst/policy.ts";
import type { MlopsConfig } from "../lib/config.ts";
import { synthesizeBadBatch } from "../synth/bad-batch.ts";
import { type Label, type Relabel, synthesizeDataset } from "../synth/dataset.ts";
import { createScratchRepo } from "../synth/scratch-repo.ts";
import { runPipeline, type RunOutcome, type RunResult } from "./pipeline.ts";

/** The four scenarios, in the order they run. */
export type ScenarioId = "bootstrap" | "clear_win" | "critical_loss" | "bad_batch";

/** One row of the demo's table: a scenario and how its run ended. */
export interface DemoRow {
  id: ScenarioId;
  scenario: string;
  outcome: RunOutcome;
  decision: Decision | null;
  reportPath: string;
  seconds: number;
  /** The whole run: its state holds the evidence (metrics, statistics, verdicts). */
  result: RunResult;
}

/** Sizes of the demo's data. */
export interface DemoSizes {
  /**
   * Photos per class of farm A's and farm B's batches (farm A's has four classes); farm C
   * sends as many ripe and overripe photos and half as many of the other classes.
   */
  perClass: number;
  /** Photos per class of the frozen evaluation set. */
  evalPerClass: number;
  /** Images in the bad batch (at least 10). */
  badCount: number;
}

/**
 * The default sizes, chosen so every decision holds with a margin on 96 px photos and 8
 * epochs: v1 learns enough from 96 photos per class to pass the policy's floors, farm C's
 * swapped photos are as many as the correctly labelled overripe ones v3 also learns from,
 * and 60 evaluation photos per class keep the intervals narrow enough that v2's gain is a
 * clear win and the per-class F1 changes are not noise.
 */
export const DEMO_SIZES: DemoSizes = { perClass: 96, evalPerClass: 60, badCount: 30 };

/** Options of `runDemo`. */
export interface DemoOptions {
  /** Wiped and recreated: `<workspace>/repo` and `<workspace>/bucket`. */
  workspace: string;
  sizes?: Partial<DemoSizes>;
  /** Shifts every photo seed: another draw of the same four stories (default 0). */
  seed?: number;
  /**
   * Edits the project's mlops.config.json before it is committed to the scratch repo
   * (default `demoTraining()`: the demo's recipe).
   */
  configure?: (config: Record<string, unknown>) => Record<string, unknown>;
  log?: (line: string) => void;
}

/** What the demo did. */
export interface DemoOutcome {
  workspace: string;
  repo: string;
  /** The scratch repository's configuration, as the runs loaded it. */
  config: MlopsConfig;
  rows: DemoRow[];
}

/** What the README promises each scenario ends in. */
export const PROMISED: Record<ScenarioId, { outcome: RunOutcome; decision: Decision | null }> = {
  bootstrap: { outcome: "proposed_for_review", decision: "HUMAN_REVIEW" },
  clear_win: { outcome: "proposed", decision: "APPROVE" },
  critical_loss: { outcome: "rejected", decision: "REJECT" },
  bad_batch: { outcome: "data_gate_failed", decision: null },
};

/** Rows that did not end as promised, one sentence each. */
export function brokenPromises(rows: DemoRow[]): string[] {
  return rows
    .filter((r) => r.outcome !== PROMISED[r.id].outcome || r.decision !== PROMISED[r.id].decision)
    .map(
      (r) =>
        `${r.scenario}: ${r.outcome} (${r.decision ?? "no decision"}), promised ${PROMISED[r.id].outcome} (${PROMISED[r.id].decision ?? "no decision"})`,
    );
}

/** Mirror, rotation up to 10 degrees, crops keeping 90% of the area; colour untouched. */
export const DEMO_AUGMENT = {
  flip: true,
  rotation_deg: 10,
  min_crop_area: 0.9,
  max_aspect: 1.1,
  brightness: 0,
  contrast: 0,
};

/**
 * The demo's two changes to the committed training recipe. Fewer epochs keep it short. And
 * a mild geometric augmentation is on: the synthetic photos are drawn in poses that vary
 * far more than the real photos the default was chosen on (worker/README.md), and 8 epochs
 * on a few hundred of them without it overfit.
 */
export function demoTraining(epochs = 8) {
  return (config: Record<string, unknown>): Record<string, unknown> => ({
    ...config,
    training: { ...(config.training as object), epochs, augment: DEMO_AUGMENT },
  });
}

/** Every class but sobremaduro: farm A picks for export, before fruit is overripe. */
const NO_OVERRIPE: Label[] = ["verde", "pinton", "maduro", "hoja"];
/** Farm C's bins: every ripe photo filed as overripe, every overripe one as ripe. */
const SWAPPED_BINS: Relabel[] = [
  { from: "maduro", to: "sobremaduro", fraction: 1 },
  { from: "sobremaduro", to: "maduro", fraction: 1 },
];

/** Runs the four scenarios; returns one row per scenario. */
export async function runDemo(opts: DemoOptions): Promise<DemoOutcome> {
  const sizes = { ...DEMO_SIZES, ...opts.sizes };
  const seed = opts.seed ?? 0;
  const log = opts.log ?? console.log;
  const scratch = await createScratchRepo({
    workspace: opts.workspace,
    evalPerClass: sizes.evalPerClass,
    evalSeed: 1001 + seed,
    configure: opts.configure ?? demoTraining(),
  });
  const { repo, bucket } = scratch;
  const manifests = scratch.config().paths.manifests;
  log(`demo workspace: ${opts.workspace} (a scratch git repository and a local folder bucket)`);

  const rows: DemoRow[] = [];
  const run = async (id: ScenarioId, scenario: string) => {
    log(`\n=== ${scenario}`);
    const started = Date.now();
    const result = await runPipeline({ repoDir: repo, config: scratch.config() });
    log(`--> ${result.summary}`);
    rows.push({
      id,
      scenario,
      outcome: result.outcome,
      decision: result.state.deployment_decision,
      reportPath: result.reportPath,
      seconds: (Date.now() - started) / 1000,
      result,
    });
    return result;
  };
  const merge = async (result: RunResult, who: string) => {
    const branch = result.state.promotion!.branch;
    await scratch.git("merge", "-q", "--no-ff", "-m", `Merge ${branch} (${who})`, branch);
    log(`${who} merged ${branch}: production is now ${result.state.model_version}`);
  };
  const batch = async (name: string, message: string, spec: BatchSpec) => {
    const manifest = await synthesizeDataset({
      outDir: bucket,
      prefix: `batches/${name}`,
      datasetId: name,
      kind: "training",
      ...spec,
      seed: spec.seed + seed,
    });
    await scratch.commitManifest(`${manifests}/${name}.json`, manifest, message);
  };

  // 1. First data, first model: bootstrap goes to a person, who merges it.
  await batch("farm-a-2026-11", "Add farm A's November photos", {
    perClass: Object.fromEntries(NO_OVERRIPE.map((c) => [c, sizes.perClass])),
    seed: 2001,
    description: "Farm A's first photos: picked for export, so no overripe (sobremaduro) fruit",
  });
  const first = await run("bootstrap", "1. first model (bootstrap)");
  if (first.state.promotion) await merge(first, "reviewer");

  // 2. Good data with every class: a clear win, merged as proposed.
  await batch("farm-b-2026-12", "Add farm B's December photos", {
    perClass: sizes.perClass,
    seed: 3001,
  });
  const second = await run("clear_win", "2. new good data (clear win)");
  if (second.outcome === "proposed") await merge(second, "release manager");

  // 3. Swapped labels: the gate cannot see them, the analyst sees what they do to maduro.
  await batch("farm-c-2026-12", "Add farm C's December photos", {
    perClass: {
      ...Object.fromEntries(NO_OVERRIPE.map((c) => [c, Math.round(sizes.perClass / 2)])),
      maduro: sizes.perClass,
      sobremaduro: sizes.perClass,
    },
    seed: 5001,
    relabel: SWAPPED_BINS,
  });
  await run("critical_loss", "3. swapped labels (critical class lost)");

  // 4. A bad batch: the data gate stops it.
  const bad = await synthesizeBadBatch({
    outDir: bucket,
    prefix: "batches/farm-d-bad",
    datasetId: "farm-d-bad",
    count: sizes.badCount,
    seed: 4001 + seed,
  });
  await scratch.commitManifest(`${manifests}/farm-d-bad.json`, bad.manifest, "Add farm D's photos");
  await run("bad_batch", "4. bad batch (data gate)");
  return { workspace: opts.workspace, repo, config: scratch.config(), rows };
}

/** The parts of a batch that differ between scenarios. */
interface BatchSpec {
  perClass: number | Partial<Record<Label, number>>;
  seed: number;
  relabel?: Relabel[];
  description?: string;
}
