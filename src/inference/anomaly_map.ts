/**
 * Whole-volume anomaly maps (METHOD §6): preprocess → sliding windows through the frozen descriptor / condition
 * networks and the density model → s = −log q(y | c) → (optional smoothing inside the body) → body mask → back onto the
 * scan's own grid.
 *
 * @module
 */
import { createVolume, type Volume, type VoxelArray } from "../io/mod.ts";
import { preprocessCt } from "../preprocess/mod.ts";
import { type DensityModel, descriptorDim } from "../density/mod.ts";
import { tf } from "../nn/mod.ts";
import { finishAnomalyMap } from "./anomaly_output.ts";
import { channelRows, conditionMaps, type FeatureMapModels, featureMaps, windowInputs } from "./feature_maps.ts";
import { slidingWindow } from "./sliding_window.ts";

/** How window results are combined. */
export const SCORE_MODES = ["window", "features"] as const;
/** One of {@linkcode SCORE_MODES}. */
export type ScoreMode = typeof SCORE_MODES[number];

/** The fitted models of a run, ready to score volumes: the frozen networks (see `FeatureMapModels`) and the density. */
export interface AnomalyModels extends FeatureMapModels {
  /** The fitted density q(y | c). */
  density: DensityModel;
}

/** Options for {@linkcode anomalyMap}. */
export interface AnomalyMapOptions {
  /** Window overlap. @default {0.5} */
  overlap?: number;
  /** Windows per network call. @default {2} */
  batchSize?: number;
  /**
   * `window` (METHOD §6): each window is scored, s = −log q(y | c) of its body voxels, and the scores are blended.
   * `features`: the descriptors and conditions are blended across windows, then each body voxel is scored once —
   * about 1/8 of the density evaluations at overlap 0.5, for CPU runs where the density model dominates.
   * @default {"window"}
   */
  scoreMode?: ScoreMode;
  /**
   * Gaussian smoothing of the map inside the body before it goes back onto the scan's grid, standard deviation in mm
   * (`smoothWithinBody`; 0 = none, METHOD §6 as written). This project's post-processing, like anomalib's blur of
   * anomaly maps: it dilutes one-voxel outliers of healthy tissue and lesions much smaller than σ alike; choose it
   * on validation scans. @default {0}
   */
  smoothMm?: number;
  /** Rows per density evaluation (bounds memory). @default {65536} */
  chunkRows?: number;
  /** Progress over windows. */
  onProgress?: (done: number, total: number) => void;
}

/** −log q(y | c) of `count` rows (y `[count, dy]`, c `[count, dc]` or null), in chunks of `chunkRows`, in nats. */
export async function scoreRows(
  density: DensityModel,
  y: Float32Array,
  c: Float32Array | null,
  count: number,
  chunkRows: number,
): Promise<Float32Array> {
  const out = new Float32Array(count);
  const dy = density.dy, dc = c ? c.length / count : 0;
  for (let r0 = 0; r0 < count; r0 += chunkRows) {
    const r1 = Math.min(count, r0 + chunkRows);
    const lp = tf.tidy(() =>
      density.logProb(
        tf.tensor2d(y.subarray(r0 * dy, r1 * dy), [r1 - r0, dy]),
        c ? tf.tensor2d(c.subarray(r0 * dc, r1 * dc), [r1 - r0, dc]) : null,
      )
    );
    const values = await lp.data();
    lp.dispose();
    for (let r = 0; r < r1 - r0; r++) out[r0 + r] = -values[r];
  }
  return out;
}

/**
 * Splits interleaved windows of `width` channels into the first `width − 1` channels (still interleaved) and the
 * indices of the voxels whose last channel is > 0.5, ascending.
 */
function splitLastChannel(windows: Float32Array, width: number): { image: Float32Array; inside: Uint32Array } {
  const voxels = windows.length / width;
  const image = new Float32Array(voxels * (width - 1));
  let count = 0;
  for (let v = 0; v < voxels; v++) if (windows[width * v + width - 1] > 0.5) count++;
  const inside = new Uint32Array(count);
  for (let v = 0, r = 0; v < voxels; v++) {
    for (let ch = 0; ch < width - 1; ch++) image[(width - 1) * v + ch] = windows[width * v + ch];
    if (windows[width * v + width - 1] > 0.5) inside[r++] = v;
  }
  return { image, inside };
}

/**
 * −log q(y | c) (nats) of the rows listed in `inside` out of `count` rows; the other rows get 0 (they lie outside
 * the body and are masked away later).
 */
async function scoreInside(
  density: DensityModel,
  y: Float32Array,
  c: Float32Array | null,
  inside: Uint32Array,
  count: number,
  chunkRows: number,
): Promise<Float32Array> {
  const dy = y.length / count, dc = c ? c.length / count : 0;
  const ySub = new Float32Array(inside.length * dy), cSub = c ? new Float32Array(inside.length * dc) : null;
  for (let r = 0; r < inside.length; r++) {
    const v = inside[r];
    ySub.set(y.subarray(v * dy, (v + 1) * dy), r * dy);
    if (c && cSub) cSub.set(c.subarray(v * dc, (v + 1) * dc), r * dc);
  }
  const s = await scoreRows(density, ySub, cSub, inside.length, chunkRows);
  const out = new Float32Array(count);
  for (let r = 0; r < inside.length; r++) out[inside[r]] = s[r];
  return out;
}

/**
 * Computes the anomaly map of a CT: a float32 volume of −log q(y | c) (nats) on the CT's own grid and affine
 * (overlays the input in any viewer), voxels outside the body set to the lowest body score.
 *
 * @param ct CT in HU as read from disk (any axis-aligned orientation).
 * @param models Fitted models (see `loadAnomalyModels`).
 * @param options See {@linkcode AnomalyMapOptions}.
 * @returns `unit === "score"`, same shape and affine as `ct`.
 * @example
 * ```ts ignore
 * const models = await loadAnomalyModels("runs/phantoms");
 * const map = await anomalyMap(await readVolume("scan.nii.gz", { unit: "HU" }), models);
 * await writeVolume("scan_anomaly.nii.gz", map);
 * ```
 */
export async function anomalyMap(
  ct: Volume<VoxelArray>,
  models: AnomalyModels,
  options: AnomalyMapOptions = {},
): Promise<Volume<Float32Array>> {
  const { overlap = 0.5, batchSize = 2, scoreMode = "window", smoothMm = 0, chunkRows = 65536, onProgress } = options;
  const { extractor, density, windowVox } = models;
  const pre = preprocessCt(ct, models.preprocess);
  const dy = descriptorDim(extractor);
  let score: Volume<Float32Array>;
  if (scoreMode === "window") {
    // A coarser condition grid: the condition of the whole scan first (its windows are not in the progress), then
    // windows of the image and those condition channels.
    const coarse = models.conditionSpacingMm && extractor.conditionKind === "masked"
      ? await conditionMaps(pre.image, extractor, windowVox, models.conditionSpacingMm, { overlap, batchSize })
      : undefined;
    // The body mask travels as the last input channel, so that only body voxels are scored: the rest is masked
    // away at the end, and a voxel's blended score uses only its own window scores, so skipping them changes nothing
    // inside the body (padding beyond the volume reads as outside the body).
    const { inputs, features } = windowInputs(pre.image, extractor, windowVox, coarse);
    const width = inputs.length;
    score = await slidingWindow([...inputs, pre.bodyMask], async (windows, n) => {
      const voxels = windows.length / (width + 1);
      const { image, inside } = splitLastChannel(windows, width + 1);
      const f = await features(image, n);
      return await scoreInside(density, f.y, f.c, inside, voxels, chunkRows);
    }, { windowVox, overlap, batchSize, onProgress });
  } else {
    const { channels, dc } = await featureMaps(pre, models, { overlap, batchSize, onProgress });
    // Score the body voxels once, from the blended features.
    const body = pre.bodyMask.data;
    let count = 0;
    for (let v = 0; v < body.length; v++) count += body[v];
    const idx = new Uint32Array(count);
    for (let v = 0, r = 0; v < body.length; v++) if (body[v]) idx[r++] = v;
    const y = channelRows(channels, 0, dy, idx);
    const c = dc > 0 ? channelRows(channels, dy, dc, idx) : null;
    const s = await scoreRows(density, y, c, count, chunkRows);
    const data = new Float32Array(body.length).fill(NaN);
    for (let r = 0; r < count; r++) data[idx[r]] = s[r];
    score = createVolume(data, pre.image.shape, pre.image.affine, "score");
  }
  return finishAnomalyMap(score, pre, smoothMm);
}
