/**
 * Batches of crop pairs for dense self-supervised pretraining of the descriptor (METHOD §3) and condition (§4) models:
 * the tensors and pair indices the VICReg training step consumes.
 *
 * @module
 */
import { Rng } from "../data/mod.ts";
import type { Vec3 } from "../io/mod.ts";
import { type AppliedAugmentations, augmentCrop, type AugmentOptions, resolveAugmentOptions } from "./augment.ts";
import { blockMask, type BlockMaskOptions, resolveBlockMaskOptions } from "./block_mask.ts";
import { sampleCrop } from "./crop_image.ts";
import { type CropGrid, type CropPairOptions, resolveCropPairOptions, sampleCropPair } from "./crop_pair.ts";
import type { TrainingScan } from "./training_scan.ts";
import { checkNumber, isPositiveInteger } from "./_validate.ts";

/** The two self-supervised models (METHOD §3, §4). */
export const SSL_MODELS = ["descriptor", "condition"] as const;
/** One of {@linkcode SSL_MODELS}. */
export type SslModel = typeof SSL_MODELS[number];

/** Options for {@linkcode sampleBatch}: the crop-pair options plus batch size, model, augmentation and masking. */
export interface SampleBatchOptions extends CropPairOptions {
  /** Crop pairs per batch (METHOD §3: 8). @default {8} */
  batchSize?: number;
  /**
   * "descriptor": METHOD §3 crops, no masks. "condition": METHOD §4, the crop spacing goes up to (4, 4, 6) mm unless
   * `maxSpacingMm` is given, and each crop gets its own block mask. @default {"descriptor"}
   */
  model?: SslModel;
  /**
   * Maximum crop spacing in mm. @default {[2, 2, 3]} for "descriptor", `[4, 4, 6]` for "condition"
   */
  maxSpacingMm?: Vec3;
  /** Augmentations applied to each crop independently, or `false` for none. @default {{}} (METHOD §3) */
  augment?: AugmentOptions | false;
  /** Block masking of each crop, "condition" only (ignored for "descriptor"). @default {{}} (METHOD §4) */
  blockMask?: BlockMaskOptions;
}

/** One crop pair of a batch: where it came from and how it was made (for tests, debugging and figures). */
export interface CropPairSample {
  /** Index into the `scans` given to {@linkcode sampleBatch}. */
  readonly scanIndex: number;
  /** `TrainingScan.id` of that scan. */
  readonly scanId: string;
  /** The anchor voxel `(i, j, k)` of the scan, inside both crops. */
  readonly anchor: Vec3;
  /** Grid of crop A: spacing, world affine (crop voxel → RAS+ mm) and position in the scan. */
  readonly a: CropGrid;
  /** Grid of crop B. */
  readonly b: CropGrid;
  /** Augmentations applied to crop A (empty when none or `augment: false`). */
  readonly augmentA: AppliedAugmentations;
  /** Augmentations applied to crop B. */
  readonly augmentB: AppliedAugmentations;
  /** Flat scan voxel index of each of this sample's pairs, in batch order. */
  readonly voxels: Int32Array;
}

/**
 * A batch of B crop pairs. With V = nk·nj·ni voxels per crop, crop voxel (i, j, k) of sample b sits at flat index
 * `b·V + i + ni·(j + nj·k)` of every per-voxel array: the layout of a tfjs NDHWC tensor `[B, nk, nj, ni, 1]`
 * (`viewShape`), reshaped with no copy.
 */
export interface CropPairBatch {
  /** The model the batch was made for. */
  readonly model: SslModel;
  /** B, the number of crop pairs. */
  readonly batchSize: number;
  /** Crop voxels along i, j, k: `[ni, nj, nk]`. */
  readonly cropVox: Vec3;
  /** Tensor shape of the views and masks, NDHWC: `[B, nk, nj, ni, 1]`. */
  readonly viewShape: readonly [number, number, number, number, number];
  /** First crops, windowed and augmented intensities in [0, 1], NDHWC `[B, nk, nj, ni, 1]`. */
  readonly viewA: Float32Array;
  /** Second crops, same layout. */
  readonly viewB: Float32Array;
  /** Block masks of the first crops, same layout, 1 = masked; all zeros for "descriptor". Views are not zeroed. */
  readonly maskA: Uint8Array;
  /** Block masks of the second crops. */
  readonly maskB: Uint8Array;
  /** Positive pairs: flat index into `viewA` (`b·V + voxel`) of each pair's first voxel, length `pairCount`. */
  readonly pairsA: Int32Array;
  /** Flat index into `viewB` of each pair's second voxel. */
  readonly pairsB: Int32Array;
  /** Total number of positive pairs (≤ B · maxPairs; each sample has at least one). */
  readonly pairCount: number;
  /** Pairs of sample b are `pairOffsets[b] … pairOffsets[b + 1] − 1`; length B + 1. */
  readonly pairOffsets: Int32Array;
  /** Per sample: scan, anchor, crop grids (world affines) and augmentations. */
  readonly samples: readonly CropPairSample[];
}

/**
 * Draws a batch of crop pairs for self-supervised pretraining.
 *
 * Per sample b: one seed is drawn from `rng` (`rng.nextUint32()`, so B draws in all, in order); from it, the scan is
 * picked uniformly from `scans`, then independent sub-streams (`Rng.fork`) draw the crop pair (`sampleCropPair`), each
 * crop's augmentations (`augmentCrop`) and each crop's block mask (`blockMask`). Hence the same `rng` state and options
 * give an identical batch, and switching augmentation or masking off leaves the geometry unchanged. Crops are resampled
 * from the scan's image by `sampleCrop` (fill 0 outside the scan) straight into the batch tensors.
 *
 * @param scans The scans to draw from (at least one), e.g. from a `ScanCache`.
 * @param rng Source of all randomness; advanced by B draws.
 * @param options See {@linkcode SampleBatchOptions}.
 * @returns See {@linkcode CropPairBatch}.
 * @throws {RangeError} If `scans` is empty or an option is out of range (checked before any sampling).
 * @example Tiny condition-model batch
 * ```ts ignore
 * const batch = sampleBatch(scans, new Rng(7), { model: "condition", batchSize: 2, cropVox: [32, 32, 32] });
 * const x = tf.tensor5d(batch.viewA, batch.viewShape); // NDHWC
 * ```
 */
export function sampleBatch(scans: readonly TrainingScan[], rng: Rng, options: SampleBatchOptions = {}): CropPairBatch {
  const { batchSize = 8, model = "descriptor", augment = {}, blockMask: maskOptions = {}, ...rest } = options;
  if (!(SSL_MODELS as readonly string[]).includes(model)) {
    throw new RangeError(`Cannot sample batch for model "${model}": expected one of ${SSL_MODELS.join(", ")}`);
  }
  checkNumber("sample batch", "batchSize", batchSize, isPositiveInteger, "a positive integer");
  if (scans.length === 0) throw new RangeError("Cannot sample batch from 0 scans: expected at least one scan");
  const cropOptions = resolveCropPairOptions({
    ...rest,
    maxSpacingMm: rest.maxSpacingMm ?? (model === "condition" ? [4, 4, 6] : [2, 2, 3]),
  });
  const augmentOptions = augment === false ? null : resolveAugmentOptions(augment);
  const { cropVox } = cropOptions;
  const masking = model === "condition" ? resolveBlockMaskOptions(cropVox, maskOptions) : null;

  const [ni, nj, nk] = cropVox;
  const voxels = ni * nj * nk;
  const viewA = new Float32Array(batchSize * voxels);
  const viewB = new Float32Array(batchSize * voxels);
  const maskA = new Uint8Array(batchSize * voxels);
  const maskB = new Uint8Array(batchSize * voxels);
  const pairOffsets = new Int32Array(batchSize + 1);
  const pairsA = new Int32Array(batchSize * cropOptions.maxPairs);
  const pairsB = new Int32Array(batchSize * cropOptions.maxPairs);
  const samples: CropPairSample[] = [];
  for (let b = 0; b < batchSize; b++) {
    const sampleRng = new Rng(rng.nextUint32());
    const scanIndex = sampleRng.int(0, scans.length);
    const scan = scans[scanIndex];
    const pair = sampleCropPair(scan, sampleRng.fork("crops"), cropOptions);
    const offset = b * voxels;
    const sliceA = viewA.subarray(offset, offset + voxels);
    const sliceB = viewB.subarray(offset, offset + voxels);
    sampleCrop(scan.image, pair.a, { out: sliceA });
    sampleCrop(scan.image, pair.b, { out: sliceB });
    let augmentA: AppliedAugmentations = {}, augmentB: AppliedAugmentations = {};
    if (augmentOptions !== null) {
      const outA = augmentCrop(
        { data: sliceA, shape: cropVox, spacingMm: pair.a.spacingMm },
        sampleRng.fork("augmentA"),
        augmentOptions,
      );
      const outB = augmentCrop(
        { data: sliceB, shape: cropVox, spacingMm: pair.b.spacingMm },
        sampleRng.fork("augmentB"),
        augmentOptions,
      );
      sliceA.set(outA.data);
      sliceB.set(outB.data);
      augmentA = outA.applied;
      augmentB = outB.applied;
    }
    if (masking !== null) {
      maskA.set(blockMask(cropVox, sampleRng.fork("maskA"), masking), offset);
      maskB.set(blockMask(cropVox, sampleRng.fork("maskB"), masking), offset);
    }
    const start = pairOffsets[b];
    for (let q = 0; q < pair.pairsA.length; q++) {
      pairsA[start + q] = offset + pair.pairsA[q];
      pairsB[start + q] = offset + pair.pairsB[q];
    }
    pairOffsets[b + 1] = start + pair.pairsA.length;
    samples.push({
      scanIndex,
      scanId: scan.id,
      anchor: pair.anchor,
      a: pair.a,
      b: pair.b,
      augmentA,
      augmentB,
      voxels: pair.voxels,
    });
  }
  const pairCount = pairOffsets[batchSize];
  return {
    model,
    batchSize,
    cropVox: [ni, nj, nk],
    viewShape: [batchSize, nk, nj, ni, 1],
    viewA,
    viewB,
    maskA,
    maskB,
    pairsA: pairsA.slice(0, pairCount),
    pairsB: pairsB.slice(0, pairCount),
    pairCount,
    pairOffsets,
    samples,
  };
}
