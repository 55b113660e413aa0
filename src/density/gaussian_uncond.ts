/**
 * {@linkcode GaussianUncondDensity}: the unconditional Gaussian of METHOD §5, one mean and one full covariance
 * fitted in closed form.
 *
 * @module
 */
import { tf } from "../nn/mod.ts";
import type { DensityBatch, DensityModel, DensityWeights } from "./density_model.ts";
import { type GaussianEstimate, GaussianMoments, type Shrinkage } from "./gaussian_moments.ts";
import { checkDims, checkInputs, linear, LOG_2PI, Params } from "./_layers.ts";

/** Options for {@linkcode GaussianUncondDensity}. */
export interface GaussianUncondOptions {
  /**
   * Covariance shrinkage toward the scaled identity: "ledoit-wolf" (intensity estimated from the data, as sklearn's
   * `LedoitWolf`) or a fixed intensity in [0, 1] (0 = the sample covariance). @default {"ledoit-wolf"}
   */
  shrinkage?: Shrinkage;
}

/** The architecture of a {@linkcode GaussianUncondDensity}, as `toJSON()` returns it (dc is always 0). */
export interface GaussianUncondSpec extends Required<GaussianUncondOptions> {
  kind: "gaussian-uncond";
  dy: number;
  dc: 0;
}

/**
 * q(y) = N(y; m, Σ) with one mean and a full covariance, ignoring any condition. Fitted in closed form from streamed
 * float64 moments ({@linkcode GaussianMoments}, never all rows in memory): Σ = Ledoit–Wolf-shrunk sample covariance
 * + σ²·I, where σ is the training noise std (the expected effect of adding N(0, σ²I) noise to y, added analytically
 * instead of sampled). Shrinkage keeps Σ well conditioned with near-singular data (collinear or constant channels);
 * σ² is a floor for the degenerate case of all-equal rows.
 *
 * Weights: `mean` `[dy]` and `covariance` `[dy, dy]` (float32). {@linkcode GaussianUncondDensity.setWeights}
 * derives the Cholesky factor L (in float64) and keeps W = L⁻¹ for log q(y) = −½‖W(y − m)‖² − Σ log L_ii
 * − (dy/2)·log 2π. Before fitting, m = 0 and Σ = I.
 */
export class GaussianUncondDensity implements DensityModel {
  readonly kind = "gaussian-uncond" as const;
  readonly dy: number;
  readonly dc = 0;
  readonly options: Required<GaussianUncondOptions>;
  readonly variables: tf.Variable[] = [];
  readonly names: string[] = [];
  readonly #p: Params;
  /** Wᵀ = L⁻ᵀ `[dy, dy]`, derived from the covariance. */
  #whitenT: tf.Tensor2D;
  /** −Σ log L_ii − (dy/2)·log 2π. */
  #logNorm = 0;

  /**
   * @param dy Descriptor width Dy, ≥ 1.
   * @param options See {@linkcode GaussianUncondOptions}.
   * @throws {RangeError} If `dy` or `shrinkage` is out of range.
   */
  constructor(dy: number, options: GaussianUncondOptions = {}) {
    const { shrinkage = "ledoit-wolf" } = options;
    checkDims("an unconditional gaussian", dy, 0);
    if (shrinkage !== "ledoit-wolf" && !(typeof shrinkage === "number" && shrinkage >= 0 && shrinkage <= 1)) {
      throw new RangeError(
        `Cannot build an unconditional gaussian with shrinkage ${shrinkage}: expected "ledoit-wolf" or a number in [0, 1]`,
      );
    }
    this.dy = dy;
    this.options = { shrinkage };
    this.#p = new Params("gaussian_uncond");
    this.#p.add("mean", [dy], new Float32Array(dy), false);
    const identity = new Float32Array(dy * dy);
    for (let i = 0; i < dy; i++) identity[i * dy + i] = 1;
    this.#p.add("covariance", [dy, dy], identity, false);
    this.#whitenT = tf.tensor2d(identity, [dy, dy]);
    this.#logNorm = -0.5 * dy * LOG_2PI;
  }

  /**
   * Sets the mean and covariance from streamed moments (see the class doc); the estimate is rounded to float32 and
   * loaded through {@linkcode GaussianUncondDensity.setWeights}, so a saved and reloaded model scores identically.
   *
   * @param moments Moments of the training rows.
   * @param noiseStd Training noise std σ in units of y: σ² is added to the diagonal. @default {0}
   * @returns The estimate (float64), with the shrinkage intensity used.
   * @throws {RangeError} If `moments` has another width or no rows, or the covariance is not positive definite
   *   (all rows equal and `noiseStd` 0).
   */
  fitMoments(moments: GaussianMoments, noiseStd = 0): GaussianEstimate {
    if (moments.dim !== this.dy) {
      throw new RangeError(
        `Cannot fit an unconditional gaussian: moments have width ${moments.dim}: expected ${this.dy}`,
      );
    }
    const estimate = moments.estimate({ shrinkage: this.options.shrinkage, ridge: noiseStd * noiseStd });
    this.setWeights(
      new Map([
        ["mean", { shape: [this.dy], values: Float32Array.from(estimate.mean) }],
        ["covariance", { shape: [this.dy, this.dy], values: Float32Array.from(estimate.covariance) }],
      ]),
    );
    return estimate;
  }

  /** @param c Ignored (the model is unconditional). */
  logProb(y: tf.Tensor2D, c: tf.Tensor2D | null): tf.Tensor1D {
    checkInputs("compute unconditional gaussian log-density", this.dy, 0, y, null);
    void c;
    return tf.tidy(() => {
      const z = linear(tf.sub(y, this.#p.get("mean")) as tf.Tensor2D, this.#whitenT);
      return tf.add(tf.mul(-0.5, tf.sum(tf.square(z), 1)), this.#logNorm) as tf.Tensor1D;
    });
  }

  /** A no-op: the model has no data-initialised parts. */
  initFromData(_batch: DensityBatch): void {}

  getWeights(): Promise<DensityWeights> {
    return this.#p.getWeights();
  }

  /** @throws {RangeError} Also if the covariance is not symmetric positive definite. */
  setWeights(weights: DensityWeights): void {
    const d = this.dy;
    const cov = weights.get("covariance");
    if (cov && cov.values.length === d * d) {
      const l = cholesky(Float64Array.from(cov.values), d);
      if (typeof l === "string") throw new RangeError(`Cannot load unconditional gaussian weights: ${l}`);
      const inv = invertLower(l, d);
      const whitenT = new Float32Array(d * d);
      let logDiag = 0;
      for (let i = 0; i < d; i++) {
        logDiag += Math.log(l[i * d + i]);
        for (let j = 0; j < d; j++) whitenT[j * d + i] = inv[i * d + j];
      }
      this.#p.setWeights(weights, "unconditional gaussian");
      this.#whitenT.dispose();
      this.#whitenT = tf.tensor2d(whitenT, [d, d]);
      this.#logNorm = -logDiag - 0.5 * d * LOG_2PI;
      return;
    }
    this.#p.setWeights(weights, "unconditional gaussian"); // throws: missing or mis-shaped
  }

  toJSON(): GaussianUncondSpec {
    return { kind: "gaussian-uncond", dy: this.dy, dc: 0, ...this.options };
  }

  dispose(): void {
    this.#p.dispose();
    this.#whitenT.dispose();
  }
}

/**
 * Lower Cholesky factor of a symmetric `[d, d]` matrix, row-major, float64; a message if it is not symmetric
 * positive definite.
 */
function cholesky(a: Float64Array, d: number): Float64Array | string {
  let scale = 0;
  for (let i = 0; i < d; i++) scale = Math.max(scale, Math.abs(a[i * d + i]));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      if (Math.abs(a[i * d + j] - a[j * d + i]) > 1e-6 * scale) {
        return `covariance is not symmetric (entries [${i}, ${j}] and [${j}, ${i}] differ)`;
      }
    }
  }
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j];
      for (let k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
      if (i === j) {
        if (!(s > 0)) {
          return `covariance is not positive definite (pivot ${i} is ${s}): expected more varied rows or noiseStd > 0`;
        }
        l[i * d + i] = Math.sqrt(s);
      } else l[i * d + j] = s / l[j * d + j];
    }
  }
  return l;
}

/** Inverse of a lower-triangular `[d, d]` matrix (forward substitution), row-major, float64. */
function invertLower(l: Float64Array, d: number): Float64Array {
  const inv = new Float64Array(d * d);
  for (let col = 0; col < d; col++) {
    for (let i = col; i < d; i++) {
      let s = i === col ? 1 : 0;
      for (let k = col; k < i; k++) s -= l[i * d + k] * inv[k * d + col];
      inv[i * d + col] = s / l[i * d + i];
    }
  }
  return inv;
}
