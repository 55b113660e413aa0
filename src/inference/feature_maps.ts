/**
 * Whole-volume feature maps: the frozen descriptor y = f(x) and condition c of every voxel of a preprocessed scan,
 * stitched over sliding windows (METHOD §6's windows and Gaussian blending, applied to features instead of scores).
 * Used by `anomalyMap`'s `features` score mode and by the context ablation.
 *
 * @module
 */
import { createVolume, type Vec3, type Volume } from "../io/mod.ts";
import { type PreprocessCtOptions, type PreprocessedCt, resampleToGrid, resampleToSpacing } from "../preprocess/mod.ts";
import {
  conditionDim,
  descriptorDim,
  type FeatureExtractor,
  windowConditions,
  windowFeatures,
} from "../density/mod.ts";
import { slidingWindowChannels } from "./sliding_window.ts";
import { windowPositions } from "./window_positions.ts";

/** The frozen networks of a run and how they see a scan (an `AnomalyModels` without its density). */
export interface FeatureMapModels {
  /** The frozen networks and condition kind. */
  extractor: FeatureExtractor;
  /** Window size `[wi, wj, wk]` (the training crop; divisible by the U-Net's down-sampling). */
  windowVox: Vec3;
  /** Preprocessing, as for training. */
  preprocess: PreprocessCtOptions;
  /**
   * Grid of the condition network, in mm (i, j, k), or null/absent for the preprocessed grid itself. A coarser grid
   * gives the condition model more context per window and less of the local detail (METHOD §4: the authors' draft
   * condition network runs at stride 3×3×2); its output is brought back onto the preprocessed grid trilinearly, the
   * border value continued where the coarse grid falls short (`resampleToGrid`, `outside: "clamp"`). Only for the
   * `masked` condition. @default {null}
   */
  conditionSpacingMm?: Vec3 | null;
}

/** Options for {@linkcode featureMaps}. */
export interface FeatureMapOptions {
  /** Window overlap. @default {0.5} */
  overlap?: number;
  /** Windows per network call. @default {2} */
  batchSize?: number;
  /** Progress over windows. */
  onProgress?: (done: number, total: number) => void;
}

/** What {@linkcode featureMaps} returns. */
export interface FeatureMaps {
  /** Channels 0…dy−1 are the descriptor y, dy…dy+dc−1 the condition c; all on the preprocessed grid. */
  channels: Volume<Float32Array>[];
  /** Descriptor width Dy. */
  dy: number;
  /** Condition width Dc (0 for `none`). */
  dc: number;
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
 * The sliding-window inputs of a scan for an extractor, and a per-batch function that turns a batch of windows into
 * (y, c) rows. Inputs: the image alone; or (positional condition) the image plus the three normalised voxel
 * coordinates; or, when `conditionVolumes` is given (a precomputed condition, e.g. {@linkcode conditionMaps}), the
 * image plus those Dc volumes, whose window values become c as they are. With more than one input the windows are
 * interleaved NDHWC channels, split again before the networks.
 *
 * @param image Preprocessed intensities in [0, 1] (canonical RAS).
 * @param extractor The frozen networks.
 * @param windowVox Window size `[wi, wj, wk]`.
 * @param conditionVolumes Precomputed condition channels on `image`'s grid (`masked` only), or undefined to run the
 *   condition network on each window.
 * @returns `inputs` for `slidingWindow`/`slidingWindowChannels` and `features(windows, n)` giving y `[n·V, Dy]` and
 *   c `[n·V, Dc]` (null for `none`).
 */
export function windowInputs(
  image: Volume<Float32Array>,
  extractor: FeatureExtractor,
  windowVox: Vec3,
  conditionVolumes?: readonly Volume<Float32Array>[],
): {
  inputs: Volume<Float32Array>[];
  features: (windows: Float32Array, n: number) => Promise<{ y: Float32Array; c: Float32Array | null }>;
} {
  const positional = extractor.conditionKind === "positional";
  const extra = positional ? coordinateVolumes(image) : conditionVolumes ? [...conditionVolumes] : [];
  const inputs = [image, ...extra];
  const width = inputs.length;
  const descriptorOnly: FeatureExtractor = { ...extractor, condition: null, conditionKind: "none" };
  const features = async (windows: Float32Array, n: number) => {
    if (width === 1) return await windowFeatures(extractor, windows, n, windowVox);
    const voxels = windows.length / width, dc = width - 1;
    const img = new Float32Array(voxels), rest = new Float32Array(dc * voxels);
    for (let v = 0; v < voxels; v++) {
      img[v] = windows[width * v];
      for (let d = 0; d < dc; d++) rest[dc * v + d] = windows[width * v + 1 + d];
    }
    if (positional) return await windowFeatures(extractor, img, n, windowVox, rest);
    return { y: (await windowFeatures(descriptorOnly, img, n, windowVox)).y, c: rest };
  };
  return { inputs, features };
}

/**
 * The descriptor and condition of every voxel of a preprocessed scan: each window goes through the frozen networks,
 * and the features are blended across windows with the Gaussian importance weights of `slidingWindowChannels`.
 * Memory: (Dy + Dc) float32 volumes of the preprocessed grid, plus one batch of windows.
 *
 * @param pre The scan preprocessed with `models.preprocess` (`preprocessCt`).
 * @param models The frozen networks, window size and preprocessing of a run.
 * @param options See {@linkcode FeatureMapOptions}.
 * @returns Dy + Dc volumes on `pre.image`'s grid.
 * @throws {RangeError} If an option is out of range.
 * @example
 * ```ts ignore
 * const pre = preprocessCt(ct, models.preprocess);
 * const { channels, dy } = await featureMaps(pre, models, { overlap: 0.25 });
 * ```
 */
export async function featureMaps(
  pre: Pick<PreprocessedCt, "image">,
  models: FeatureMapModels,
  options: FeatureMapOptions = {},
): Promise<FeatureMaps> {
  const { overlap = 0.5, batchSize = 2, onProgress } = options;
  const { extractor, windowVox, conditionSpacingMm } = models;
  const dy = descriptorDim(extractor), dc = conditionDim(extractor);
  if (conditionSpacingMm && extractor.conditionKind === "masked") {
    return {
      channels: await coarseConditionMaps(pre.image, extractor, windowVox, conditionSpacingMm, options),
      dy,
      dc,
    };
  }
  const { inputs, features } = windowInputs(pre.image, extractor, windowVox);
  const channels = await slidingWindowChannels(inputs, async (windows, n) => {
    const f = await features(windows, n);
    const rows = f.y.length / dy;
    const out = new Float32Array(rows * (dy + dc));
    for (let r = 0; r < rows; r++) {
      out.set(f.y.subarray(r * dy, (r + 1) * dy), r * (dy + dc));
      if (f.c) out.set(f.c.subarray(r * dc, (r + 1) * dc), r * (dy + dc) + dy);
    }
    return out;
  }, { windowVox, overlap, batchSize, onProgress, outChannels: dy + dc });
  return { channels, dy, dc };
}

/** Sliding-window maps of a per-window function with `width` output channels over a volume. */
function mapsOf(
  perWindow: (windows: Float32Array, n: number) => Promise<Float32Array>,
  width: number,
  input: Volume<Float32Array>,
  windowVox: Vec3,
  options: FeatureMapOptions,
): Promise<Volume<Float32Array>[]> {
  const { overlap = 0.5, batchSize = 2, onProgress } = options;
  return slidingWindowChannels(input, perWindow, { windowVox, overlap, batchSize, outChannels: width, onProgress });
}

/**
 * The condition of every voxel of a preprocessed image computed on a coarser grid (see
 * `FeatureMapModels.conditionSpacingMm`): the image is resampled (trilinear) to `spacingMm`, the condition network
 * runs over it in sliding windows of `windowVox` (Gaussian blending), and each output channel is brought back onto the
 * image's grid trilinearly, the border value continued where the coarse grid falls short.
 *
 * @param image Preprocessed intensities in [0, 1] (canonical RAS).
 * @param extractor The frozen networks; needs the condition network (`masked`).
 * @param windowVox Window size `[wi, wj, wk]` (in voxels of the coarse grid).
 * @param spacingMm The condition network's grid, in mm.
 * @param options Overlap, batch size, and progress over the coarse grid's windows.
 * @returns Dc float32 volumes on `image`'s grid.
 * @throws {TypeError} If the extractor has no condition network.
 */
export async function conditionMaps(
  image: Volume<Float32Array>,
  extractor: FeatureExtractor,
  windowVox: Vec3,
  spacingMm: Vec3,
  options: FeatureMapOptions = {},
): Promise<Volume<Float32Array>[]> {
  if (extractor.conditionKind !== "masked" || !extractor.condition) {
    throw new TypeError(
      `Cannot compute condition maps on a coarser grid: the condition is "${extractor.conditionKind}": expected "masked"`,
    );
  }
  return await conditionMapsFrom(resampleToSpacing(image, spacingMm), image, extractor, windowVox, options);
}

/** {@linkcode conditionMaps} from the already resampled image `coarse`, brought back onto `image`'s grid. */
async function conditionMapsFrom(
  coarse: Volume<Float32Array>,
  image: Volume<Float32Array>,
  extractor: FeatureExtractor,
  windowVox: Vec3,
  options: FeatureMapOptions,
): Promise<Volume<Float32Array>[]> {
  const maps = await mapsOf(
    (windows, n) => windowConditions(extractor, windows, n, windowVox),
    conditionDim(extractor),
    coarse,
    windowVox,
    options,
  );
  return maps.map((ch) => resampleToGrid(ch, image, { outside: "clamp" }));
}

/** Number of sliding windows over a grid. */
function windowCount(shape: Vec3, windowVox: Vec3, overlap: number): number {
  return windowPositions(shape, { windowVox, overlap }).reduce((a, s) => a * s.length, 1);
}

/**
 * Descriptor channels on the image's grid, condition channels from {@linkcode conditionMaps}. Progress counts the
 * windows of both passes.
 */
async function coarseConditionMaps(
  image: Volume<Float32Array>,
  extractor: FeatureExtractor,
  windowVox: Vec3,
  spacingMm: Vec3,
  options: FeatureMapOptions,
): Promise<Volume<Float32Array>[]> {
  const { overlap = 0.5, onProgress } = options;
  const coarse = resampleToSpacing(image, spacingMm);
  const fine = windowCount(image.shape, windowVox, overlap);
  const total = fine + windowCount(coarse.shape, windowVox, overlap);
  const alone: FeatureExtractor = { ...extractor, condition: null, conditionKind: "none" };
  const y = await mapsOf(
    async (windows, n) => (await windowFeatures(alone, windows, n, windowVox)).y,
    descriptorDim(extractor),
    image,
    windowVox,
    {
      ...options,
      onProgress: onProgress ? (done) => onProgress(done, total) : undefined,
    },
  );
  const c = await conditionMapsFrom(coarse, image, extractor, windowVox, {
    ...options,
    onProgress: onProgress ? (done) => onProgress(fine + done, total) : undefined,
  });
  return [...y, ...c];
}

/**
 * Gathers the feature rows of listed voxels from channel volumes: row r is voxel `voxels[r]` of channels
 * `from … from + width − 1`.
 *
 * @returns `[voxels.length, width]` row-major.
 */
export function channelRows(
  channels: readonly Volume<Float32Array>[],
  from: number,
  width: number,
  voxels: ArrayLike<number>,
): Float32Array {
  const out = new Float32Array(voxels.length * width);
  for (let d = 0; d < width; d++) {
    const data = channels[from + d].data;
    for (let r = 0; r < voxels.length; r++) out[r * width + d] = data[voxels[r]];
  }
  return out;
}
