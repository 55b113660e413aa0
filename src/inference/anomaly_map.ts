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
   * `window` (METHOD §6): each window is scored, s = −log q(y | c), and the scores are blended. `features`: the
   * descriptors and conditions are blended across windows, then each body voxel is scored once — about 1/8 of the
   * density evaluations at overlap 0.5, for CPU runs where the density model dominates. @default {"window"}
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
    const { inputs, features } = windowInputs(pre.image, extractor, windowVox, coarse);
    score = await slidingWindow(inputs, async (windows, n) => {
      const f = await features(windows, n);
      return await scoreRows(density, f.y, f.c, f.y.length / dy, chunkRows);
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
