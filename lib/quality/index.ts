/** The data gate of validate_data: configure, measure, judge, compare, review, score, render. */
export {
  CHECK_NAMES,
  type CheckName,
  type CheckWeights,
  defaultQualityConfig,
  IMAGE_FORMATS,
  type QualityConfig,
  QualityConfigSchema,
} from "./config.ts";
export {
  analyzeImage,
  type DecodeFailure,
  type ImageAnalysis,
  type ImageFormat,
  type ImageMeasurements,
  laplacianVariance,
  pixelStatistics,
  sniffFormat,
} from "./image-checks.ts";
export {
  boxDownsample,
  colourDistance,
  colourSignature,
  hammingDistance,
  hashOfThumbnail,
  perceptualHash,
} from "./phash.ts";
export {
  copySimilarity,
  copyThumbnail,
  decodeThumbnail,
  encodeThumbnail,
  mirrorThumbnail,
} from "./copies.ts";
export {
  CopyIndex,
  type CopyMatch,
  type CopyRule,
  type CopySearchStats,
  type HashedImage,
} from "./copy-index.ts";
export {
  type CopySearch,
  type DuplicateGroup,
  type EarlierMatch,
  findDuplicates,
  findEarlierMatches,
  searchCopies,
} from "./copy-search.ts";
export {
  type BatchScore,
  CHECK_DESCRIPTIONS,
  type CheckSummary,
  checkThresholds,
  describeScoring,
  type Finding,
  scoreBatch,
} from "./score.ts";
export { judgeImage } from "./image-findings.ts";
export { judgeDuplicates, judgeEarlierMatches } from "./copy-findings.ts";
export {
  type BatchFinding,
  countLabels,
  type LabelCounts,
  type LabelDistributionResult,
  judgeLabelDistribution,
  labelShift,
} from "./batch-checks.ts";
export { combineScores, describeCombination, floor1, type ScoreBreakdown } from "./combine.ts";
export {
  fileHashMemo,
  type HashMemo,
  hashManifestImages,
  judgeTrainedMatches,
  loadFailureFinding,
} from "./leakage.ts";
export { parseShardSpec, shardRange } from "./shards.ts";
export {
  applyVlmReview,
  type AssessOptions,
  assessImages,
  copyRule,
  type ClassStatistics,
  type EarlierSet,
  finishAssessment,
  type FinishOptions,
  type QualityReport,
} from "./assess.ts";
export {
  checkShard,
  type CheckShardOptions,
  type ImageReport,
  type ReportedMeasurements,
  type ShardResult,
} from "./shard-check.ts";
export { failureAnalysis, renderQualityMarkdown, vlmStatusLine, worstImages } from "./report.ts";
export { type ContactSheetOptions, escapeXml, renderContactSheet } from "./contact-sheet.ts";
export { type EarlierData, type EarlierDataOptions, loadEarlierData } from "./earlier.ts";
export { type DataGateInput, type DataGateResult, runDataGate, sampleOfBatch } from "./gate.ts";
export { type DataGateContext, type DataGateContextOptions, dataGateContext } from "./context.ts";
export {
  gateManifest,
  manifestFitProblems,
  openManifest,
  type ManifestGateInput,
  type ManifestGateOutcome,
} from "./manifest-gate.ts";
