/**
 * Findings of the copy search (copy-search.ts), pure: copies within the batch, refused or
 * warned about by where they sit, and copies of the evaluation set, always refused.
 */
import type { DuplicateGroup, EarlierMatch } from "./copy-search.ts";
import { describeMatch } from "./leakage.ts";
import type { Finding } from "./score.ts";

/**
 * Duplicate findings by key. Every member of a group after its first is flagged. An
 * identical file is refused (an upload mistake; its first copy stays). A near copy is
 * refused when it crosses splits (validation would score a photo the model trains on) or
 * carries another label (the labels contradict each other); within one split and label it
 * only over-weights one photo: a warning, which counts with `nearCopyWeight`.
 */
export function judgeDuplicates(
  groups: DuplicateGroup[],
  images: ReadonlyMap<string, { label: string; split: string }>,
): Map<string, Finding[]> {
  const out = new Map<string, Finding[]>();
  const add = (key: string, f: Finding) => out.set(key, [...(out.get(key) ?? []), f]);
  for (const group of groups) {
    const [first, ...rest] = group.keys;
    const kept = images.get(first!);
    rest.forEach((key, i) => {
      const me = images.get(key);
      const clash =
        kept && me && kept.label !== me.label
          ? ` but is labelled "${me.label}" there "${kept.label}"`
          : "";
      const crosses =
        kept && me && kept.split !== me.split
          ? ` and sits in split "${me.split}" while it is in "${kept.split}"`
          : "";
      if (group.kind === "exact") {
        add(key, {
          check: "duplicate",
          severity: "error",
          message: `is the same file as ${first}${clash}${crosses}`,
          fix: "remove the duplicate from the manifest",
          value: 1,
          threshold: 1,
        });
        return;
      }
      const match = group.matches?.[i];
      const what = describeMatch({ key, earlierKey: first!, kind: "near", ...match });
      add(key, {
        check: "duplicate",
        severity: clash || crosses ? "error" : "warning",
        message: `is ${what} ${first}${clash}${crosses}`,
        fix: clash
          ? "keep one copy with the right label"
          : crosses
            ? "move both copies into one split, or remove this one"
            : "remove the copy (it only repeats a photo)",
        ...(match ? { value: Number(match.similarity.toFixed(4)) } : {}),
      });
    });
  }
  return out;
}

/** Findings for batch images that are also in an earlier set (train/eval leakage). */
export function judgeEarlierMatches(
  matches: EarlierMatch[],
  setName = "the evaluation set",
): Map<string, Finding[]> {
  return new Map(
    matches.map((m) => [
      m.key,
      [
        {
          check: "duplicate" as const,
          severity: "error" as const,
          message: `is ${describeMatch(m)} ${m.earlierKey} in ${setName}: scores on it would be inflated`,
          fix: "remove it from this manifest",
          value: m.similarity === undefined ? 1 : Number(m.similarity.toFixed(4)),
        },
      ],
    ]),
  );
}
