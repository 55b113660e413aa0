/**
 * Shared helpers for the density tests: random (non-identity) weights, a known conditional Gaussian to sample from,
 * and small float64 linear algebra.
 *
 * @module
 */
import { Rng } from "../../src/data/mod.ts";
import type { DensityBatch, DensityModel } from "../../src/density/mod.ts";
import { initBackend } from "../../src/nn/mod.ts";

/** Makes the cpu backend with fast kernels active (self-check skipped: the nn tests run it). */
export async function useCpu(): Promise<void> {
  await initBackend("cpu", { selfCheck: false });
}

/**
 * Replaces every trainable weight of `model` with normal values of std `scale` (vectors) or `scale/sqrt(fan-in)`
 * (matrices), keeping the fixed weights (standardisation, permutations), so that no block is the identity.
 */
export async function randomizeWeights(model: DensityModel, seed: number, scale = 0.5): Promise<void> {
  const rng = new Rng(seed);
  const weights = await model.getWeights();
  for (const name of model.names) {
    const w = weights.get(name)!;
    const std = w.shape.length === 2 ? scale / Math.sqrt(w.shape[0]) : scale;
    weights.set(name, { shape: w.shape, values: Float32Array.from(w.values, () => rng.normal(0, std)) });
  }
  model.setWeights(weights);
}

/**
 * y = A·c + b + L·diag(exp(H·c))·ε with c ~ U[−1, 1]^dc and ε ~ N(0, I): a conditional Gaussian with mean A·c + b
 * and covariance L·D(c)²·Lᵀ (H = 0: homoscedastic). Row-major matrices: A `[dy, dc]`, L `[dy, dy]` lower triangular,
 * H `[dy, dc]`.
 */
export interface KnownGaussian {
  dy: number;
  dc: number;
  a: Float64Array;
  b: Float64Array;
  l: Float64Array;
  h: Float64Array;
}

/** Draws `count` rows from {@linkcode KnownGaussian} with `rng`. */
export function sampleKnown(g: KnownGaussian, count: number, rng: Rng): DensityBatch {
  const { dy, dc } = g;
  const y = new Float32Array(count * dy);
  const c = dc > 0 ? new Float32Array(count * dc) : null;
  const cr = new Float64Array(dc), e = new Float64Array(dy);
  for (let k = 0; k < count; k++) {
    for (let j = 0; j < dc; j++) cr[j] = rng.uniform(-1, 1);
    for (let i = 0; i < dy; i++) {
      let logScale = 0;
      for (let j = 0; j < dc; j++) logScale += g.h[i * dc + j] * cr[j];
      e[i] = rng.normal() * Math.exp(logScale);
    }
    for (let i = 0; i < dy; i++) {
      let v = g.b[i];
      for (let j = 0; j < dc; j++) v += g.a[i * dc + j] * cr[j];
      for (let j = 0; j <= i; j++) v += g.l[i * dy + j] * e[j];
      y[k * dy + i] = v;
    }
    c?.set(cr, k * dc);
  }
  return { y, c, count };
}

/** The true log-density of each row of `batch` under {@linkcode KnownGaussian}, nats. */
export function knownLogProb(g: KnownGaussian, batch: DensityBatch): Float64Array {
  const { dy, dc } = g;
  const out = new Float64Array(batch.count);
  const r = new Float64Array(dy);
  for (let k = 0; k < batch.count; k++) {
    let logDet = 0, quad = 0;
    for (let i = 0; i < dy; i++) {
      let v = batch.y[k * dy + i] - g.b[i];
      for (let j = 0; j < dc; j++) v -= g.a[i * dc + j] * batch.c![k * dc + j];
      r[i] = v;
    }
    // Solve L·u = r, then ε_i = u_i / d_i.
    for (let i = 0; i < dy; i++) {
      let u = r[i];
      for (let j = 0; j < i; j++) u -= g.l[i * dy + j] * r[j];
      u /= g.l[i * dy + i];
      r[i] = u;
      let logScale = 0;
      for (let j = 0; j < dc; j++) logScale += g.h[i * dc + j] * batch.c![k * dc + j];
      const eps = u * Math.exp(-logScale);
      quad += eps * eps;
      logDet += Math.log(Math.abs(g.l[i * dy + i])) + logScale;
    }
    out[k] = -0.5 * quad - logDet - 0.5 * dy * Math.log(2 * Math.PI);
  }
  return out;
}

/** A random {@linkcode KnownGaussian}: entries of A ~ N(0, 1), b ~ N(0, 1), L lower with diag in [0.3, 1]. */
export function randomKnown(dy: number, dc: number, seed: number, heteroscedastic = 0): KnownGaussian {
  const rng = new Rng(seed);
  const a = Float64Array.from({ length: dy * dc }, () => rng.normal());
  const b = Float64Array.from({ length: dy }, () => rng.normal());
  const l = new Float64Array(dy * dy);
  for (let i = 0; i < dy; i++) {
    for (let j = 0; j < i; j++) l[i * dy + j] = rng.normal(0, 0.5);
    l[i * dy + i] = rng.uniform(0.3, 1);
  }
  const h = Float64Array.from({ length: dy * dc }, () => heteroscedastic * rng.normal());
  return { dy, dc, a, b, l, h };
}

/** log|det M| of a square `[n, n]` row-major float64 matrix (LU with partial pivoting). */
export function logAbsDet(m: Float64Array, n: number): number {
  const a = Float64Array.from(m);
  let out = 0;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[pivot * n + col])) pivot = r;
    if (pivot !== col) {
      for (let j = 0; j < n; j++) [a[col * n + j], a[pivot * n + j]] = [a[pivot * n + j], a[col * n + j]];
    }
    const p = a[col * n + col];
    out += Math.log(Math.abs(p));
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col] / p;
      for (let j = col; j < n; j++) a[r * n + j] -= f * a[col * n + j];
    }
  }
  return out;
}

/** Mean of an array. */
export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}
