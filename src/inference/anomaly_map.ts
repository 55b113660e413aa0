/**
 * Whole-volume anomaly maps (METHOD §6): preprocess → sliding windows through the frozen descriptor / condition
 * networks and the density model → s = −log q(y | c) → body mask → back onto the scan's own grid.
 *
 * @module
 */
import { createVolume, type Vec3, type Volume, type VoxelArray } from "../io/mod.ts";
import { preprocessCt, type PreprocessCtOptions } from "../preprocess/mod.ts";
import {
  conditionDim,
  type DensityModel,
  descriptorDim,
  type FeatureExtractor,
  windowFeatures,
} from "../density/mod.ts";
import { tf } from "../nn/mod.ts";
import { finishAnomalyMap } from "./anomaly_output.ts";
import { slidingWindow, slidingWindowChannels } from "./sliding_window.ts";

/** How window results are combined. */
export const SCORE_MODES = ["window", "features"] as const;
/** One of {@linkcode SCORE_MODES}. */
export type ScoreMode = typeof SCORE_MODES[number];

/** The fitted models of a run, ready to score volumes. */
export interface AnomalyModels {
  /** The frozen networks and condition kind. */
  extractor: FeatureExtractor;
  /** The fitted density q(y | c). */
  density: DensityModel;
  /** Window size `[wi, wj, wk]` (the training crop; divisible by the U-Net's down-sampling). */
  windowVox: Vec3;
  /** Preprocessing, as for training. */
  preprocess: PreprocessCtOptions;
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
  /** Rows per density evaluation (bounds memory). @default {65536} */
  chunkRows?: number;
  /** Progress over windows. */
  onProgress?: (done: number, total: number) => void;
}

/** −log q(y | c) of `count` rows, in chunks. */
async function scoreRows(
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

/** The normalised voxel coordinates of a grid as three volumes (the positional condition's inputs). */
function coordinateVolumes(ref: Volume): Volume<Float32Array>[] {
  const [n0, n1, n2] = ref.shape;
  const out = [0, 1, 2].map(() => new Float32Array(n0 * n1 * n2));
  let v = 0;
  for (let k = 0; k < n2; k++) {
    for (let j = 0; j < n1; j++) {
      for (let i = 0; i < n0; i++, v++) {
        out[0][v] = i / Math.max(1, n0 - 1);
        out[1][v] = j / Math.max(1, n1 - 1);
        out[2][v] = k / Math.max(1, n2 - 1);
      }
    }
  }
  return out.map((d) => createVolume(d, ref.shape, ref.affine, "other"));
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
  const { overlap = 0.5, batchSize = 2, scoreMode = "window", chunkRows = 65536, onProgress } = options;
  const { extractor, density, windowVox } = models;
  const pre = preprocessCt(ct, models.preprocess);
  const positional = extractor.conditionKind === "positional";
  const inputs = positional ? [pre.image, ...coordinateVolumes(pre.image)] : [pre.image];
  const dy = descriptorDim(extractor), dc = conditionDim(extractor);
  /** Splits interleaved NDHWC input channels into the image and (positional) the coordinates. */
  const split = (windows: Float32Array, n: number) => {
    if (!positional) return { image: windows, coords: undefined };
    const voxels = windows.length / 4;
    const image = new Float32Array(voxels), coords = new Float32Array(3 * voxels);
    for (let v = 0; v < voxels; v++) {
      image[v] = windows[4 * v];
      coords[3 * v] = windows[4 * v + 1];
      coords[3 * v + 1] = windows[4 * v + 2];
      coords[3 * v + 2] = windows[4 * v + 3];
    }
    void n;
    return { image, coords };
  };
  const common = { windowVox, overlap, batchSize, onProgress };
  let score: Volume<Float32Array>;
  if (scoreMode === "window") {
    score = await slidingWindow(inputs, async (windows, n) => {
      const { image, coords } = split(windows, n);
      const f = await windowFeatures(extractor, image, n, windowVox, coords);
      return await scoreRows(density, f.y, f.c, f.y.length / dy, chunkRows);
    }, common);
  } else {
    const channels = await slidingWindowChannels(inputs, async (windows, n) => {
      const { image, coords } = split(windows, n);
      const f = await windowFeatures(extractor, image, n, windowVox, coords);
      const rows = f.y.length / dy;
      const out = new Float32Array(rows * (dy + dc));
      for (let r = 0; r < rows; r++) {
        out.set(f.y.subarray(r * dy, (r + 1) * dy), r * (dy + dc));
        if (f.c) out.set(f.c.subarray(r * dc, (r + 1) * dc), r * (dy + dc) + dy);
      }
      return out;
    }, { ...common, outChannels: dy + dc });
    // Score the body voxels once, from the blended features.
    const body = pre.bodyMask.data;
    const idx: number[] = [];
    for (let v = 0; v < body.length; v++) if (body[v]) idx.push(v);
    const y = new Float32Array(idx.length * dy), c = dc > 0 ? new Float32Array(idx.length * dc) : null;
    idx.forEach((v, r) => {
      for (let d = 0; d < dy; d++) y[r * dy + d] = channels[d].data[v];
      for (let d = 0; d < dc; d++) c![r * dc + d] = channels[dy + d].data[v];
    });
    const s = await scoreRows(density, y, c, idx.length, chunkRows);
    const data = new Float32Array(body.length).fill(NaN);
    idx.forEach((v, r) => (data[v] = s[r]));
    score = createVolume(data, pre.image.shape, pre.image.affine, "score");
  }
  return finishAnomalyMap(score, pre);
}
