/**
 * Private in-place kernels of the crop augmentations (`augment.ts` holds the public, validated, pure versions).
 * Arrays are crops in the project's order, i fastest: `data[i + ni·(j + nj·k)]`.
 *
 * @module
 */
import type { Rng } from "../data/mod.ts";
import type { Vec3 } from "../io/mod.ts";

/**
 * Sampled, normalised Gaussian kernel of standard deviation `sigmaVox` voxels and radius `floor(4·σ + 0.5)`, as
 * `scipy.ndimage.gaussian_filter1d` with its default `truncate = 4`. σ ≤ 0 gives the identity `[1]`.
 */
export function gaussianKernel(sigmaVox: number): Float64Array {
  const r = sigmaVox > 0 ? Math.floor(4 * sigmaVox + 0.5) : 0;
  const w = new Float64Array(2 * r + 1);
  if (r === 0) {
    w[0] = 1;
    return w;
  }
  let sum = 0;
  for (let t = -r; t <= r; t++) sum += w[t + r] = Math.exp(-0.5 * (t / sigmaVox) ** 2);
  for (let t = 0; t < w.length; t++) w[t] /= sum;
  return w;
}

/**
 * Gaussian blur along i and j only (in plane), σ given per axis in voxels; borders continue the edge value (scipy's
 * mode "nearest"). In place: `data` is overwritten, using one row and one plane of scratch.
 */
export function blurInPlaneInto(data: Float32Array, shape: Vec3, sigmaVoxI: number, sigmaVoxJ: number): void {
  const [ni, nj, nk] = shape;
  const wi = gaussianKernel(sigmaVoxI);
  const wj = gaussianKernel(sigmaVoxJ);
  const ri = (wi.length - 1) / 2, rj = (wj.length - 1) / 2;
  if (ri > 0) {
    const line = new Float64Array(ni + 2 * ri);
    for (let row = 0; row < nj * nk; row++) {
      const o = row * ni;
      for (let t = 0; t < line.length; t++) line[t] = data[o + Math.min(ni - 1, Math.max(0, t - ri))];
      for (let i = 0; i < ni; i++) {
        let s = 0;
        for (let t = 0; t < wi.length; t++) s += wi[t] * line[i + t];
        data[o + i] = s;
      }
    }
  }
  if (rj > 0) {
    const plane = new Float32Array(ni * nj);
    const acc = new Float64Array(ni);
    for (let k = 0; k < nk; k++) {
      const o = k * ni * nj;
      plane.set(data.subarray(o, o + ni * nj));
      for (let j = 0; j < nj; j++) {
        acc.fill(0);
        for (let t = 0; t < wj.length; t++) {
          const w = wj[t];
          const src = Math.min(nj - 1, Math.max(0, j + t - rj)) * ni;
          for (let i = 0; i < ni; i++) acc[i] += w * plane[src + i];
        }
        for (let i = 0; i < ni; i++) data[o + j * ni + i] = acc[i];
      }
    }
  }
}

/** Unsharp mask in plane: `x + amount·(x − blur(x))`, in place (one crop-sized scratch copy). */
export function sharpenInPlaneInto(
  data: Float32Array,
  shape: Vec3,
  sigmaVoxI: number,
  sigmaVoxJ: number,
  amount: number,
): void {
  const blurred = data.slice();
  blurInPlaneInto(blurred, shape, sigmaVoxI, sigmaVoxJ);
  for (let p = 0; p < data.length; p++) data[p] += amount * (data[p] - blurred[p]);
}

/** `x ← factor·x`. */
export function scaleInto(data: Float32Array, factor: number): void {
  for (let p = 0; p < data.length; p++) data[p] *= factor;
}

/** Mean of the values (float64 accumulation). */
export function meanOf(data: Float32Array): number {
  let s = 0;
  for (let p = 0; p < data.length; p++) s += data[p];
  return data.length > 0 ? s / data.length : 0;
}

/** `x ← m + factor·(x − m)` with `m` the mean of `data`. */
export function contrastInto(data: Float32Array, factor: number): void {
  const m = meanOf(data);
  for (let p = 0; p < data.length; p++) data[p] = m + factor * (data[p] - m);
}

/** `x ← clip(x, 0, 1)^gamma`. */
export function gammaInto(data: Float32Array, gamma: number): void {
  for (let p = 0; p < data.length; p++) {
    const x = data[p];
    data[p] = x <= 0 ? 0 : x >= 1 ? 1 : x ** gamma;
  }
}

/**
 * `x ← x + N(0, std²)`, one independent draw per voxel: Marsaglia's polar method (two normals per accepted pair of
 * uniforms, no trigonometry).
 */
export function noiseInto(data: Float32Array, std: number, rng: Rng): void {
  if (std === 0) return;
  const n = data.length;
  for (let p = 0; p < n; p += 2) {
    let u = 0, v = 0, s = 0;
    do {
      u = 2 * rng.next() - 1;
      v = 2 * rng.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = std * Math.sqrt((-2 * Math.log(s)) / s);
    data[p] += u * f;
    if (p + 1 < n) data[p + 1] += v * f;
  }
}

/** `x ← clip(x, 0, 1)`. */
export function clipInto(data: Float32Array): void {
  for (let p = 0; p < data.length; p++) {
    const x = data[p];
    if (x < 0) data[p] = 0;
    else if (x > 1) data[p] = 1;
  }
}
