/**
 * The run's charts as standalone SVG strings: training curves and the confusion matrix.
 * Pure (data in, text out), so they are tested without a browser and the report embeds the
 * files as they are. Hand-written SVG rather than a chart library: two fixed layouts do not
 * justify a dependency, and the output must not depend on fonts or a canvas being present
 * beyond a generic sans-serif. The font stack names what GitHub's Ubuntu runners and most
 * Linux hosts have (DejaVu, Liberation), then the browsers' usual ones: the PNG copies
 * (lib/plots-png.ts) are rasterized with the host's fonts.
 */
import type { EpochLog } from "./types.ts";

const FONT = `font-family="DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"`;
/** Colour-blind-safe pair (Okabe-Ito blue and orange) for train vs validation. */
const TRAIN = "#0072B2";
const VAL = "#E69F00";

/** Escapes text for SVG content and attributes (class names come from users). */
export function escapeXml(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] as string,
  );
}

const f1 = (v: number) => (Math.round(v * 10) / 10).toString();

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 x 10^k). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

interface Series {
  name: string;
  colour: string;
  dashed: boolean;
  points: [number, number][];
}

/** One line chart in a box at (x0, y0) of size w x h; returns its SVG elements. */
function panel(o: {
  x0: number;
  y0: number;
  w: number;
  h: number;
  title: string;
  yLabel: string;
  yMax: number;
  percent: boolean;
  epochs: number;
  best: number;
  series: Series[];
}): string {
  const left = o.x0 + 56;
  const right = o.x0 + o.w - 12;
  const top = o.y0 + 48;
  const bottom = o.y0 + o.h - 44;
  const xMax = Math.max(2, o.epochs);
  const sx = (e: number) => left + ((e - 1) / (xMax - 1)) * (right - left);
  const sy = (v: number) => bottom - (Math.min(v, o.yMax) / o.yMax) * (bottom - top);
  const el: string[] = [
    `<text x="${(left + right) / 2}" y="${o.y0 + 18}" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(o.title)}</text>`,
  ];
  for (const t of niceTicks(0, o.yMax)) {
    el.push(
      `<line x1="${left}" x2="${right}" y1="${f1(sy(t))}" y2="${f1(sy(t))}" stroke="#e5e5e5"/>`,
    );
    el.push(
      `<text x="${left - 6}" y="${f1(sy(t) + 4)}" text-anchor="end" font-size="11">${o.percent ? `${Math.round(t * 100)}%` : t}</text>`,
    );
  }
  const xTicks = niceTicks(1, xMax, Math.min(10, xMax - 1)).filter((e) => Number.isInteger(e));
  for (const e of xTicks)
    el.push(
      `<text x="${f1(sx(e))}" y="${bottom + 16}" text-anchor="middle" font-size="11">${e}</text>`,
    );
  el.push(
    `<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="#999"/>`,
  );
  el.push(
    `<text x="${(left + right) / 2}" y="${bottom + 34}" text-anchor="middle" font-size="12">epoch</text>`,
  );
  el.push(
    `<text transform="translate(${o.x0 + 14} ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(o.yLabel)}</text>`,
  );
  // The kept weights are this epoch's: mark it so "why this model" is visible at a glance.
  el.push(
    `<line x1="${f1(sx(o.best))}" x2="${f1(sx(o.best))}" y1="${top}" y2="${bottom}" stroke="#444" stroke-dasharray="3 3"/>`,
  );
  const onRight = sx(o.best) > (left + right) / 2; // label on the inner side, so it never leaves the panel
  el.push(
    `<text x="${f1(sx(o.best) + (onRight ? -4 : 4))}" y="${top + 12}" text-anchor="${onRight ? "end" : "start"}" font-size="11" fill="#444">best epoch ${o.best}</text>`,
  );
  for (const s of o.series) {
    const pts = s.points.filter(([, v]) => Number.isFinite(v));
    if (pts.length === 0) continue;
    const d = pts.map(([e, v]) => `${f1(sx(e))},${f1(sy(v))}`).join(" ");
    el.push(
      `<polyline points="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ` stroke-dasharray="6 3"` : ""}/>`,
    );
    for (const [e, v] of pts)
      el.push(
        `<circle cx="${f1(sx(e))}" cy="${f1(sy(v))}" r="${e === o.best ? 4.5 : 2.5}" fill="${s.colour}"/>`,
      );
  }
  // Legend right-aligned above the plot; ~6.5 px per character at 11 px.
  const widths = o.series.map((s) => 24 + s.name.length * 6.5 + 14);
  o.series.forEach((s, i) => {
    const lx = right - widths.slice(i).reduce((a, b) => a + b, 0) + 14;
    el.push(
      `<line x1="${lx}" x2="${lx + 20}" y1="${o.y0 + 36}" y2="${o.y0 + 36}" stroke="${s.colour}" stroke-width="2"${s.dashed ? ` stroke-dasharray="6 3"` : ""}/>`,
    );
    el.push(`<text x="${lx + 24}" y="${o.y0 + 40}" font-size="11">${escapeXml(s.name)}</text>`);
  });
  return el.join("\n");
}

/**
 * Loss and accuracy per epoch, train vs validation, with the kept (best) epoch marked.
 * `augmented`: the training numbers were measured on augmented batches.
 */
export function renderTrainingCurves(
  history: readonly EpochLog[],
  bestEpoch: number,
  opts: { augmented?: boolean } = {},
): string {
  const W = 900;
  const H = 380;
  const epochs = history.length === 0 ? 1 : Math.max(...history.map((h) => h.epoch));
  const losses = history.flatMap((h) => [h.loss, h.val_loss]).filter(Number.isFinite);
  // Validation loss can spike early (BN statistics still settling); cap the axis so one
  // outlier does not flatten the rest, at 1.5x the 2nd-largest value.
  const sorted = [...losses].sort((a, b) => b - a);
  const yMaxLoss =
    Math.max(0.1, Math.min(sorted[0] ?? 1, 1.5 * (sorted[1] ?? sorted[0] ?? 1))) * 1.05;
  const series = (key: "loss" | "accuracy", valKey: "val_loss" | "val_accuracy"): Series[] => [
    // Augmented training images are harder than clean ones: say so, or train above
    // validation reads as a bug.
    {
      name: opts.augmented ? "train (augmented)" : "train",
      colour: TRAIN,
      dashed: false,
      points: history.map((h) => [h.epoch, h[key]]),
    },
    {
      name: "validation",
      colour: VAL,
      dashed: true,
      points: history.map((h) => [h.epoch, h[valKey]]),
    },
  ];
  const best = history.find((h) => h.epoch === bestEpoch);
  const show = (v: number, text: string) => (Number.isFinite(v) ? text : "n/a");
  const subtitle = best
    ? `kept epoch ${bestEpoch} of ${epochs}: val loss ${show(best.val_loss, best.val_loss.toFixed(3))}, val accuracy ${show(best.val_accuracy, `${(best.val_accuracy * 100).toFixed(1)}%`)}`
    : `${epochs} epochs`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 40}" viewBox="0 0 ${W} ${H + 40}" ${FONT}>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="17" font-weight="bold">Training curves</text>`,
    `<text x="${W / 2}" y="40" text-anchor="middle" font-size="12" fill="#444">${escapeXml(subtitle)}</text>`,
    `<g transform="translate(0 40)">`,
    panel({
      x0: 0,
      y0: 0,
      w: W / 2,
      h: H,
      title: "Loss",
      yLabel: "cross-entropy",
      yMax: yMaxLoss,
      percent: false,
      epochs,
      best: bestEpoch,
      series: series("loss", "val_loss"),
    }),
    panel({
      x0: W / 2,
      y0: 0,
      w: W / 2,
      h: H,
      title: "Accuracy",
      yLabel: "accuracy",
      yMax: 1,
      percent: true,
      epochs,
      best: bestEpoch,
      series: series("accuracy", "val_accuracy"),
    }),
    `</g>`,
    `</svg>`,
    "",
  ].join("\n");
}

/**
 * Counts per (true, predicted) class, each cell shaded by its share of the true class's
 * images (row-normalised), so a small class's errors show as clearly as a big one's.
 */
export function renderConfusionMatrix(
  cm: { labels: readonly string[]; matrix: readonly (readonly number[])[] },
  title = "Confusion matrix",
): string {
  const k = cm.labels.length;
  const cell = 76;
  const left = 130;
  const top = 92;
  const W = left + k * cell + 30;
  const H = top + k * cell + 44;
  const total = cm.matrix.reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0);
  const correct = cm.matrix.reduce((a, r, i) => a + (r[i] ?? 0), 0);
  const el: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT}>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="17" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${W / 2}" y="44" text-anchor="middle" font-size="12" fill="#444">${total} images, ${total > 0 ? ((correct / total) * 100).toFixed(1) : "0.0"}% correct; shade = share of the true class</text>`,
    `<text x="${left + (k * cell) / 2}" y="${top - 26}" text-anchor="middle" font-size="13" font-weight="bold">predicted class</text>`,
    `<text transform="translate(18 ${top + (k * cell) / 2}) rotate(-90)" text-anchor="middle" font-size="13" font-weight="bold">true class</text>`,
  ];
  cm.labels.forEach((label, i) => {
    el.push(
      `<text x="${left + i * cell + cell / 2}" y="${top - 8}" text-anchor="middle" font-size="12">${escapeXml(label)}</text>`,
    );
    el.push(
      `<text x="${left - 8}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" font-size="12">${escapeXml(label)}</text>`,
    );
  });
  cm.matrix.forEach((row, i) => {
    const support = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      const share = support > 0 ? count / support : 0;
      const x = left + j * cell;
      const y = top + i * cell;
      const fill = support > 0 ? shade(share) : "#eeeeee";
      const ink = share > 0.55 ? "white" : "#222";
      el.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="${i === j ? "#222" : "white"}" stroke-width="${i === j ? 1.5 : 1}"/>`,
      );
      el.push(
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 2}" text-anchor="middle" font-size="17" font-weight="bold" fill="${ink}">${count}</text>`,
      );
      if (support > 0)
        el.push(
          `<text x="${x + cell / 2}" y="${y + cell / 2 + 20}" text-anchor="middle" font-size="11" fill="${ink}">${Math.round(share * 100)}%</text>`,
        );
    });
  });
  el.push(
    `<text x="${left}" y="${H - 16}" font-size="11" fill="#444">Rows: true class; columns: predicted; the diagonal (outlined) is correct.</text>`,
  );
  el.push(`</svg>`, "");
  return el.join("\n");
}

/** White to dark blue by share in [0, 1]. */
function shade(share: number): string {
  const from = [247, 251, 255];
  const to = [8, 48, 107];
  const c = from.map((f, i) => Math.round(f + ((to[i] as number) - f) * Math.sqrt(share))); // sqrt: small error shares stay visible
  return `rgb(${c.join(",")})`;
}
