/**
 * Fitting a `gaussian` density q(y | c) = N(μ(c), diag σ²(c)) on an in-memory pool of rows, and drawing those rows:
 * the shared machinery of the reference densities (the context oracle, the context ablation), which pool a bounded
 * number of voxels per scan rather than sampling windows as `collectFeatures` does.
 *
 * @module
 */
import type { Rng } from "../data/rng.ts";
import { createDensityModel } from "./create_density.ts";
import type { DensityModel } from "./density_model.ts";
import { densityFitConfig } from "./fit_config.ts";
import { type DensityFitResult, type DensityStep, fitDensity } from "./fit_density.ts";
import { type FeaturePool, samplePool } from "./features.ts";

/** Options for {@linkcode fitRowGaussian}. */
export interface RowGaussianFitOptions {
  /** Optimiser steps. @default {3000} */
  steps?: number;
  /** Rows per step. @default {2048} */
  batchSize?: number;
  /** Width of the two hidden layers of the Gaussian's MLP. @default {128} */
  hidden?: number;
  /** Seed of the initial weights, the batches and the training noise. @default {0} */
  seed?: number;
  /** Peak learning rate of the one-cycle AdamW schedule. @default {1e-3} */
  peakLr?: number;
  /** Std of the training noise on y, in y's units. @default {0.01} */
  noiseStd?: number;
  /** Called after every optimiser step. */
  onStep?: (record: DensityStep, totalSteps: number) => void;
}

/** Rows drawn for the very first batch, from which the model fixes its standardisation of y and c. */
export const STANDARDISATION_ROWS = 32768;

/**
 * Validates the options of {@linkcode fitRowGaussian} without fitting (so that a caller can fail before reading data).
 *
 * @throws {RangeError} If an option is out of range.
 */
export function checkRowGaussianOptions(options: RowGaussianFitOptions = {}): void {
  const { steps = 3000, batchSize = 2048, seed = 0, peakLr = 1e-3, noiseStd = 0.01, hidden = 128 } = options;
  densityFitConfig({ steps, batchSize, seed, peakLr, noiseStd });
  if (!Number.isInteger(hidden) || hidden < 1) {
    throw new RangeError(`Cannot fit a row Gaussian: hidden is ${hidden}: expected a positive integer`);
  }
}

/**
 * Fits q(y | c) = N(μ(c), diag σ²(c)), a `gaussian` density (`createDensityModel`, two hidden layers of `hidden` GELU
 * units; with `pool.dc = 0` a single mean and diagonal variance), by `fitDensity` (AdamW, one-cycle schedule with peak
 * `peakLr`, mean NLL per dimension) on `steps` batches of `batchSize` rows drawn with replacement from `pool`.
 *
 * Choice: the first batch is {@linkcode STANDARDISATION_ROWS} rows (at least), not `batchSize`, because the model
 * standardises y and c by its first batch, and a rare column (a tissue seen in few rows) absent from 2048 rows would
 * get a near-zero scale — an input blown up ~1000× wherever that tissue appears later.
 *
 * @param pool The rows (kept by reference, not copied).
 * @param options See {@linkcode RowGaussianFitOptions}.
 * @returns The fitted model (caller disposes) and the fit record.
 * @throws {RangeError} If an option is out of range or the pool is empty.
 */
export async function fitRowGaussian(
  pool: FeaturePool,
  options: RowGaussianFitOptions = {},
): Promise<{ model: DensityModel; fit: DensityFitResult }> {
  const { steps = 3000, batchSize = 2048, hidden = 128, seed = 0, peakLr = 1e-3, noiseStd = 0.01, onStep } = options;
  checkRowGaussianOptions(options);
  if (pool.count < 1) throw new RangeError("Cannot fit a row Gaussian: the pool has no rows: expected at least one");
  const config = densityFitConfig({ steps, batchSize, seed, peakLr, noiseStd });
  const model = createDensityModel({
    kind: "gaussian",
    dy: pool.dy,
    dc: pool.dc,
    hiddenDim: hidden,
    hiddenLayers: 2,
    seed,
  });
  try {
    const fit = await fitDensity(
      model,
      (step, rng, size) => samplePool(pool, rng, step === 0 ? Math.max(size, STANDARDISATION_ROWS) : size),
      config,
      { onStep },
    );
    return { model, fit };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * `take` distinct integers of [0, n) in random order (partial Fisher–Yates): which rows of a scan go into a pool.
 *
 * @throws {RangeError} If `take` is not an integer in [0, n].
 */
export function drawWithoutReplacement(n: number, take: number, rng: Rng): Uint32Array {
  if (!Number.isInteger(take) || take < 0 || take > n) {
    throw new RangeError(`Cannot draw ${take} of ${n} rows without replacement: expected an integer in [0, ${n}]`);
  }
  const index = new Uint32Array(n);
  for (let i = 0; i < n; i++) index[i] = i;
  for (let i = 0; i < take; i++) {
    const j = rng.int(i, n);
    const t = index[i];
    index[i] = index[j];
    index[j] = t;
  }
  return index.subarray(0, take);
}

/**
 * Gathers rows of a row-major `[*, width]` array: row r of the result is row `picks[r]` of `values`.
 *
 * @returns `[picks.length, width]` row-major, a new array.
 */
export function gatherRows(values: Float32Array, width: number, picks: ArrayLike<number>): Float32Array {
  const out = new Float32Array(picks.length * width);
  for (let r = 0; r < picks.length; r++) {
    const s = picks[r];
    out.set(values.subarray(s * width, (s + 1) * width), r * width);
  }
  return out;
}
