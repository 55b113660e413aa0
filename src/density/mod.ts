/**
 * The density stage (METHOD §5): models q(y | c) of descriptor rows y `[K, Dy]` given condition rows c `[K, Dc]`
 * (float32, one row per voxel) whose negative log-density is the anomaly score — a conditional normalizing flow, a
 * conditional diagonal Gaussian and an unconditional full-covariance Gaussian — with their fitting loop, model
 * files, the sinusoidal positional condition of the ablations, and the context oracle (a reference ceiling of the
 * phantom benchmark fitted on ground-truth tissue labels).
 *
 * @example
 * ```ts ignore
 * import { createDensityModel, densityFitConfig, fitDensity, loadDensity } from "./mod.ts";
 * const flow = createDensityModel({ kind: "flow", dy: 32, dc: 32 });
 * await fitDensity(flow, sampler, densityFitConfig({ steps: 2000 }), { out: "runs/density" });
 * const { model } = await loadDensity("runs/density/checkpoint.bin");
 * const scores = tf.tidy(() => tf.neg(model.logProb(y, c))); // [K], nats
 * ```
 *
 * @module
 */
export {
  DENSITY_KINDS,
  type DensityBatch,
  type DensityKind,
  type DensityModel,
  type DensitySpec,
  type DensityWeights,
  parseDensityKind,
} from "./density_model.ts";
export { FlowDensity, type FlowForward, type FlowOptions, type FlowSpec } from "./flow.ts";
export { GaussianDensity, type GaussianOptions, type GaussianSpec } from "./gaussian.ts";
export {
  type GaussianEstimate,
  type GaussianEstimateOptions,
  GaussianMoments,
  type GaussianMomentsState,
  type Shrinkage,
} from "./gaussian_moments.ts";
export { GaussianUncondDensity, type GaussianUncondOptions, type GaussianUncondSpec } from "./gaussian_uncond.ts";
export { createDensityModel, type DensityModelRequest } from "./create_density.ts";
export { DENSITY_FIT_DEFAULTS, type DensityFitConfig, densityFitConfig } from "./fit_config.ts";
export {
  DENSITY_RUN_FILES,
  type DensityFitOptions,
  type DensityFitResult,
  type DensityMonitorRecord,
  type DensitySampler,
  type DensityStep,
  fitDensity,
} from "./fit_density.ts";
export {
  DENSITY_FORMAT,
  type DensityFileMeta,
  loadDensity,
  type LoadedDensity,
  saveDensity,
  type SaveDensityOptions,
} from "./save_density.ts";
export { positionalEncoding, type PositionalEncodingOptions } from "./positional.ts";
export {
  collectFeatures,
  type CollectFeaturesOptions,
  CONDITION_KINDS,
  conditionDim,
  type ConditionKind,
  descriptorDim,
  type FeatureExtractor,
  type FeaturePool,
  samplePool,
  windowFeatures,
} from "./features.ts";
export * from "./features.ts";
export {
  CONTEXT_ORACLE_HU_RANGE,
  type ContextOracle,
  type ContextOracleFeatureOptions,
  type ContextOracleFeatures,
  contextOracleFeatures,
  type ContextOraclePair,
  type ContextOracleScoreOptions,
  contextOracleScores,
  fitContextOracle,
  type FitContextOracleOptions,
  intensityRows,
  tissueContextRows,
} from "./context_oracle.ts";
export * from "./row_gaussian.ts";
