/** The VLM review of validate_data: settings, answer schema, prompt, sampling and the client. */
export {
  VLM_API_KEY_ENV,
  type VlmSettings,
  VlmSettingsSchema,
  vlmNotConfiguredReason,
} from "./settings.ts";
export {
  VLM_PROBLEMS,
  type VlmAttempt,
  type VlmConsulted,
  type VlmImageReview,
  type VlmNotConsulted,
  type VlmProblem,
  type VlmReview,
  type VlmReviewer,
  type VlmSampleImage,
} from "./types.ts";
export { matchAnswer, type VlmAnswer, VlmAnswerSchema, VlmImageAnswerSchema } from "./schema.ts";
export {
  DATA_CLOSE,
  DATA_OPEN,
  dataBlock,
  type PromptImage,
  reviewMessages,
  SYSTEM_PROMPT,
} from "./prompt.ts";
export { reviewThumbnail, stratifiedSample } from "./sample.ts";
export { createVlmReviewer, type VlmClientOptions, vlmReviewerFromSettings } from "./client.ts";
