/**
 * Private: image formation of the phantom generator. A separable Gaussian blur (partial-volume effect) and
 * CT-like noise: white Gaussian noise blurred in-plane (the reconstruction kernel's correlation) and carried from
 * slice to slice by an AR(1) process, scaled to a target standard deviation, added and rounded to int16.
 *
 * @module
 */
import { deriveSeed } from "./rng.ts";

/** Normalised 1D Gaussian kernel with radius ⌈3σ⌉ (σ in voxels); σ ≤ 0.05 gives the identity `[1]`. */
export function gaussianKernel(sigma: number): Float32Array {
  if (!(sigma > 0.05)) return Float32Array.of(1);
  const r = Math.ceil(3 * sigma);
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let t = -r; t <= r; t++) sum += k[t + r] = Math.exp(-0.5 * (t / sigma) ** 2);
  for (let t = 0; t < k.length; t++) k[t] /= sum;
  return k;
}

/**
 * Blurs a volume in place with a separable Gaussian (σ in voxels per axis, i fastest), replicating edge voxels.
 * Works on contiguous rows only, so memory traffic stays sequential on large volumes.
 */
export function blur3d(data: Float32Array, shape: readonly number[], sigmaVox: readonly number[]): void {
  const [ni, nj, nk] = shape;
  const kx = gaussianKernel(sigmaVox[0]), ky = gaussianKernel(sigmaVox[1]), kz = gaussianKernel(sigmaVox[2]);
  if (kx.length > 1) { for (let row = 0; row < nj * nk; row++) blurRow(data, row * ni, ni, kx); }
  if (ky.length > 1) {
    const temp = new Float32Array(ni * nj);
    for (let k = 0; k < nk; k++) blurPlaneRows(data, k * ni * nj, ni, ni, nj, ky, temp);
  }
  if (kz.length > 1) {
    // Gather the (i, k) plane of each j into a contiguous buffer, blur its rows along k, scatter back.
    const temp = new Float32Array(ni * nk);
    const plane = ni * nj;
    for (let j = 0; j < nj; j++) {
      for (let k = 0; k < nk; k++) temp.set(data.subarray(j * ni + k * plane, j * ni + k * plane + ni), k * ni);
      const r = (kz.length - 1) >> 1;
      for (let k = 0; k < nk; k++) {
        const dst = j * ni + k * plane;
        data.fill(0, dst, dst + ni);
        for (let t = -r; t <= r; t++) {
          const kk = k + t < 0 ? 0 : k + t >= nk ? nk - 1 : k + t;
          const w = kz[t + r], src = kk * ni;
          for (let i = 0; i < ni; i++) data[dst + i] += w * temp[src + i];
        }
      }
    }
  }
}

const lineBuf = { data: new Float32Array(0) };

/** Blurs `n` contiguous values starting at `off` with kernel `kern`, edges replicated. */
function blurRow(data: Float32Array, off: number, n: number, kern: Float32Array): void {
  const r = (kern.length - 1) >> 1;
  if (lineBuf.data.length < n + 2 * r) lineBuf.data = new Float32Array(n + 2 * r);
  const buf = lineBuf.data;
  buf.set(data.subarray(off, off + n), r);
  const first = data[off], last = data[off + n - 1];
  for (let t = 0; t < r; t++) {
    buf[t] = first;
    buf[n + r + t] = last;
  }
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let t = 0; t < kern.length; t++) acc += kern[t] * buf[i + t];
    data[off + i] = acc;
  }
}

/** Blurs along the row index of an `nRows × rowLen` plane stored at `off` (rows contiguous), via `temp`. */
function blurPlaneRows(
  data: Float32Array,
  off: number,
  rowLen: number,
  stride: number,
  nRows: number,
  kern: Float32Array,
  temp: Float32Array,
): void {
  const r = (kern.length - 1) >> 1;
  temp.set(data.subarray(off, off + nRows * stride));
  for (let j = 0; j < nRows; j++) {
    const dst = off + j * stride;
    data.fill(0, dst, dst + rowLen);
    for (let t = -r; t <= r; t++) {
      const jj = j + t < 0 ? 0 : j + t >= nRows ? nRows - 1 : j + t;
      const w = kern[t + r], src = jj * stride;
      for (let i = 0; i < rowLen; i++) data[dst + i] += w * temp[src + i];
    }
  }
}

/** Options of {@linkcode addNoise}. */
export interface NoiseOptions {
  /** Standard deviation of the added noise in HU. */
  stdHu: number;
  /** In-plane correlation: Gaussian σ in voxels along i and j. */
  sigmaVox: readonly [number, number];
  /** Correlation between neighbouring slices, in [0, 1). */
  rho: number;
  /** Seed of the noise stream. */
  seed: number;
  /** Output range in HU (values are clipped, as scanners do). */
  minHu: number;
  maxHu: number;
}

/**
 * Adds correlated Gaussian noise to a clean HU volume and writes the rounded, clipped result to `out`.
 * Noise: per slice, white noise blurred in-plane and rescaled to unit variance, then mixed with the previous slice's
 * noise as `n_k = ρ·n_{k−1} + √(1−ρ²)·w_k` (variance stays 1), times `stdHu`.
 */
export function addNoise(clean: Float32Array, out: Int16Array, shape: readonly number[], o: NoiseOptions): void {
  const [ni, nj, nk] = shape;
  const plane = ni * nj;
  const kx = gaussianKernel(o.sigmaVox[0]), ky = gaussianKernel(o.sigmaVox[1]);
  let gain = 0, gx = 0, gy = 0;
  for (const w of kx) gx += w * w;
  for (const w of ky) gy += w * w;
  gain = 1 / Math.sqrt(gx * gy); // white noise of variance 1 has variance gx·gy after the 2D blur
  const table = normalTable();
  const white = new Float32Array(plane);
  const ar = new Float32Array(plane);
  const temp = new Float32Array(plane);
  const mix = Math.sqrt(1 - o.rho * o.rho);
  let state = deriveSeed(o.seed, "noise") | 0;
  for (let k = 0; k < nk; k++) {
    for (let n = 0; n < plane; n += 2) {
      // mulberry32, inlined: one 32-bit draw gives two table-based Gaussian values.
      let a = (state = (state + 0x6d2b79f5) | 0);
      a = Math.imul(a ^ (a >>> 15), a | 1);
      a ^= a + Math.imul(a ^ (a >>> 7), a | 61);
      a = (a ^ (a >>> 14)) >>> 0;
      white[n] = table[a & 0xffff];
      if (n + 1 < plane) white[n + 1] = table[a >>> 16];
    }
    if (kx.length > 1) { for (let j = 0; j < nj; j++) blurRow(white, j * ni, ni, kx); }
    if (ky.length > 1) blurPlaneRows(white, 0, ni, ni, nj, ky, temp);
    const base = k * plane;
    const first = k === 0;
    for (let n = 0; n < plane; n++) {
      const w = white[n] * gain;
      const v = first ? w : o.rho * ar[n] + mix * w;
      ar[n] = v;
      let hu = Math.round(clean[base + n] + o.stdHu * v);
      if (hu < o.minHu) hu = o.minHu;
      else if (hu > o.maxHu) hu = o.maxHu;
      out[base + n] = hu;
    }
  }
}

let table65536: Float32Array | null = null;

/** 65536 standard-normal quantiles at (u + 0.5)/65536: a 16-bit random index gives a Gaussian value. */
function normalTable(): Float32Array {
  if (table65536 !== null) return table65536;
  const t = new Float32Array(65536);
  for (let u = 0; u < 65536; u++) t[u] = inverseNormalCdf((u + 0.5) / 65536);
  return (table65536 = t);
}

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
function inverseNormalCdf(p: number): number {
  const a = [
    -39.69683028665376,
    220.9460984245205,
    -275.9285104469687,
    138.357751867269,
    -30.66479806614716,
    2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293,
    -0.3223964580411365,
    -2.400758277161838,
    -2.549732539343734,
    4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -inverseNormalCdf(1 - p);
  const q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
