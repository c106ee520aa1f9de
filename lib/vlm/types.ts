/**
 * What the VLM review hands back to the data gate, free of any client library: the
 * gate, the reports and the tests depend on these shapes, not on @langchain/openai.
 */
import type { LlmAttempt } from "../llm/types.ts";

/** Problems the VLM may name for one image (the schema's enum). */
export const VLM_PROBLEMS = [
  "blurry",
  "dark",
  "overexposed",
  "corrupt",
  "not_a_mango",
  "occluded",
  "other",
] as const;
/** One problem the VLM saw. */
export type VlmProblem = (typeof VLM_PROBLEMS)[number];

/** The VLM's view of one sampled image, mapped back to the manifest's key by our code. */
export interface VlmImageReview {
  key: string;
  label: string;
  clear_mango_photo: boolean;
  label_plausible: boolean;
  problems: VlmProblem[];
  /** The VLM's words: data to show a person, never acted upon. */
  comment: string;
}

/** One request to the VLM and how it ended (outcome ok/http_error/timeout/invalid_answer/network_error). */
export interface VlmAttempt extends LlmAttempt {
  /** Images that attempt sent. */
  images: number;
}

/** A review the VLM gave: its reported score and per-image findings, validated against the sample. */
export interface VlmConsulted {
  consulted: true;
  model: string;
  /** The quality_score the VLM reported (0-10). Our code bounds it, see combine.ts. */
  reported_score: number;
  sampled: number;
  /** Sampled images the VLM found to be a clear mango photo with a plausible label. */
  ok_images: number;
  /** The VLM's batch-level remarks: data to show a person, never acted upon. */
  issues: string[];
  images: VlmImageReview[];
  attempts: VlmAttempt[];
}

/** No usable review: why, in a sentence for the report. */
export interface VlmNotConsulted {
  consulted: false;
  reason: string;
  model?: string;
  attempts: VlmAttempt[];
}

/** The outcome of a VLM review. */
export type VlmReview = VlmConsulted | VlmNotConsulted;

/** A sampled image as it is sent: downscaled JPEG bytes with its key and label. */
export interface VlmSampleImage {
  key: string;
  label: string;
  jpeg: Buffer;
}

/** Reviews a sample of a batch; never throws for an unavailable or invalid VLM. */
export interface VlmReviewer {
  readonly model: string;
  review(request: {
    labels: readonly string[];
    images: readonly VlmSampleImage[];
  }): Promise<VlmReview>;
}
