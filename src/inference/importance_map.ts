/**
 * The Gaussian importance map that blends overlapping windows (METHOD §6).
 *
 * @module
 */
import type { Vec3 } from "../io/mod.ts";
import { checkMinWeight, checkPositive, checkVec3 } from "./_checks.ts";

/** Options for {@linkcode gaussianImportanceMap}; the same fields as `SlidingWindowOptions`. */
export interface ImportanceMapOptions {
  /** Gaussian σ as a fraction of the window size, per axis: σ_d = `windowVox[d]·sigmaScale`. @default {0.125} */
  sigmaScale?: number;
  /** Floor of the weights, so that the window border still counts and `Σ w` is never 0. @default {1e-3} */
  minWeight?: number;
}

/**
 * Weights of the voxels of one window for Gaussian blending, as MONAI's `compute_importance_map(mode="gaussian")`:
 * `w(i, j, k) = max(minWeight, g_0(i)·g_1(j)·g_2(k))` with
 * `g_d(t) = exp(−(t − (w_d − 1)/2)² / (2σ_d²)) / max_t exp(…)`, σ_d = `w_d·sigmaScale`. The Gaussian is centred
 * between the middle voxels of an even window, and each `g_d` is normalised to a maximum of 1, so the map's maximum
 * is exactly 1 (at the centre voxel(s)). With σ = w/8 the border of an axis sits ≈ 4σ from the centre (weight
 * ≈ e⁻⁸ ≈ 3·10⁻⁴ before the floor), so the floor decides the weights of the border and corners.
 *
 * @param windowVox Window size in voxels along i, j, k.
 * @param options See {@linkcode ImportanceMapOptions}.
 * @returns `windowVox[0]·windowVox[1]·windowVox[2]` float32 weights in `[minWeight, 1]`, i fastest (the layout of a
 *   window, `[wk, wj, wi]`).
 * @throws {RangeError} If `windowVox` is not 3 positive integers, `sigmaScale` is not positive, or `minWeight` is
 *   not in (0, 1].
 * @example
 * ```ts ignore
 * const w = gaussianImportanceMap([96, 96, 64]); // 589824 weights, w[47 + 96·(47 + 96·31)] === 1
 * ```
 */
export function gaussianImportanceMap(windowVox: Vec3, options: ImportanceMapOptions = {}): Float32Array {
  const { sigmaScale = 0.125, minWeight = 1e-3 } = options;
  const action = "compute importance map";
  checkVec3(windowVox, "windowVox", action);
  checkPositive(sigmaScale, "sigmaScale", action);
  checkMinWeight(minWeight, action);
  const g = [0, 1, 2].map((d) => {
    const w = windowVox[d], sigma = w * sigmaScale, centre = (w - 1) / 2;
    const nearest = w % 2 === 1 ? 0 : 0.25; // squared distance from the centre to the nearest voxel
    const out = new Float64Array(w);
    // Normalised in the exponent, so a tiny σ gives 1 at the centre instead of 0/0.
    for (let t = 0; t < w; t++) out[t] = Math.exp(-((t - centre) ** 2 - nearest) / (2 * sigma * sigma));
    return out;
  });
  const [w0, w1, w2] = windowVox;
  const map = new Float32Array(w0 * w1 * w2);
  for (let k = 0, q = 0; k < w2; k++) {
    for (let j = 0; j < w1; j++) {
      const gjk = g[1][j] * g[2][k];
      for (let i = 0; i < w0; i++, q++) map[q] = Math.max(minWeight, g[0][i] * gjk);
    }
  }
  return map;
}
