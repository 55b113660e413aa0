/**
 * The whole preprocessing of METHOD §2 in one call, and the way back: a map on the preprocessed grid restored onto the
 * scan's own grid and affine.
 *
 * @module
 */
import { CANONICAL_AXCODES, createVolume, reorient, type Vec3, type Volume, type VoxelArray } from "../io/mod.ts";
import { bodyMask } from "./body_mask.ts";
import { bodyCropBox, type CropBox, cropVolume } from "./crop.ts";
import { type Grid, resampleToGrid, resampleToSpacing } from "./resample.ts";
import { windowHu } from "./window_hu.ts";
import { clahe as applyClahe, type ClaheOptions } from "./clahe.ts";

/** Options for {@linkcode preprocessCt}. */
export interface PreprocessCtOptions {
  /** Output voxel spacing along i (R), j (A), k (S) in mm. @default {[1, 1, 1.5]} */
  spacingMm?: Vec3;
  /** Lower edge of the intensity window in HU, mapped to 0. @default {-1000} */
  minHu?: number;
  /** Upper edge of the intensity window in HU, mapped to 1. @default {300} */
  maxHu?: number;
  /** Air threshold in HU: below is air (body mask), at or above is tissue (body crop). @default {-500} */
  airHu?: number;
  /** Block edge of the body crop in mm. @default {5} */
  blockMm?: number;
  /** Margin around the body crop in mm. @default {0} */
  marginMm?: number;
  /**
   * Oblique affines (METHOD §2: the authors rejected them): "error" throws `ObliqueAffineError` from `src/io`;
   * "nearest" reorients to the closest axes and keeps the exact oblique affine. @default {"error"}
   */
  oblique?: "error" | "nearest";
  /**
   * CLAHE after the window (METHOD §2: the authors apply it with clip limit 0.05; "treat CLAHE as an option"):
   * `null` skips it, an object applies `clahe` (this folder's `clahe.ts`) with those options to the whole preprocessed
   * scan (tiles of 1/8 of the cropped, resampled volume per axis unless `kernelVox` says otherwise).
   * Off by default, so runs made before it existed keep their preprocessing. @default {null}
   */
  clahe?: ClaheOptions | null;
}

/** What {@linkcode preprocessCt} returns. All volumes share one grid: the preprocessed (canonical RAS) grid. */
export interface PreprocessedCt {
  /** Windowed intensities in [0, 1] (`unit === "unit"`): the network input. */
  readonly image: Volume<Float32Array>;
  /** Resampled HU before windowing (`unit === "HU"`), e.g. for evaluation and figures. */
  readonly hu: Volume<Float32Array>;
  /** Body mask on the preprocessed grid (`unit === "label"`, 1 = body), computed from `hu`. */
  readonly bodyMask: Volume<Uint8Array>;
  /** The body crop box, in voxels of the input after reorientation to RAS (before resampling). */
  readonly cropBox: CropBox;
  /** The input's own grid (before reorientation): where {@linkcode restoreToOriginal} puts maps back. */
  readonly original: Grid;
}

/**
 * Preprocesses a CT volume as in METHOD §2: reorient to canonical RAS (`reorient` from `src/io`; permutation and flips
 * only, exact) → body crop on raw HU (`bodyCropBox`: 5 mm blocks with more than half of their voxels ≥ `airHu`) →
 * linear resampling to `spacingMm` (`resampleToSpacing`, voxel 0 centre kept) → HU window to [0, 1] (`windowHu`) →
 * optionally CLAHE (`clahe` option).
 *
 * The body mask is computed on the resampled HU grid, not resampled (nearest) from a native-grid mask: thresholding
 * linearly interpolated HU at `airHu` puts the skin at the interpolated iso-surface instead of nearest's staircase,
 * costs fewer voxels, and matches exactly the HU the model sees. It uses {@linkcode bodyMask}'s per-axial-slice fill,
 * which needs the canonical layout reached here (k axial).
 *
 * @param ct CT volume in Hounsfield units, in any axis-aligned orientation (as read from disk); its `unit` is not
 *   checked (a reader may leave it "other"), and `hu` is labelled "HU".
 * @param options See {@linkcode PreprocessCtOptions}.
 * @returns See {@linkcode PreprocessedCt}.
 * @throws {RangeError} If an option is out of range, or the volume has no body to crop (all air).
 * @throws {RangeError} `ObliqueAffineError` (a `RangeError`) if the affine is oblique and `oblique` is "error".
 * @example Preprocess, score, and write the map on the scan's own grid
 * ```ts ignore
 * const ct = await readVolume("scan.nii.gz", { unit: "HU" });
 * const pre = preprocessCt(ct);
 * const map = await anomalyMap(pre.image, models); // on pre.image's grid
 * await writeVolume("scan_anomaly.nii.gz", restoreToOriginal(map, pre.original));
 * ```
 */
export function preprocessCt(ct: Volume<VoxelArray>, options: PreprocessCtOptions = {}): PreprocessedCt {
  const {
    spacingMm = [1, 1, 1.5],
    minHu = -1000,
    maxHu = 300,
    airHu = -500,
    blockMm = 5,
    marginMm = 0,
    oblique = "error",
    clahe = null,
  } = options;
  if (!(minHu < maxHu) || !Number.isFinite(minHu) || !Number.isFinite(maxHu)) {
    // Checked before the expensive steps; windowHu would throw the same.
    throw new RangeError(`Cannot preprocess CT as minHu must be < maxHu: current values are ${minHu} and ${maxHu}`);
  }
  const canonical = reorient(ct, CANONICAL_AXCODES, { oblique });
  const cropBox = bodyCropBox(canonical, { minHu: airHu, blockMm, marginMm });
  const resampled = resampleToSpacing(cropVolume(canonical, cropBox), spacingMm, { order: "linear" });
  const hu = createVolume(resampled.data, resampled.shape, resampled.affine, "HU"); // whatever unit the reader set
  const windowed = windowHu(hu, { minHu, maxHu });
  return {
    image: clahe === null ? windowed : applyClahe(windowed, clahe),
    hu,
    bodyMask: bodyMask(hu, { airHu }),
    cropBox,
    original: { shape: [ct.shape[0], ct.shape[1], ct.shape[2]], affine: Array.from(ct.affine) },
  };
}

/** Options for {@linkcode restoreToOriginal} and {@linkcode resampleMaskToGrid}. */
export interface RestoreOptions {
  /** Value of voxels outside the map's footprint (outside the body crop). @default {0} */
  fill?: number;
}

/**
 * Puts a map computed on the preprocessed grid (an anomaly map, the resampled HU, …) back onto the scan's own grid
 * and affine with trilinear interpolation (`resampleToGrid`). It works through the affines, so one step undoes the
 * resampling, the crop and the reorientation; a viewer then overlays the result on the input without shift.
 *
 * Voxels outside the map's footprint (outside the body crop, or in the last fraction of a voxel at the crop's far
 * edges that the resampled grid does not reach) get `fill`.
 *
 * @param map A volume on the preprocessed grid (any unit; kept).
 * @param original `PreprocessedCt.original`, or any target grid.
 * @param options See {@linkcode RestoreOptions}.
 * @returns A float32 volume with `original`'s shape and affine.
 * @example
 * ```ts ignore
 * const onScan = restoreToOriginal(map, pre.original, { fill: 0 });
 * ```
 */
export function restoreToOriginal(
  map: Volume<VoxelArray>,
  original: Grid,
  options: RestoreOptions = {},
): Volume<Float32Array> {
  const { fill = 0 } = options;
  return resampleToGrid(map, original, { order: "linear", fill });
}

/**
 * Brings a label mask onto another grid with nearest-neighbour sampling, keeping labels and array type: e.g. a
 * ground-truth lesion mask from the scan's grid onto the preprocessed grid (`grid = pre.image`), or back.
 *
 * @param mask Label volume (any integer array type).
 * @param grid Target shape and affine (a `Volume` works).
 * @param options See {@linkcode RestoreOptions}.
 * @returns A volume of `mask`'s array type with `grid`'s shape and affine.
 * @example Lesion mask onto the network's grid
 * ```ts ignore
 * const lesions = resampleMaskToGrid(await readVolume("mask.nii.gz", { unit: "label" }), pre.image);
 * ```
 */
export function resampleMaskToGrid<T extends VoxelArray>(
  mask: Volume<T>,
  grid: Grid,
  options: RestoreOptions = {},
): Volume<T> {
  const { fill = 0 } = options;
  return resampleToGrid(mask, grid, { order: "nearest", fill });
}
