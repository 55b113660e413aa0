/**
 * Sliding-window inference over a whole volume with Gaussian blending (METHOD §6). The inferer imports neither tfjs
 * nor ONNX Runtime: it takes a {@linkcode Predictor}, and the model adapters live elsewhere.
 *
 * @module
 */
import { createVolume, sameGrid, type Vec3, type Volume, type VoxelArray, type VoxelUnit } from "../io/mod.ts";
import { checkMinWeight, checkOverlap, checkPositive, checkPositiveInteger, checkVec3 } from "./_checks.ts";
import { gaussianImportanceMap } from "./importance_map.ts";
import { windowPositions } from "./window_positions.ts";

/**
 * Scores a batch of windows. `windows` is `[n, wk, wj, wi, inChannels]` (NDHWC: i fastest within a window, the same
 * order as a crop of a {@linkcode Volume}, channels interleaved); the result must be a `Float32Array` of
 * `[n, wk, wj, wi, outChannels]` (NDHWC), i.e. exactly `n·wk·wj·wi·outChannels` values, one score per window voxel
 * and output channel. `windowVox` is `[wi, wj, wk]`.
 *
 * The inferer reuses the `windows` buffer for the next batch once the promise resolves, so a predictor must not keep
 * it; it may return it (an identity predictor) or write into it.
 */
export type Predictor = (windows: Float32Array, n: number, windowVox: Vec3) => Promise<Float32Array>;

/** Options for {@linkcode slidingWindow} and {@linkcode slidingWindowChannels}. */
export interface SlidingWindowOptions {
  /** Window size in voxels along i, j, k: the training crop size. @default {[96, 96, 64]} */
  windowVox?: Vec3;
  /** Fraction of a window shared with each neighbour along an axis, in [0, 1). @default {0.5} */
  overlap?: number;
  /** Windows per predictor call (the last batch may hold fewer). @default {1} */
  batchSize?: number;
  /** Gaussian σ of the importance map as a fraction of the window, per axis. @default {0.125} */
  sigmaScale?: number;
  /** Floor of the importance weights, in (0, 1]. @default {1e-3} */
  minWeight?: number;
  /**
   * Value of window voxels that lie outside the volume (only along axes shorter than the window), one number for
   * every input channel or one per channel. 0 is air in the [0, 1] window. @default {0}
   */
  padValue?: number | readonly number[];
  /** Unit recorded on the stitched volumes. @default {"score"} */
  unit?: VoxelUnit;
  /** Called after each batch with the windows scored so far and the total: a task draws a bar. */
  onProgress?: (done: number, total: number) => void;
}

/** Options for {@linkcode slidingWindowChannels}: those of {@linkcode slidingWindow} plus the output channel count. */
export interface SlidingWindowChannelsOptions extends SlidingWindowOptions {
  /** Channels per voxel in the predictor's output (e.g. a feature vector). @default {1} */
  outChannels?: number;
}

/** Input of the inferer: one volume, or several on one grid (channels in this order). */
export type SlidingWindowInput = Volume<VoxelArray> | readonly Volume<VoxelArray>[];

/**
 * Runs a predictor over a volume in overlapping windows and blends the window scores into one map of the volume's
 * size (METHOD §6; MONAI's `sliding_window_inference` with `mode="gaussian"`):
 * `stitched(v) = Σ_windows w(v − start)·s_window(v − start) / Σ_windows w(v − start)`, with `w` the
 * {@linkcode gaussianImportanceMap} (σ = window·`sigmaScale`, floored at `minWeight`) and the windows of
 * {@linkcode windowPositions} (step `floor(window·(1 − overlap))`, last window snapped to the border). Along an axis
 * shorter than the window the window is padded with `padValue` on both sides and its scores are cropped back.
 * Windows are taken in order (i fastest, then j, then k) and scored `batchSize` at a time.
 *
 * Multi-channel input: pass the channels as an array of volumes on one grid (e.g. `[image, extra]`); window voxels
 * then hold `inChannels` interleaved values. Single-channel output; see {@linkcode slidingWindowChannels} for more.
 *
 * Precision: the sums are float32 (to keep to the memory below), so a voxel covered by `m` windows carries a relative
 * error of at most about 2(m + 1)·2⁻²⁴ from the additions: ≈ 1e-6 at overlap 0.5 (m ≤ 8), ≈ 6e-5 in the extreme of
 * step 1 with 8-voxel windows (m = 512).
 *
 * Memory: the result and a float32 weight sum (4 bytes per voxel each), one window's weights, and one batch of
 * windows in and out; nothing grows with the number of windows ({@linkcode slidingWindowPeakBytes}).
 *
 * @param input The volume (any array type; gathered as float32), or its channels on one grid.
 * @param predictor See {@linkcode Predictor}.
 * @param options See {@linkcode SlidingWindowOptions}.
 * @returns A float32 volume on the input's grid (shape and affine) with unit `options.unit`.
 * @throws {RangeError} If an option is out of range (the message quotes the value).
 * @throws {TypeError} If the input channels are not on one grid, or the predictor returns anything but a
 *   `Float32Array` of `n·wk·wj·wi·outChannels` values.
 * @throws {Error} If the predictor rejects: the message names the windows, the predictor's error is the `cause`.
 * @example Score a preprocessed scan
 * ```ts ignore
 * const score = await slidingWindow(pre.image, predictor, { windowVox: [128, 128, 64], batchSize: 2 });
 * await writeVolume("scan_anomaly.nii.gz", finishAnomalyMap(score, pre));
 * ```
 */
export async function slidingWindow(
  input: SlidingWindowInput,
  predictor: Predictor,
  options: SlidingWindowOptions = {},
): Promise<Volume<Float32Array>> {
  const [score] = await slidingWindowChannels(input, predictor, { ...options, outChannels: 1 });
  return score;
}

/**
 * {@linkcode slidingWindow} for a predictor with `outChannels` output channels (e.g. dense features): every channel
 * is stitched with the same weights.
 *
 * @param input The volume, or its channels on one grid.
 * @param predictor See {@linkcode Predictor}; returns `[n, wk, wj, wi, outChannels]`.
 * @param options See {@linkcode SlidingWindowChannelsOptions}.
 * @returns One float32 volume per output channel on the input's grid. They are views (`subarray`) of one planar
 *   buffer of `outChannels·N` values, channel c at offset `c·N`.
 * @throws {RangeError} If an option is out of range.
 * @throws {TypeError} If the channels are not on one grid or the predictor's output has the wrong type or length.
 * @throws {Error} If the predictor rejects (its error is the `cause`).
 * @example Stitch 8 feature channels
 * ```ts ignore
 * const features = await slidingWindowChannels(pre.image, featurePredictor, { outChannels: 8 });
 * ```
 */
export async function slidingWindowChannels(
  input: SlidingWindowInput,
  predictor: Predictor,
  options: SlidingWindowChannelsOptions = {},
): Promise<Volume<Float32Array>[]> {
  const {
    windowVox = [96, 96, 64],
    overlap = 0.5,
    batchSize = 1,
    sigmaScale = 0.125,
    minWeight = 1e-3,
    outChannels = 1,
    padValue = 0,
    unit = "score",
    onProgress,
  } = options;
  const channels = checkChannels(input);
  const inChannels = channels.length;
  const action = "run sliding-window inference";
  checkVec3(windowVox, "windowVox", action);
  checkOverlap(overlap, action);
  checkPositiveInteger(batchSize, "batchSize", action);
  checkPositive(sigmaScale, "sigmaScale", action);
  checkMinWeight(minWeight, action);
  checkPositiveInteger(outChannels, "outChannels", action);
  const pads = padValues(padValue, inChannels);

  const { shape, affine } = channels[0];
  const voxels = shape[0] * shape[1] * shape[2];
  const windowVoxels = windowVox[0] * windowVox[1] * windowVox[2];
  const starts = windowPositions(shape, { windowVox, overlap });
  const counts = starts.map((s) => s.length);
  const total = counts[0] * counts[1] * counts[2];
  const importance = gaussianImportanceMap(windowVox, { sigmaScale, minWeight });
  const sum = new Float32Array(outChannels * voxels); // Σ w·s, planar; becomes the result
  const weight = new Float32Array(voxels); // Σ w
  const batch = new Float32Array(Math.min(batchSize, total) * windowVoxels * inChannels);
  const origin = (t: number): Vec3 => [
    starts[0][t % counts[0]],
    starts[1][Math.floor(t / counts[0]) % counts[1]],
    starts[2][Math.floor(t / (counts[0] * counts[1]))],
  ];

  for (let first = 0; first < total; first += batchSize) {
    const n = Math.min(batchSize, total - first);
    for (let b = 0; b < n; b++) {
      gatherWindow(channels, origin(first + b), windowVox, pads, batch, b * windowVoxels * inChannels);
    }
    let scores: Float32Array;
    try {
      scores = await predictor(batch.subarray(0, n * windowVoxels * inChannels), n, windowVox);
    } catch (cause) {
      throw new Error(
        `Cannot score windows ${first + 1}–${first + n} of ${total}: the predictor failed: ${
          cause instanceof Error ? cause.message : String(cause)
        }`,
        { cause },
      );
    }
    const expected = n * windowVoxels * outChannels;
    if (!(scores instanceof Float32Array) || scores.length !== expected) {
      const found = scores instanceof Float32Array
        ? `${scores.length} values`
        : `a ${(scores as unknown)?.constructor?.name ?? typeof scores}`;
      throw new TypeError(
        `Cannot stitch windows ${first + 1}–${first + n} of ${total}: the predictor returned ${found}: expected a ` +
          `Float32Array of ${expected} values ([${n}, ${windowVox[2]}, ${windowVox[1]}, ${windowVox[0]}, ` +
          `${outChannels}] NDHWC)`,
      );
    }
    for (let b = 0; b < n; b++) {
      scatterWindow(
        scores,
        b * windowVoxels * outChannels,
        outChannels,
        origin(first + b),
        windowVox,
        importance,
        shape,
        sum,
        weight,
      );
    }
    onProgress?.(first + n, total);
  }

  for (let c = 0, p = 0; c < outChannels; c++) {
    for (let v = 0; v < voxels; v++, p++) sum[p] /= weight[v]; // Σ w ≥ minWeight > 0: every voxel is covered
  }
  return Array.from(
    { length: outChannels },
    (_, c) => createVolume(sum.subarray(c * voxels, (c + 1) * voxels), shape, affine, unit),
  );
}

/** Options for {@linkcode slidingWindowPeakBytes}. */
export interface SlidingWindowPeakBytesOptions extends SlidingWindowChannelsOptions {
  /** Input channels per voxel. @default {1} */
  inChannels?: number;
}

/**
 * Bytes the inferer itself holds at its peak, all float32: the planar result (`outChannels·N`), the weight sum (`N`),
 * the importance map (one window), the batch of windows passed to the predictor (`B·W·inChannels`) and the
 * predictor's output (`B·W·outChannels`), where `N` is the volume's voxel count, `W` a window's, and `B` the batch
 * size (at most the number of windows). Not counted: the input volume(s), which the caller holds, and whatever the
 * predictor needs to compute its output (activations, sessions).
 *
 * @param shape Volume size along i, j, k.
 * @param options The options that will be passed to the inferer, plus `inChannels`.
 * @returns The byte count.
 * @throws {RangeError} If the shape or an option is out of range.
 * @example 256×256×160 with the default window, batches of 4
 * ```ts ignore
 * slidingWindowPeakBytes([256, 256, 160], { batchSize: 4 }); // 105119744: 80 MiB of maps + 9 windows of 2.25 MiB
 * ```
 */
export function slidingWindowPeakBytes(shape: Vec3, options: SlidingWindowPeakBytesOptions = {}): number {
  const { windowVox = [96, 96, 64], overlap = 0.5, batchSize = 1, outChannels = 1, inChannels = 1 } = options;
  const action = "compute sliding-window memory";
  checkPositiveInteger(batchSize, "batchSize", action);
  checkPositiveInteger(outChannels, "outChannels", action);
  checkPositiveInteger(inChannels, "inChannels", action);
  const total = windowPositions(shape, { windowVox, overlap }).reduce((a, s) => a * s.length, 1);
  const voxels = shape[0] * shape[1] * shape[2];
  const windowVoxels = windowVox[0] * windowVox[1] * windowVox[2];
  const b = Math.min(batchSize, total);
  return 4 * (voxels * (outChannels + 1) + windowVoxels * (1 + b * (inChannels + outChannels)));
}

/** The channel volumes, checked to share one grid. */
function checkChannels(input: SlidingWindowInput): readonly Volume<VoxelArray>[] {
  const channels: readonly Volume<VoxelArray>[] = Array.isArray(input) ? input : [input as Volume<VoxelArray>];
  if (channels.length === 0) {
    throw new TypeError("Cannot run sliding-window inference: the input has no channels: expected at least 1 volume");
  }
  for (let c = 1; c < channels.length; c++) {
    if (!sameGrid(channels[0], channels[c])) {
      throw new TypeError(
        `Cannot run sliding-window inference: input channel ${c} (${channels[c].shape.join("×")}) is not on the grid ` +
          `of channel 0 (${channels[0].shape.join("×")}): expected one shape and affine`,
      );
    }
  }
  return channels;
}

/** One pad value per input channel. */
function padValues(padValue: number | readonly number[], inChannels: number): number[] {
  const pads = typeof padValue === "number" ? new Array<number>(inChannels).fill(padValue) : Array.from(padValue);
  if (pads.length !== inChannels || pads.some((v) => !Number.isFinite(v))) {
    throw new RangeError(
      `Cannot run sliding-window inference as padValue must be a finite number or ${inChannels} of them: current ` +
        `value is ${typeof padValue === "number" ? padValue : `[${padValue.join(", ")}]`}`,
    );
  }
  return pads;
}

/** Range of window offsets `[lo, hi)` whose voxel `start + offset` lies in `[0, n)`. */
function validRange(start: number, w: number, n: number): [number, number] {
  return [Math.max(0, -start), Math.min(w, n - start)];
}

/** Copies one window (padded with `pads` outside the volume) into `out` at `offset`: `[wk, wj, wi, inChannels]`. */
function gatherWindow(
  channels: readonly Volume<VoxelArray>[],
  start: Vec3,
  windowVox: Vec3,
  pads: readonly number[],
  out: Float32Array,
  offset: number,
): void {
  const [n0, n1, n2] = channels[0].shape;
  const [w0, w1, w2] = windowVox;
  const [s0, s1, s2] = start;
  const [i0, i1] = validRange(s0, w0, n0);
  const [j0, j1] = validRange(s1, w1, n1);
  const [k0, k1] = validRange(s2, w2, n2);
  const nc = channels.length;
  if (nc === 1) {
    const data = channels[0].data, pad = pads[0];
    for (let kk = 0; kk < w2; kk++) {
      for (let jj = 0; jj < w1; jj++) {
        const row = offset + (kk * w1 + jj) * w0;
        if (kk < k0 || kk >= k1 || jj < j0 || jj >= j1) {
          out.fill(pad, row, row + w0);
          continue;
        }
        const src = ((s2 + kk) * n1 + (s1 + jj)) * n0 + s0;
        if (i0 > 0) out.fill(pad, row, row + i0);
        out.set(data.subarray(src + i0, src + i1), row + i0);
        if (i1 < w0) out.fill(pad, row + i1, row + w0);
      }
    }
    return;
  }
  for (let kk = 0; kk < w2; kk++) {
    for (let jj = 0; jj < w1; jj++) {
      const row = offset + (kk * w1 + jj) * w0 * nc;
      const inside = kk >= k0 && kk < k1 && jj >= j0 && jj < j1;
      const src = ((s2 + kk) * n1 + (s1 + jj)) * n0 + s0;
      for (let ii = 0; ii < w0; ii++) {
        const q = row + ii * nc;
        if (inside && ii >= i0 && ii < i1) {
          for (let c = 0; c < nc; c++) out[q + c] = channels[c].data[src + ii];
        } else {
          for (let c = 0; c < nc; c++) out[q + c] = pads[c];
        }
      }
    }
  }
}

/** Adds one window's weighted scores to `sum` (planar) and its weights to `weight`, inside the volume only. */
function scatterWindow(
  scores: Float32Array,
  offset: number,
  outChannels: number,
  start: Vec3,
  windowVox: Vec3,
  importance: Float32Array,
  shape: Vec3,
  sum: Float32Array,
  weight: Float32Array,
): void {
  const [n0, n1, n2] = shape;
  const [w0, w1, w2] = windowVox;
  const [s0, s1, s2] = start;
  const [i0, i1] = validRange(s0, w0, n0);
  const [j0, j1] = validRange(s1, w1, n1);
  const [k0, k1] = validRange(s2, w2, n2);
  const voxels = n0 * n1 * n2;
  for (let kk = k0; kk < k1; kk++) {
    for (let jj = j0; jj < j1; jj++) {
      const q0 = (kk * w1 + jj) * w0; // window voxel of ii = 0
      const p0 = ((s2 + kk) * n1 + (s1 + jj)) * n0 + s0; // volume voxel of ii = 0
      if (outChannels === 1) {
        for (let ii = i0; ii < i1; ii++) {
          const w = importance[q0 + ii];
          sum[p0 + ii] += w * scores[offset + q0 + ii];
          weight[p0 + ii] += w;
        }
        continue;
      }
      for (let ii = i0; ii < i1; ii++) {
        const w = importance[q0 + ii], p = p0 + ii, q = offset + (q0 + ii) * outChannels;
        weight[p] += w;
        for (let c = 0; c < outChannels; c++) sum[c * voxels + p] += w * scores[q + c];
      }
    }
  }
}
