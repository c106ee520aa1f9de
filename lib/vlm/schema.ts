/**
 * The VLM's answer: the zod schema it is asked to follow (sent as the JSON schema of the
 * structured output) and the check that the answer is about exactly the images we sent.
 * An answer that breaks either is invalid and is retried, never half-used.
 */
import { z } from "zod";
import { VLM_PROBLEMS, type VlmImageReview } from "./types.ts";

/** What the VLM says about one image, by the id we gave it. */
export const VlmImageAnswerSchema = z.object({
  id: z.string().describe("the image's id exactly as given, e.g. img_3"),
  clear_mango_photo: z
    .boolean()
    .describe(
      "true if this is a clear, usable photo of a mango (or a mango leaf, for the leaf class)",
    ),
  problems: z
    .array(z.enum(VLM_PROBLEMS))
    .describe("what is wrong with the photo; empty if nothing"),
  label_plausible: z
    .boolean()
    .describe("true if the claimed label looks right for what the photo shows"),
  comment: z.string().describe("one short sentence on what you see"),
});

/** The whole answer: a score out of 10, batch-level issues and one entry per image. */
export const VlmAnswerSchema = z
  .object({
    quality_score: z
      .number()
      .min(0)
      .max(10)
      .describe("overall quality of these photos as training data, 0-10"),
    issues: z
      .array(z.string())
      .describe("problems across the batch, each one short sentence; empty if none"),
    images: z.array(VlmImageAnswerSchema).describe("one entry per image, in the order given"),
  })
  .describe("Review of a sample of photos for a mango ripeness classifier");

/** A parsed answer. */
export type VlmAnswer = z.infer<typeof VlmAnswerSchema>;

// The VLM's words are shown to people, not acted upon; bounding them keeps a runaway
// answer out of the reports and the state.
const MAX_TEXT = 300;
const MAX_ISSUES = 20;
const clip = (s: string) => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s);

/**
 * Validates an answer against the schema and the sample sent: every id answered exactly
 * once and no other. Returns the per-image reviews keyed back to our keys, or a problem.
 */
export function matchAnswer(
  value: unknown,
  sample: ReadonlyArray<{ id: string; key: string; label: string }>,
):
  | { ok: true; score: number; issues: string[]; images: VlmImageReview[] }
  | { ok: false; problem: string } {
  const parsed = VlmAnswerSchema.safeParse(value);
  if (!parsed.success) {
    return {
      ok: false,
      problem: `the answer does not follow the schema: ${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ")}`,
    };
  }
  const answer = parsed.data;
  const byId = new Map<string, VlmAnswer["images"][number]>();
  for (const img of answer.images) {
    if (byId.has(img.id))
      return { ok: false, problem: `the answer lists image ${JSON.stringify(clip(img.id))} twice` };
    byId.set(img.id, img);
  }
  const unknown = [...byId.keys()].filter((id) => !sample.some((s) => s.id === id));
  if (unknown.length)
    return {
      ok: false,
      problem: `the answer names images that were not sent: ${unknown
        .slice(0, 3)
        .map((id) => JSON.stringify(clip(id)))
        .join(", ")}`,
    };
  const missing = sample.filter((s) => !byId.has(s.id));
  if (missing.length)
    return {
      ok: false,
      problem: `the answer leaves out ${missing.length} of the ${sample.length} images (${missing
        .slice(0, 3)
        .map((s) => s.id)
        .join(", ")})`,
    };
  return {
    ok: true,
    score: answer.quality_score,
    issues: answer.issues.slice(0, MAX_ISSUES).map(clip),
    images: sample.map((s) => {
      const a = byId.get(s.id)!;
      return {
        key: s.key,
        label: s.label,
        clear_mango_photo: a.clear_mango_photo,
        label_plausible: a.label_plausible,
        problems: [...new Set(a.problems)],
        comment: clip(a.comment),
      };
    }),
  };
}
