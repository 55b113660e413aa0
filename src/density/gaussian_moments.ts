/**
 * {@linkcode GaussianMoments}: streamed float64 moments of rows y, and from them a mean and a shrunk covariance.
 *
 * @module
 */

/** Covariance shrinkage: Ledoit–Wolf's estimated intensity, or a fixed intensity in [0, 1] (0 = the sample MLE). */
export type Shrinkage = "ledoit-wolf" | number;

/** The state of a {@linkcode GaussianMoments}, JSON-serialisable (float64 numbers survive JSON exactly). */
export interface GaussianMomentsState {
  dim: number;
  count: number;
  /** Shift subtracted from every row before summing (the first batch's mean), or null before any row. */
  pivot: number[] | null;
  /** Σ x over rows, x = y − pivot. */
  sum: number[];
  /** Σ x xᵀ, row-major `[dim, dim]`. */
  outer: number[];
  /** Σ ‖x‖² x. */
  normSqX: number[];
  /** Σ ‖x‖⁴. */
  normPow4: number;
}

/** A covariance estimate from {@linkcode GaussianMoments.estimate}. */
export interface GaussianEstimate {
  /** Mean `[dim]`, float64. */
  mean: Float64Array;
  /** Covariance `[dim, dim]`, row-major, float64: `(1−s)·S + s·(tr S/dim)·I + ridge·I`. */
  covariance: Float64Array;
  /** The shrinkage intensity s used. */
  shrinkage: number;
  /** Rows the estimate is based on. */
  count: number;
}

/** Options for {@linkcode GaussianMoments.estimate}. */
export interface GaussianEstimateOptions {
  /** Shrinkage toward the scaled identity. @default {"ledoit-wolf"} */
  shrinkage?: Shrinkage;
  /** Variance added to every diagonal entry after shrinking (the expected effect of N(0, ridge·I) noise). @default {0} */
  ridge?: number;
}

/**
 * Streams rows of y `[K, dim]` batch by batch and keeps, in float64, the sums that a mean, a covariance and the
 * Ledoit–Wolf shrinkage need: Σx, Σxxᵀ, Σ‖x‖²x and Σ‖x‖⁴ with x = y − pivot. The pivot (the first batch's mean)
 * keeps the sums centred near zero, so that the final centring loses no precision; memory is O(dim²) however many
 * rows pass through.
 *
 * @example
 * ```ts
 * import { GaussianMoments } from "./gaussian_moments.ts";
 * const m = new GaussianMoments(2);
 * m.add(new Float32Array([0, 0, 2, 0, 0, 2, 2, 2]), 4);
 * const { mean, covariance } = m.estimate({ shrinkage: 0 }); // mean [1, 1], covariance [[1, 0], [0, 1]]
 * if (mean[0] !== 1 || covariance[0] !== 1) throw new Error("unreachable");
 * ```
 */
export class GaussianMoments {
  readonly dim: number;
  #count = 0;
  #pivot: Float64Array | null = null;
  readonly #sum: Float64Array;
  readonly #outer: Float64Array;
  readonly #normSqX: Float64Array;
  #normPow4 = 0;

  /**
   * @param dim Row width, ≥ 1.
   * @throws {RangeError} If `dim` is not a positive integer.
   */
  constructor(dim: number) {
    if (!(Number.isInteger(dim) && dim >= 1)) {
      throw new RangeError(`Cannot accumulate moments of width ${dim}: expected a positive integer`);
    }
    this.dim = dim;
    this.#sum = new Float64Array(dim);
    this.#outer = new Float64Array(dim * dim);
    this.#normSqX = new Float64Array(dim);
  }

  /** Rows added so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * Adds `count` rows.
   *
   * @param y Rows `[count, dim]`, row-major.
   * @param count Row count.
   * @throws {RangeError} If `y.length !== count·dim` or a value is not finite (nothing is added then).
   */
  add(y: Float32Array, count: number): void {
    const d = this.dim;
    if (!(Number.isInteger(count) && count >= 0 && y.length === count * d)) {
      throw new RangeError(`Cannot add moments: ${y.length} values for ${count} rows: expected ${count}×${d}`);
    }
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(y[i])) {
        throw new RangeError(
          `Cannot add moments: row ${Math.floor(i / d)} column ${i % d} is ${y[i]}: expected finite values`,
        );
      }
    }
    if (count === 0) return;
    if (!this.#pivot) {
      const pivot = new Float64Array(d);
      for (let r = 0; r < count; r++) for (let j = 0; j < d; j++) pivot[j] += y[r * d + j];
      for (let j = 0; j < d; j++) pivot[j] /= count;
      this.#pivot = pivot;
    }
    const pivot = this.#pivot;
    const x = new Float64Array(d);
    for (let r = 0; r < count; r++) {
      let normSq = 0;
      for (let j = 0; j < d; j++) {
        x[j] = y[r * d + j] - pivot[j];
        normSq += x[j] * x[j];
      }
      this.#normPow4 += normSq * normSq;
      for (let i = 0; i < d; i++) {
        const xi = x[i];
        this.#sum[i] += xi;
        this.#normSqX[i] += normSq * xi;
        const row = i * d;
        for (let j = i; j < d; j++) this.#outer[row + j] += xi * x[j];
      }
    }
    this.#count += count;
  }

  /**
   * The mean and the shrunk covariance of all rows added.
   *
   * Sample covariance S = Σx̃x̃ᵀ/n (maximum likelihood, as sklearn's `EmpiricalCovariance`), with x̃ the centred rows.
   * Ledoit–Wolf (as sklearn's `ledoit_wolf_shrinkage`): μ = tr S/p, δ = ‖S − μI‖²_F/p,
   * β = min(δ, (Σ‖x̃‖⁴/n − ‖S‖²_F)/(p·n)), s = β/δ; Σ‖x̃‖⁴ comes from the streamed sums by expanding
   * ‖x − m‖⁴. The result `(1−s)·S + s·μ·I` is positive definite whenever s > 0 and S ≠ 0, and its condition number
   * is bounded by `1 + (1−s)·λ_max/(s·μ)`; `ridge` adds a floor on top.
   *
   * @param options See {@linkcode GaussianEstimateOptions}.
   * @returns A fresh estimate.
   * @throws {RangeError} If no row was added, or `shrinkage` is a number outside [0, 1], or `ridge < 0`.
   */
  estimate(options: GaussianEstimateOptions = {}): GaussianEstimate {
    const { shrinkage = "ledoit-wolf", ridge = 0 } = options;
    if (shrinkage !== "ledoit-wolf" && !(shrinkage >= 0 && shrinkage <= 1)) {
      throw new RangeError(
        `Cannot estimate a covariance with shrinkage ${shrinkage}: expected "ledoit-wolf" or [0, 1]`,
      );
    }
    if (!(ridge >= 0 && Number.isFinite(ridge))) {
      throw new RangeError(`Cannot estimate a covariance with ridge ${ridge}: expected a finite number ≥ 0`);
    }
    const n = this.#count, p = this.dim;
    if (n === 0 || !this.#pivot) throw new RangeError("Cannot estimate a covariance from 0 rows: expected at least 1");
    const m = Float64Array.from(this.#sum, (s) => s / n); // mean of x
    const cov = new Float64Array(p * p);
    for (let i = 0; i < p; i++) {
      for (let j = i; j < p; j++) {
        const v = this.#outer[i * p + j] / n - m[i] * m[j];
        cov[i * p + j] = v;
        cov[j * p + i] = v;
      }
    }
    let s = 0;
    if (shrinkage === "ledoit-wolf") s = this.#ledoitWolf(cov, m);
    else s = shrinkage;
    let trace = 0;
    for (let i = 0; i < p; i++) trace += cov[i * p + i];
    const mu = trace / p;
    for (let i = 0; i < p * p; i++) cov[i] *= 1 - s;
    for (let i = 0; i < p; i++) cov[i * p + i] += s * mu + ridge;
    const mean = Float64Array.from(m, (v, j) => v + this.#pivot![j]);
    return { mean, covariance: cov, shrinkage: s, count: n };
  }

  /** The state, for checkpoints. */
  toJSON(): GaussianMomentsState {
    return {
      dim: this.dim,
      count: this.#count,
      pivot: this.#pivot ? Array.from(this.#pivot) : null,
      sum: Array.from(this.#sum),
      outer: Array.from(this.#outer),
      normSqX: Array.from(this.#normSqX),
      normPow4: this.#normPow4,
    };
  }

  /**
   * Rebuilds an accumulator from {@linkcode GaussianMoments.toJSON}'s state.
   *
   * @throws {RangeError} If an array's length does not match `dim`.
   */
  static fromJSON(state: GaussianMomentsState): GaussianMoments {
    const out = new GaussianMoments(state.dim);
    const d = state.dim;
    const lengths = [state.sum.length, state.outer.length, state.normSqX.length, state.pivot?.length ?? d];
    if (lengths.join() !== [d, d * d, d, d].join()) {
      throw new RangeError(`Cannot restore moments: arrays have lengths ${lengths}: expected ${[d, d * d, d, d]}`);
    }
    out.#count = state.count;
    out.#pivot = state.pivot ? Float64Array.from(state.pivot) : null;
    out.#sum.set(state.sum);
    out.#outer.set(state.outer);
    out.#normSqX.set(state.normSqX);
    out.#normPow4 = state.normPow4;
    return out;
  }

  /** Ledoit–Wolf intensity for the sample covariance `cov` of x, whose mean is `m`. */
  #ledoitWolf(cov: Float64Array, m: Float64Array): number {
    const n = this.#count, p = this.dim;
    if (p === 1) return 0; // sklearn's convention: nothing to shrink toward
    // Σ‖x − m‖⁴ = Σ‖x‖⁴ + 4·mᵀ(Σxxᵀ)m − 4·(Σ‖x‖²x)·m + 2‖m‖²·tr(Σxxᵀ) − 3n‖m‖⁴ (using Σx = n·m).
    let mOm = 0, ax = 0, mm = 0, trO = 0;
    for (let i = 0; i < p; i++) {
      let row = 0;
      for (let j = 0; j < p; j++) row += (i <= j ? this.#outer[i * p + j] : this.#outer[j * p + i]) * m[j];
      mOm += m[i] * row;
      ax += this.#normSqX[i] * m[i];
      mm += m[i] * m[i];
      trO += this.#outer[i * p + i];
    }
    const centredPow4 = this.#normPow4 + 4 * mOm - 4 * ax + 2 * mm * trO - 3 * n * mm * mm;
    let trace = 0, frob = 0;
    for (let i = 0; i < p; i++) trace += cov[i * p + i];
    for (let i = 0; i < p * p; i++) frob += cov[i] * cov[i];
    const mu = trace / p;
    const delta = (frob - 2 * mu * trace + p * mu * mu) / p;
    const beta = Math.min(Math.max(0, (centredPow4 / n - frob) / (p * n)), delta);
    return delta > 0 && beta > 0 ? beta / delta : 0;
  }
}
