/**
 * The typed config of a density fit (METHOD §5), with defaults, validated once and saved with the run.
 *
 * @module
 */

/** Everything that defines how a density model is fitted (the model's own architecture is its `toJSON()`). */
export interface DensityFitConfig {
  /** Optimiser steps; for `gaussian-uncond`, the number of batches streamed into the moments. */
  steps: number;
  /** Rows (voxels) asked of the sampler per step. */
  batchSize: number;
  /** Seed of the batches (`deriveSeed(seed, "batch", step)`) and the training noise (`…, "noise", step`). */
  seed: number;
  /** Peak learning rate of the one-cycle schedule. */
  peakLr: number;
  /** Fraction of the steps spent warming up. */
  warmupFraction: number;
  /** AdamW decoupled weight decay. */
  weightDecay: number;
  /** AdamW epsilon. */
  eps: number;
  /** Global gradient-norm clip; 0 disables. */
  clipNorm: number;
  /**
   * Std σ of the Gaussian noise added to y during training, in the units of y (METHOD §5: it keeps the density
   * finite off the data). 0.01 suits descriptors of O(1) scale; scale it with the descriptors. For `gaussian-uncond`
   * σ² is added to the covariance's diagonal instead of sampling noise.
   */
  noiseStd: number;
  /** Write a checkpoint every this many steps (and at the end). */
  checkpointEvery: number;
}

/** Defaults of {@linkcode densityFitConfig}. */
export const DENSITY_FIT_DEFAULTS: Readonly<DensityFitConfig> = {
  steps: 2000,
  batchSize: 4096,
  seed: 0,
  peakLr: 1e-3,
  warmupFraction: 0.05,
  weightDecay: 1e-6,
  eps: 1e-8,
  clipNorm: 1,
  noiseStd: 0.01,
  checkpointEvery: 200,
};

/**
 * Fills a partial config with {@linkcode DENSITY_FIT_DEFAULTS} and validates it. AdamW's epsilon defaults to 1e-8
 * (not the pretraining's 1e-3): the flow's small weights (ActNorm, last layers) need steps that the larger epsilon
 * would damp.
 *
 * @param partial Fields to override.
 * @returns A complete config.
 * @throws {RangeError} Naming the first invalid field and the valid range.
 * @example
 * ```ts
 * import { densityFitConfig } from "./fit_config.ts";
 * const config = densityFitConfig({ steps: 500, batchSize: 1024 });
 * if (config.noiseStd !== 0.01) throw new Error("unreachable");
 * ```
 */
export function densityFitConfig(partial: Partial<DensityFitConfig> = {}): DensityFitConfig {
  const config: DensityFitConfig = { ...DENSITY_FIT_DEFAULTS, ...partial };
  for (const f of ["steps", "batchSize", "checkpointEvery"] as const) {
    const v = config[f];
    if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`Cannot use ${f} ${v}: expected a positive integer`);
  }
  if (!(Number.isInteger(config.seed) && config.seed >= 0)) {
    throw new RangeError(`Cannot use seed ${config.seed}: expected a non-negative integer`);
  }
  for (const f of ["peakLr", "eps"] as const) {
    if (!(config[f] > 0 && Number.isFinite(config[f]))) {
      throw new RangeError(`Cannot use ${f} ${config[f]}: expected a positive number`);
    }
  }
  for (const f of ["weightDecay", "clipNorm", "noiseStd"] as const) {
    if (!(config[f] >= 0 && Number.isFinite(config[f]))) {
      throw new RangeError(`Cannot use ${f} ${config[f]}: expected a finite number ≥ 0`);
    }
  }
  if (!(config.warmupFraction >= 0 && config.warmupFraction < 1)) {
    throw new RangeError(`Cannot use warmupFraction ${config.warmupFraction}: expected a number in [0, 1)`);
  }
  return config;
}
