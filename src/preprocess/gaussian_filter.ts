/**
 * Separable 3D Gaussian smoothing of a voxel array, equal to `scipy.ndimage.gaussian_filter` with its default
 * boundary mode.
 *
 * @module
 */

/**
 * Smooths a 3D array with a Gaussian of standard deviation `sigmaVoxels` (in voxels, per axis), as
 * `scipy.ndimage.gaussian_filter(x, sigma, mode="reflect", truncate=truncate)` does on the same array in (k, j, i)
 * order with the sigmas reversed.
 *
 * - **Layout**: the repo's `Volume` layout, i fastest: `data[i + I·(j + J·k)]` with `shape = [I, J, K]`.
 * - **Kernel**: per axis, weights `exp(−x²/(2σ²))` for integer `x` in `[−r, r]`, `r = floor(truncate·σ + 0.5)`,
 *   normalised to sum 1 (scipy's `_gaussian_kernel1d`). A sigma of 0 leaves that axis unfiltered.
 * - **Boundary**: scipy's default "reflect", i.e. half-sample symmetric (`d c b a | a b c d | d c b a`), repeated with
 *   period 2n when the kernel is longer than the axis.
 * - **Precision**: each 1D pass accumulates in float64 and stores float32 (as scipy does on a float32 array); the
 *   passes run along i, then j, then k. Cost: `(2r + 1)` multiply-adds per voxel per filtered axis; memory: the output
 *   plus one float32 scratch volume.
 *
 * Uses: smoothing a voxel feature (HU, a one-hot tissue map) in the context-oracle reference of the density stage.
 * The phantom generator keeps its own blur (`blur3d` in src/data/_noise.ts: radius ⌈3σ⌉, edge voxels replicated, in
 * place): it defines the phantoms' images, so routing it through this filter would change every seeded phantom and
 * every figure measured on them.
 *
 * @param data Voxel values, i fastest; not modified.
 * @param shape Voxels along i, j, k.
 * @param sigmaVoxels Gaussian standard deviation along i, j, k in voxels (not mm), each ≥ 0.
 * @param truncate Kernel radius in standard deviations (scipy's `truncate`). @default {4}
 * @returns A new `Float32Array` of the same length.
 * @throws {TypeError} If the shape is not 3 positive integers or `data` has another length than the shape says.
 * @throws {RangeError} If a sigma is negative or not finite, or `truncate` is not a positive finite number.
 * @example Smoothing a volume by 1 mm on a 0.7 × 0.7 × 2 mm grid
 * ```ts ignore
 * const smooth = gaussianFilter3d(ct.data, ct.shape, [1 / 0.7, 1 / 0.7, 1 / 2]); // Float32Array, ct.shape
 * ```
 */
export function gaussianFilter3d(
  data: ArrayLike<number>,
  shape: readonly [number, number, number],
  sigmaVoxels: readonly [number, number, number],
  truncate = 4,
): Float32Array {
  if (shape.length !== 3 || shape.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new TypeError(`Cannot smooth volume: shape is [${shape.join(", ")}]: expected 3 positive integers`);
  }
  const total = shape[0] * shape[1] * shape[2];
  if (data.length !== total) {
    throw new TypeError(
      `Cannot smooth volume: data has ${data.length} values but shape ${shape.join("×")} needs ${total}`,
    );
  }
  if (sigmaVoxels.length !== 3 || sigmaVoxels.some((s) => !(s >= 0 && Number.isFinite(s)))) {
    throw new RangeError(
      `Cannot smooth volume: sigmaVoxels is [${sigmaVoxels.join(", ")}]: expected 3 finite numbers ≥ 0`,
    );
  }
  if (!(truncate > 0 && Number.isFinite(truncate))) {
    throw new RangeError(`Cannot smooth volume: truncate is ${truncate}: expected a positive finite number`);
  }
  let src = Float32Array.from(data);
  let dst = new Float32Array(total);
  for (let axis = 0; axis < 3; axis++) {
    const sigma = sigmaVoxels[axis];
    if (sigma <= 1e-15) continue; // scipy skips such axes too
    smoothAxis(src, dst, shape, axis, gaussianKernel1d(sigma, truncate));
    [src, dst] = [dst, src];
  }
  return src;
}

/** scipy's `_gaussian_kernel1d(sigma, 0, radius)` with `radius = int(truncate·sigma + 0.5)`, float64. */
function gaussianKernel1d(sigma: number, truncate: number): Float64Array {
  const radius = Math.floor(truncate * sigma + 0.5);
  const w = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let x = -radius; x <= radius; x++) sum += w[x + radius] = Math.exp(-0.5 * (x * x) / (sigma * sigma));
  for (let t = 0; t < w.length; t++) w[t] /= sum;
  return w;
}

/** Index of position `x` (any integer) on an axis of `n` voxels under half-sample symmetric reflection. */
function reflectIndex(x: number, n: number): number {
  const period = 2 * n;
  let m = x % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

/** One 1D correlation pass of `kernel` along `axis` from `src` into `dst` (same layout). */
function smoothAxis(
  src: Float32Array,
  dst: Float32Array,
  shape: readonly [number, number, number],
  axis: number,
  kernel: Float64Array,
): void {
  const n = shape[axis];
  const r = (kernel.length - 1) >> 1;
  // Source position along the axis of each tap of each output position, precomputed once per pass.
  const taps = new Int32Array(n * kernel.length);
  for (let t = 0; t < n; t++) {
    for (let m = 0; m < kernel.length; m++) taps[t * kernel.length + m] = reflectIndex(t + m - r, n);
  }
  const inner = axis === 0 ? 1 : axis === 1 ? shape[0] : shape[0] * shape[1];
  const outer = (shape[0] * shape[1] * shape[2]) / (n * inner);
  if (inner === 1) {
    // Contiguous lines (axis i): one line at a time.
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      for (let t = 0; t < n; t++) {
        let acc = 0;
        const tb = t * kernel.length;
        for (let m = 0; m < kernel.length; m++) acc += kernel[m] * src[base + taps[tb + m]];
        dst[base + t] = acc;
      }
    }
    return;
  }
  // Strided axes (j, k): whole contiguous runs of `inner` values at a time, accumulated in float64.
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (let t = 0; t < n; t++) {
      acc.fill(0);
      const tb = t * kernel.length;
      for (let m = 0; m < kernel.length; m++) {
        const w = kernel[m];
        const s = base + taps[tb + m] * inner;
        for (let q = 0; q < inner; q++) acc[q] += w * src[s + q];
      }
      dst.set(acc, base + t * inner);
    }
  }
}
