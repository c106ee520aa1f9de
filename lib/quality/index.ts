/** The deterministic data gate of validate_data: configure, measure, judge, score, render. */
export { CHECK_NAMES, type CheckName, type CheckWeights, defaultQualityConfig, IMAGE_FORMATS, type QualityConfig, QualityConfigSchema } from "./config.ts";
export { analyzeImage, type DecodeFailure, type ImageAnalysis, type ImageFormat, type ImageMeasurements, laplacianVariance, pixelStatistics, sniffFormat } from "./image-checks.ts";
export { boxDownsample, colourDistance, colourSignature, type DuplicateGroup, type EarlierMatch, findDuplicates, findEarlierMatches, hammingDistance, type HashedImage, type NearDuplicateRule, perceptualHash } from "./phash.ts";
export { type BatchScore, CHECK_DESCRIPTIONS, type CheckSummary, checkThresholds, describeScoring, type Finding, judgeDuplicates, judgeEarlierMatches, judgeImage, scoreBatch } from "./score.ts";
export { type AssessOptions, assessImages, type ImageReport, loadFailureFinding, type QualityReport, type ReportedMeasurements } from "./assess.ts";
export { failureAnalysis, renderQualityMarkdown, worstImages } from "./report.ts";
