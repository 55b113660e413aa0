/**
 * Intensity normalisation of CT (METHOD §2): clip to an HU window and scale to [0, 1].
 *
 * @module
 */
import { createVolume, type Volume, type VoxelArray } from "../io/mod.ts";

/** Options for {@linkcode windowHu}. */
export interface WindowHuOptions {
  /** Lower window edge in HU, mapped to 0. @default {-1000} */
  minHu?: number;
  /** Upper window edge in HU, mapped to 1. @default {300} */
  maxHu?: number;
}

/**
 * Clips a CT volume to an HU window and scales it linearly to [0, 1]: `(clamp(hu, minHu, maxHu) − minHu) / (maxHu −
 * minHu)`. Grid and affine are unchanged. NaN voxels stay NaN.
 *
 * METHOD §2's optional CLAHE (clip limit 0.05) after the window is a separate step, `clahe` (`preprocessCt`'s
 * `clahe` option); this function's output is the plain window.
 *
 * @param ct Volume in Hounsfield units (`unit === "HU"`).
 * @param options See {@linkcode WindowHuOptions}.
 * @returns A new float32 volume with `unit === "unit"` and values in [0, 1].
 * @throws {RangeError} If `minHu >= maxHu` or either is not finite.
 * @example Default window [−1000, 300] HU
 * ```ts ignore
 * const image = windowHu(ct); // −1000 HU → 0, 300 HU → 1, −350 HU → 0.5
 * ```
 */
export function windowHu(ct: Volume<VoxelArray>, options: WindowHuOptions = {}): Volume<Float32Array> {
  const { minHu = -1000, maxHu = 300 } = options;
  if (!(minHu < maxHu) || !Number.isFinite(minHu) || !Number.isFinite(maxHu)) {
    throw new RangeError(`Cannot window CT as minHu must be < maxHu: current values are ${minHu} and ${maxHu}`);
  }
  const src = ct.data;
  const out = new Float32Array(src.length);
  const scale = 1 / (maxHu - minHu);
  for (let p = 0; p < src.length; p++) {
    const v = src[p];
    out[p] = v <= minHu ? 0 : v >= maxHu ? 1 : (v - minHu) * scale;
  }
  return createVolume(out, ct.shape, ct.affine, "unit");
}
