/**
 * The context oracle: a reference score for the phantom benchmark, not a method. It fits the conditional density of
 * local intensity given the phantom's ground-truth tissue labels, q(y | c), so its −log q shows how well a density of
 * local intensity can separate the lesions when it is handed PERFECT anatomical context — a ceiling for what the
 * Screener condition model (METHOD §4), which has to infer the context from masked images, could provide. The
 * benchmark's lesions (kidney tumours ±12–35 HU against kidney, hypodense liver lesions, lung nodules) are only
 * anomalous relative to their organ, which raw HU cannot know.
 *
 * Features, on a grid resampled to `spacingMm` (linear for the CT, nearest for the labels), one row per body voxel:
 * - y (Dy = 2): `[HU, G_σ ∗ HU] / 100`, HU clipped to [−1000, 300] first (units of 100 HU);
 * - c (Dc = labels): the one-hot tissue maps, each smoothed with the same Gaussian G_σ (σ in voxels), so each row
 *   sums to 1 and says which tissues lie around the voxel.
 *
 * The map back onto a scan's own grid is `contextOracleMap` in src/inference (which owns masking to the body and
 * restoring onto the input grid).
 *
 * @module
 */
import { deriveSeed, Rng } from "../data/rng.ts";
import { TISSUES } from "../data/tissues.ts";
import { reorient, sameGrid, type Vec3, type Volume, type VoxelArray } from "../io/mod.ts";
import { tf } from "../nn/mod.ts";
import { bodyMask, gaussianFilter3d, resampleToSpacing } from "../preprocess/mod.ts";
import type { DensityModel } from "./density_model.ts";
import type { DensityFitResult } from "./fit_density.ts";
import { concatPool, type FeaturePool } from "./features.ts";
import {
  checkRowGaussianOptions,
  drawWithoutReplacement,
  fitRowGaussian,
  gatherRows,
  type RowGaussianFitOptions,
} from "./row_gaussian.ts";

/** HU window applied before the features: air below, bone above are clipped. */
export const CONTEXT_ORACLE_HU_RANGE: readonly [number, number] = [-1000, 300];

/** Options for {@linkcode contextOracleFeatures}. */
export interface ContextOracleFeatureOptions {
  /** Voxel size of the feature grid along i, j, k (after reorientation to RAS) in mm. @default {[2, 2, 3]} */
  spacingMm?: Vec3;
  /** Number of tissue labels, Dc: every label value must be below it. @default {TISSUES.length} (27) */
  labels?: number;
  /**
   * Standard deviation of the Gaussian smoothing of HU and of the one-hot maps, in voxels of the feature grid (the
   * same on every axis). @default {1}
   */
  sigmaVoxels?: number;
}

/** Context-oracle rows of one scan: a {@linkcode FeaturePool} (one row per body voxel) plus where each row lies. */
export interface ContextOracleFeatures extends FeaturePool {
  /** The CT resampled (linear) to `spacingMm`, in canonical RAS, HU, unclipped: the grid of the rows. */
  grid: Volume<Float32Array>;
  /** Body mask on `grid` (`bodyMask` of src/preprocess on the resampled HU): 1 = body. */
  body: Uint8Array;
  /** Index into `grid` of each row, ascending (the body voxels in index order). */
  voxels: Uint32Array;
  /** `[count, 2]` row-major: HU / 100 and smoothed HU / 100 (HU clipped to {@linkcode CONTEXT_ORACLE_HU_RANGE}). */
  y: Float32Array;
  /** `[count, labels]` row-major: smoothed one-hot tissue maps, each row summing to 1. */
  c: Float32Array;
  dy: 2;
}

/**
 * Computes the context-oracle rows of one scan: reorients the CT and its tissue labels to RAS, resamples them to
 * `spacingMm` (`resampleToSpacing`: linear for the CT, nearest for the labels), computes the body mask there
 * (`bodyMask`) and returns y = [HU, smoothed HU] / 100 and c = smoothed one-hot labels for every body voxel (see the
 * module doc). Smoothing is {@linkcode gaussianFilter3d} (scipy's "reflect" boundary) over the whole grid, so labels
 * outside the body still shape c near the skin.
 *
 * @param ct CT in HU on any axis-aligned grid.
 * @param tissue Ground-truth tissue labels (values in [0, labels)) on the CT's grid, e.g. a phantom's `tissue`.
 * @param options See {@linkcode ContextOracleFeatureOptions}.
 * @returns The rows, their grid and body mask.
 * @throws {TypeError} If the CT and the labels are not on one grid (shape and affine).
 * @throws {RangeError} If an option is out of range, a label is ≥ `labels`, or the resampled CT has no body voxel.
 * @example
 * ```ts ignore
 * const { ct, tissue } = generatePhantom(3, { shape: [96, 96, 64], spacingMm: [3.5, 3.5, 5] });
 * const f = contextOracleFeatures(ct, tissue, { spacingMm: [3.5, 3.5, 5] }); // f.count rows, f.dc = 27
 * ```
 */
export function contextOracleFeatures(
  ct: Volume<VoxelArray>,
  tissue: Volume<Uint8Array>,
  options: ContextOracleFeatureOptions = {},
): ContextOracleFeatures {
  const { spacingMm = [2, 2, 3], labels = TISSUES.length, sigmaVoxels = 1 } = options;
  if (!Number.isInteger(labels) || labels < 1 || labels > 256) {
    throw new RangeError(
      `Cannot compute context-oracle features: labels is ${labels}: expected an integer in [1, 256]`,
    );
  }
  if (!(sigmaVoxels >= 0 && Number.isFinite(sigmaVoxels))) {
    throw new RangeError(
      `Cannot compute context-oracle features: sigmaVoxels is ${sigmaVoxels}: expected a finite number ≥ 0`,
    );
  }
  if (!sameGrid(ct, tissue)) {
    const describe = (v: Volume<VoxelArray>) =>
      `${v.shape.join("×")} voxels of ${v.spacingMm.map((s) => +s.toFixed(4)).join("×")} mm, affine [${
        v.affine.map((a) => +a.toFixed(4)).join(", ")
      }]`;
    throw new TypeError(
      `Cannot compute context-oracle features: the CT (${describe(ct)}) and the tissue labels (${
        describe(tissue)
      }) are on different grids: expected one shape and affine`,
    );
  }
  const grid = resampleToSpacing(reorient(ct), spacingMm); // throws RangeError on a bad spacing
  const labelGrid = resampleToSpacing(reorient(tissue), spacingMm, { order: "nearest" });
  const n = grid.data.length;
  const body = bodyMask(grid).data;
  let count = 0;
  for (let p = 0; p < n; p++) count += body[p];
  if (count === 0) {
    throw new RangeError(
      `Cannot compute context-oracle features: the CT has no body voxel on the ${grid.shape.join("×")} grid`,
    );
  }
  const voxels = new Uint32Array(count);
  for (let p = 0, r = 0; p < n; p++) if (body[p]) voxels[r++] = p;

  const c = tissueContextRows(labelGrid.data, grid.shape, voxels, labels, sigmaVoxels); // checks the labels
  const y = intensityRows(grid.data, grid.shape, voxels, sigmaVoxels);
  return { grid, body, voxels, y, c, count, dy: 2, dc: labels };
}

/**
 * The context oracle's y rows on any grid: `[HU, G_σ ∗ HU] / 100` per listed voxel (units of 100 HU; HU clipped to
 * {@linkcode CONTEXT_ORACLE_HU_RANGE} before smoothing; `gaussianFilter3d`, scipy's "reflect" boundary).
 *
 * @param hu CT numbers in HU on a grid of `shape` (i fastest).
 * @param shape Grid shape `[n0, n1, n2]` in voxels.
 * @param voxels Linear indices of the rows' voxels.
 * @param sigmaVoxels Smoothing σ in voxels (same on every axis).
 * @returns `[voxels.length, 2]` row-major.
 */
export function intensityRows(
  hu: ArrayLike<number>,
  shape: Vec3,
  voxels: ArrayLike<number>,
  sigmaVoxels: number,
): Float32Array {
  const [lo, hi] = CONTEXT_ORACLE_HU_RANGE;
  const clipped = Float32Array.from(hu, (v) => (v < lo ? lo : v > hi ? hi : v));
  const smooth = gaussianFilter3d(clipped, shape, [sigmaVoxels, sigmaVoxels, sigmaVoxels]);
  const y = new Float32Array(2 * voxels.length);
  for (let r = 0; r < voxels.length; r++) {
    const p = voxels[r];
    y[2 * r] = clipped[p] / 100;
    y[2 * r + 1] = smooth[p] / 100;
  }
  return y;
}

/**
 * The context oracle's c rows on any grid: the one-hot map of each label, smoothed by G_σ, at each listed voxel; each
 * row sums to 1. Memory: two grid-sized arrays besides the rows, whatever `labels` is.
 *
 * @param tissue Label values in [0, labels) on a grid of `shape` (i fastest).
 * @param shape Grid shape `[n0, n1, n2]` in voxels.
 * @param voxels Linear indices of the rows' voxels.
 * @param labels Number of labels, Dc.
 * @param sigmaVoxels Smoothing σ in voxels (same on every axis).
 * @returns `[voxels.length, labels]` row-major.
 * @throws {RangeError} If a label is ≥ `labels`.
 */
export function tissueContextRows(
  tissue: ArrayLike<number>,
  shape: Vec3,
  voxels: ArrayLike<number>,
  labels: number,
  sigmaVoxels: number,
): Float32Array {
  const n = tissue.length;
  const present = new Uint8Array(256);
  for (let p = 0; p < n; p++) {
    const l = tissue[p];
    if (!(l >= 0 && l < labels)) {
      throw new RangeError(
        `Cannot build tissue-context rows: voxel ${p} holds the label ${l}: expected values below labels = ${labels}`,
      );
    }
    present[l] = 1;
  }
  const sigma: Vec3 = [sigmaVoxels, sigmaVoxels, sigmaVoxels];
  const count = voxels.length;
  const c = new Float32Array(labels * count);
  const oneHot = new Float32Array(n);
  for (let l = 0; l < labels; l++) {
    if (!present[l]) continue; // smoothing zero gives zero
    for (let p = 0; p < n; p++) oneHot[p] = tissue[p] === l ? 1 : 0;
    const s = gaussianFilter3d(oneHot, shape, sigma);
    for (let r = 0; r < count; r++) c[r * labels + l] = s[voxels[r]];
  }
  return c;
}

/** A CT and its ground-truth tissue labels on the same grid (e.g. `generatePhantom(…)` or files on disk). */
export interface ContextOraclePair {
  ct: Volume<VoxelArray>;
  tissue: Volume<Uint8Array>;
}

/**
 * Options for {@linkcode fitContextOracle}: the features', the fit's (`fitRowGaussian`; `noiseStd` is in y's units,
 * 100 HU, so the default 0.01 is 1 HU; `seed` also draws the rows) and these.
 */
export interface FitContextOracleOptions extends ContextOracleFeatureOptions, RowGaussianFitOptions {
  /** Body voxels drawn per training scan (without replacement; all of them if the scan has fewer). @default {60000} */
  rowsPerScan?: number;
  /** Called after each training scan's rows are drawn. */
  onScan?: (scans: number, rows: number) => void;
}

/** A fitted context oracle: the density model (caller disposes) and how it was fitted. */
export interface ContextOracle {
  /** `gaussian` q(y | c) with dy = 2, dc = labels. */
  model: DensityModel;
  /** Training scans read. */
  scans: number;
  /** Rows in the training pool. */
  rows: number;
  /** The fit's config, steps and per-step records. */
  fit: DensityFitResult;
}

/**
 * Fits the context oracle: q(y | c) = N(μ(c), diag σ²(c)), a `gaussian` density (`createDensityModel`) whose MLP
 * has two hidden layers of `hidden` GELU units, trained by `fitDensity` (AdamW, one-cycle schedule with peak
 * `peakLr`, mean NLL per dimension) on `steps` batches of `batchSize` rows drawn with replacement from a pool of
 * `rowsPerScan` body voxels per training scan ({@linkcode contextOracleFeatures} rows). Scans are read one at a time;
 * memory is bounded by the pool, `rowsPerScan × scans × (2 + labels) × 4` bytes, plus one scan's features.
 *
 * Choices: the training noise is N(0, 0.01²) on y, i.e. 1 HU, far below the phantoms' 10–25 HU image noise, so it
 * only keeps σ(c) off zero; the first batch is 32 768 rows instead of `batchSize`,
 * because the model standardises y and c by its first batch and a rare tissue absent from 2048 rows would get a
 * near-zero scale (an input blown up by ~1000× wherever that tissue appears later). The rows of scan s are
 * drawn with `Rng(deriveSeed(seed, "rows", s))`.
 *
 * This uses ground-truth labels that no real scan has: it is a reference ceiling for the benchmark, not a method.
 *
 * @param pairs Training CTs with their tissue labels, read lazily (an async generator keeps one in memory).
 * @param options See {@linkcode FitContextOracleOptions}.
 * @returns The fitted model and its fit record.
 * @throws {RangeError} If there is no training pair, an option is out of range, or a scan is unusable (see
 *   {@linkcode contextOracleFeatures}; the message names the scan's index).
 * @throws {TypeError} If a CT and its labels are not on one grid.
 * @example
 * ```ts ignore
 * await initBackend("cpu");
 * const train = [1, 2, 3].map((s) => generatePhantom(s, { shape: [96, 96, 64], spacingMm: [3.5, 3.5, 5] }));
 * const oracle = await fitContextOracle(train, { spacingMm: [3.5, 3.5, 5], steps: 300 });
 * ```
 */
export async function fitContextOracle(
  pairs: AsyncIterable<ContextOraclePair> | Iterable<ContextOraclePair>,
  options: FitContextOracleOptions = {},
): Promise<ContextOracle> {
  const {
    spacingMm = [2, 2, 3],
    labels = TISSUES.length,
    sigmaVoxels = 1,
    rowsPerScan = 60000,
    steps = 3000,
    batchSize = 2048,
    hidden = 128,
    seed = 0,
    peakLr = 1e-3,
    noiseStd = 0.01,
    onScan,
    onStep,
  } = options;
  if (!Number.isInteger(rowsPerScan) || rowsPerScan < 1) {
    throw new RangeError(`Cannot fit the context oracle: rowsPerScan is ${rowsPerScan}: expected a positive integer`);
  }
  const fitOptions = { steps, batchSize, hidden, seed, peakLr, noiseStd, onStep };
  checkRowGaussianOptions(fitOptions); // fail before reading any scan
  const chunks: { y: Float32Array; c: Float32Array; count: number }[] = [];
  let scans = 0, rows = 0;
  for await (const pair of pairs) {
    let f: ContextOracleFeatures;
    try {
      f = contextOracleFeatures(pair.ct, pair.tissue, { spacingMm, labels, sigmaVoxels });
    } catch (e) {
      const err = e as Error;
      const Type = err instanceof TypeError ? TypeError : RangeError;
      throw new Type(`Cannot fit the context oracle on training scan ${scans}: ${err.message}`, { cause: e });
    }
    const take = Math.min(rowsPerScan, f.count);
    const picks = drawWithoutReplacement(f.count, take, new Rng(deriveSeed(seed, "rows", scans)));
    chunks.push({ y: gatherRows(f.y, 2, picks), c: gatherRows(f.c, labels, picks), count: take });
    scans++;
    rows += take;
    onScan?.(scans, rows);
  }
  if (scans === 0) throw new RangeError("Cannot fit the context oracle: no training scans: expected at least one");
  const pool = concatPool(chunks, 2, labels);
  chunks.length = 0;
  const { model, fit } = await fitRowGaussian(pool, fitOptions);
  return { model, scans, rows, fit };
}

/** Options for {@linkcode contextOracleScores}. */
export interface ContextOracleScoreOptions {
  /** Rows scored per tfjs call (bounds the tensors alive at once). @default {65536} */
  batchRows?: number;
}

/**
 * Scores context-oracle rows: −log q(y | c) per row, in nats (of y in units of 100 HU), in batches of `batchRows`
 * rows, each inside `tf.tidy`.
 *
 * @param model A fitted context oracle (`ContextOracle.model`).
 * @param rows Rows from {@linkcode contextOracleFeatures} with the model's widths.
 * @param options See {@linkcode ContextOracleScoreOptions}.
 * @returns One score per row, float32.
 * @throws {TypeError} If the rows' widths differ from the model's.
 * @throws {RangeError} If `batchRows` is not a positive integer.
 */
export function contextOracleScores(
  model: DensityModel,
  rows: Pick<FeaturePool, "y" | "c" | "count" | "dy" | "dc">,
  options: ContextOracleScoreOptions = {},
): Float32Array {
  const { batchRows = 65536 } = options;
  if (!Number.isInteger(batchRows) || batchRows < 1) {
    throw new RangeError(`Cannot score context-oracle rows: batchRows is ${batchRows}: expected a positive integer`);
  }
  if (rows.dy !== model.dy || rows.dc !== model.dc || !rows.c) {
    throw new TypeError(
      `Cannot score context-oracle rows: they have dy ${rows.dy} and dc ${rows.dc}: expected the model's ` +
        `dy ${model.dy} and dc ${model.dc}`,
    );
  }
  const c = rows.c;
  const out = new Float32Array(rows.count);
  for (let start = 0; start < rows.count; start += batchRows) {
    const k = Math.min(batchRows, rows.count - start);
    const scores = tf.tidy(() => {
      const y = tf.tensor2d(rows.y.subarray(start * rows.dy, (start + k) * rows.dy), [k, rows.dy]);
      const cc = tf.tensor2d(c.subarray(start * rows.dc, (start + k) * rows.dc), [k, rows.dc]);
      return tf.neg(model.logProb(y, cc)).dataSync() as Float32Array;
    });
    out.set(scores, start);
  }
  return out;
}
