/**
 * AdamW with global-norm gradient clipping, written on tfjs ops so it runs on every backend (tfjs has no AdamW).
 *
 * @module
 */
import { tf } from "../nn/mod.ts";

/** Options for {@linkcode AdamW}. */
export interface AdamWOptions {
  /** First-moment decay. @default {0.9} */
  beta1?: number;
  /** Second-moment decay. @default {0.999} */
  beta2?: number;
  /** Denominator epsilon (authors: 1e-3). @default {1e-3} */
  eps?: number;
  /** Decoupled weight decay (authors: 1e-6), applied to every weight. @default {1e-6} */
  weightDecay?: number;
  /** Clip gradients to this global L2 norm (authors: 1.0); 0 disables. @default {1} */
  clipNorm?: number;
}

/**
 * AdamW (Loshchilov & Hutter): `w ← w − lr·(m̂/(√v̂ + eps) + wd·w)` with bias-corrected moments, after clipping the
 * gradients to a global norm. Its state (moments and step count) can be read and restored for checkpoints.
 */
export class AdamW {
  readonly variables: tf.Variable[];
  readonly options: Required<AdamWOptions>;
  #m: tf.Variable[];
  #v: tf.Variable[];
  /** Number of updates applied so far. */
  step = 0;

  /** @param variables Weights to update, in a fixed order (gradients are passed in the same order). */
  constructor(variables: tf.Variable[], options: AdamWOptions = {}) {
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-3, weightDecay = 1e-6, clipNorm = 1 } = options;
    this.variables = variables;
    this.options = { beta1, beta2, eps, weightDecay, clipNorm };
    // tidy frees the zerosLike temporaries; the variables themselves survive it.
    this.#m = variables.map((v) => tf.tidy(() => tf.variable(tf.zerosLike(v), false)));
    this.#v = variables.map((v) => tf.tidy(() => tf.variable(tf.zerosLike(v), false)));
  }

  /**
   * Applies one update.
   *
   * @param grads Gradients aligned with `variables` (not disposed here).
   * @param lr Learning rate of this step.
   * @returns The global gradient norm before clipping, as a scalar tensor (caller disposes).
   */
  apply(grads: tf.Tensor[], lr: number): tf.Scalar {
    if (grads.length !== this.variables.length) {
      throw new RangeError(`Cannot apply AdamW: ${grads.length} gradients for ${this.variables.length} variables`);
    }
    const { beta1, beta2, eps, weightDecay, clipNorm } = this.options;
    this.step++;
    const t = this.step;
    const c1 = 1 - beta1 ** t, c2 = 1 - beta2 ** t;
    return tf.tidy(() => {
      const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
      const scale = clipNorm > 0 ? tf.minimum(1, tf.div(clipNorm, tf.add(norm, 1e-12))) : tf.scalar(1);
      for (let i = 0; i < grads.length; i++) {
        const g = tf.mul(grads[i], scale);
        const m = tf.add(tf.mul(beta1, this.#m[i]), tf.mul(1 - beta1, g));
        const v = tf.add(tf.mul(beta2, this.#v[i]), tf.mul(1 - beta2, tf.square(g)));
        this.#m[i].assign(m);
        this.#v[i].assign(v);
        const update = tf.add(
          tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), eps)),
          tf.mul(weightDecay, this.variables[i]),
        );
        this.variables[i].assign(tf.sub(this.variables[i], tf.mul(lr, update)));
      }
      return tf.keep(norm);
    });
  }

  /** Moments as arrays, in variable order (for checkpoints; asynchronous, for GPU backends). */
  async getState(): Promise<{ step: number; m: Float32Array[]; v: Float32Array[] }> {
    const read = (xs: tf.Variable[]) => Promise.all(xs.map(async (x) => (await x.data()) as Float32Array));
    return { step: this.step, m: await read(this.#m), v: await read(this.#v) };
  }

  /** Restores a state saved by {@linkcode getState}. */
  setState(state: { step: number; m: Float32Array[]; v: Float32Array[] }): void {
    if (state.m.length !== this.#m.length || state.v.length !== this.#v.length) {
      throw new RangeError(
        `Cannot restore AdamW state: it has ${state.m.length} moments: expected ${this.#m.length}`,
      );
    }
    this.step = state.step;
    state.m.forEach((x, i) => this.#m[i].assign(tf.tensor(x, this.#m[i].shape)));
    state.v.forEach((x, i) => this.#v[i].assign(tf.tensor(x, this.#v[i].shape)));
  }

  /** Frees the moment tensors (not the weights). */
  dispose(): void {
    for (const x of [...this.#m, ...this.#v]) x.dispose();
  }
}
