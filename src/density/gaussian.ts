/**
 * {@linkcode GaussianDensity}: the conditional diagonal Gaussian of METHOD §5, q(y | c) = N(μ(c), diag σ²(c)).
 *
 * @module
 */
import { deriveSeed, Rng } from "../data/rng.ts";
import { gelu, tf } from "../nn/mod.ts";
import type { DensityBatch, DensityModel, DensityWeights } from "./density_model.ts";
import { checkDims, checkInputs, checkInt, initStandardisation, linear, LOG_2PI, Params } from "./_layers.ts";

/** Options for {@linkcode GaussianDensity}. */
export interface GaussianOptions {
  /** Width of the MLP's hidden layers. @default {256} */
  hiddenDim?: number;
  /** Hidden layers of the MLP c → (μ, log σ). @default {2} */
  hiddenLayers?: number;
  /**
   * Soft clamp β of the log-std in standardised units, `log σ = β·tanh(r/β)`: σ stays within `e^{±β}` times each
   * channel's marginal std (β = 7: 1e-3 … 1e3). @default {7}
   */
  logStdClamp?: number;
  /** Seed of the initial weights. @default {0} */
  seed?: number;
}

/** The architecture of a {@linkcode GaussianDensity}, as `toJSON()` returns it. */
export interface GaussianSpec extends Required<GaussianOptions> {
  kind: "gaussian";
  dy: number;
  dc: number;
}

/**
 * Conditional Gaussian with diagonal covariance (METHOD §5): an MLP maps the (standardised) condition to a mean and a
 * log-std per channel of the (standardised) descriptor.
 *
 * - **Standardisation** (fixed, as in {@linkcode FlowDensity}): y and c are shifted and scaled per channel by the
 *   mean and std of the first training batch ({@linkcode GaussianDensity.initFromData}); log q includes the
 *   Jacobian −Σ log s_y, so it is a density of y in its own units.
 * - **MLP**: c → [Linear → GELU] × `hiddenLayers` → two Linear heads μ and r, log σ = β·tanh(r/β) (two heads
 *   rather than one split output: a column slice's gradient is slow on the cpu backend). The heads start at zero,
 *   so the model starts at N(0, I) in standardised units: the data's marginal. With dc = 0, μ and r are plain
 *   learned vectors (a diagonal unconditional Gaussian).
 */
export class GaussianDensity implements DensityModel {
  readonly kind = "gaussian" as const;
  readonly dy: number;
  readonly dc: number;
  readonly options: Required<GaussianOptions>;
  readonly #p: Params;

  /**
   * @param dy Descriptor width Dy, ≥ 1.
   * @param dc Condition width Dc, ≥ 0.
   * @param options See {@linkcode GaussianOptions}.
   * @throws {RangeError} If a dimension or option is out of range.
   */
  constructor(dy: number, dc: number, options: GaussianOptions = {}) {
    const { hiddenDim = 256, hiddenLayers = 2, logStdClamp = 7, seed = 0 } = options;
    checkDims("a gaussian", dy, dc);
    checkInt("a gaussian", "hiddenDim", hiddenDim, 1);
    checkInt("a gaussian", "hiddenLayers", hiddenLayers, 0);
    checkInt("a gaussian", "seed", seed, 0);
    if (!(logStdClamp > 0 && Number.isFinite(logStdClamp))) {
      throw new RangeError(`Cannot build a gaussian with logStdClamp ${logStdClamp}: expected a positive number`);
    }
    this.dy = dy;
    this.dc = dc;
    this.options = { hiddenDim, hiddenLayers, logStdClamp, seed };
    const p = (this.#p = new Params("gaussian"));
    p.add("norm/y_shift", [dy], new Float32Array(dy), false);
    p.add("norm/y_scale", [dy], new Float32Array(dy).fill(1), false);
    const rng = new Rng(deriveSeed(seed, "init", "gaussian"));
    if (dc > 0) {
      p.add("norm/c_shift", [dc], new Float32Array(dc), false);
      p.add("norm/c_scale", [dc], new Float32Array(dc).fill(1), false);
      const widths = [dc, ...Array(hiddenLayers).fill(hiddenDim)];
      for (let l = 0; l < hiddenLayers; l++) {
        p.addNormal(`fc${l}/w`, [widths[l], widths[l + 1]], rng);
        p.addFilled(`fc${l}/b`, [widths[l + 1]], 0);
      }
      p.addFilled("mean/w", [widths[hiddenLayers], dy], 0);
      p.addFilled("log_std/w", [widths[hiddenLayers], dy], 0);
    }
    p.addFilled("mean/b", [dy], 0);
    p.addFilled("log_std/b", [dy], 0);
  }

  get variables(): tf.Variable[] {
    return this.#p.trainable;
  }

  get names(): string[] {
    return this.#p.trainableNames;
  }

  /**
   * Mean and std of q(y | c) per row, in y's own units.
   *
   * @param c Conditions `[K, dc]`, or null when dc = 0 (then K = `rows`).
   * @param rows Row count when c is null. @default {1}
   * @returns mean and std `[K, dy]` (caller disposes).
   * @throws {TypeError} On a shape mismatch.
   */
  meanStd(c: tf.Tensor2D | null, rows = 1): { mean: tf.Tensor2D; std: tf.Tensor2D } {
    if (this.dc > 0 && !(c instanceof tf.Tensor && c.rank === 2 && c.shape[1] === this.dc)) {
      const found = c instanceof tf.Tensor ? `shape [${c.shape}]` : String(c);
      throw new TypeError(`Cannot compute gaussian parameters: c has ${found}: expected [K, ${this.dc}]`);
    }
    const cc = this.dc > 0 ? c : null;
    const k = cc ? cc.shape[0] : rows;
    return tf.tidy(() => {
      const { mu, logStd } = this.#params(cc);
      const scale = this.#p.get("norm/y_scale");
      const mean = tf.add(tf.mul(tf.add(tf.zeros([k, this.dy]), mu), scale), this.#p.get("norm/y_shift"));
      const std = tf.mul(tf.add(tf.zeros([k, this.dy]), tf.exp(logStd)), scale);
      return { mean, std } as unknown as tf.TensorContainerObject;
    }) as unknown as { mean: tf.Tensor2D; std: tf.Tensor2D };
  }

  logProb(y: tf.Tensor2D, c: tf.Tensor2D | null): tf.Tensor1D {
    const cc = checkInputs("compute gaussian log-density", this.dy, this.dc, y, c);
    return tf.tidy(() => {
      const p = this.#p;
      const scale = p.get("norm/y_scale");
      const yn = tf.div(tf.sub(y, p.get("norm/y_shift")), scale);
      const { mu, logStd } = this.#params(cc);
      const u = tf.mul(tf.sub(yn, mu), tf.exp(tf.neg(logStd)));
      const perChannel = tf.add(tf.mul(0.5, tf.square(u)), logStd);
      const constant = tf.add(tf.sum(tf.log(scale)), 0.5 * this.dy * LOG_2PI);
      return tf.neg(tf.add(tf.sum(perChannel, 1), constant)) as tf.Tensor1D;
    });
  }

  initFromData(batch: DensityBatch): void {
    initStandardisation(this.#p, "gaussian", this.dy, this.dc, batch);
  }

  getWeights(): Promise<DensityWeights> {
    return this.#p.getWeights();
  }

  setWeights(weights: DensityWeights): void {
    this.#p.setWeights(weights, "gaussian");
  }

  toJSON(): GaussianSpec {
    return { kind: "gaussian", dy: this.dy, dc: this.dc, ...this.options };
  }

  dispose(): void {
    this.#p.dispose();
  }

  /** Standardised-unit mean and clamped log-std: `[K, dy]` each, or `[dy]` when dc = 0 (they broadcast). */
  #params(c: tf.Tensor2D | null): { mu: tf.Tensor; logStd: tf.Tensor } {
    const p = this.#p;
    const beta = this.options.logStdClamp;
    const clamp = (r: tf.Tensor) => tf.mul(beta, tf.tanh(tf.div(r, beta)));
    if (!c) return { mu: p.get("mean/b"), logStd: clamp(p.get("log_std/b")) };
    let h = tf.div(tf.sub(c, p.get("norm/c_shift")), p.get("norm/c_scale")) as tf.Tensor2D;
    for (let l = 0; l < this.options.hiddenLayers; l++) {
      h = gelu(linear(h, p.get(`fc${l}/w`), p.get(`fc${l}/b`)));
    }
    const mu = linear(h, p.get("mean/w"), p.get("mean/b"));
    return { mu, logStd: clamp(linear(h, p.get("log_std/w"), p.get("log_std/b"))) };
  }
}
