/**
 * The VICReg projector (training only, METHOD §3): an MLP on voxel embeddings, Dy → P → P → P, with LayerNorm and
 * GELU after the first two layers. The authors use P = 8192; small configs scale it down.
 *
 * @module
 */
import { matMul2d, tf } from "../nn/mod.ts";
import type { Rng } from "../data/rng.ts";

let projectorId = 0;

/** A 3-layer MLP projector. Input `[K, inDim]` rows (one per sampled voxel), output `[K, outDim]`. */
export class Projector {
  readonly inDim: number;
  readonly hiddenDim: number;
  readonly #vars: { name: string; v: tf.Variable }[] = [];

  /**
   * @param inDim Embedding width (Dy).
   * @param hiddenDim Width P of all three layers.
   * @param rng Seeded generator for the initial weights (normal, std 1/sqrt(fan-in)).
   */
  constructor(inDim: number, hiddenDim: number, rng: Rng) {
    if (!(Number.isInteger(inDim) && inDim > 0 && Number.isInteger(hiddenDim) && hiddenDim > 0)) {
      throw new RangeError(`Cannot build projector ${inDim} → ${hiddenDim}: expected positive integer widths`);
    }
    this.inDim = inDim;
    this.hiddenDim = hiddenDim;
    const id = projectorId++;
    const add = (name: string, shape: number[], fill?: number) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(n);
      if (fill !== undefined) values.fill(fill);
      else {
        const std = 1 / Math.sqrt(shape[0]);
        for (let i = 0; i < n; i++) values[i] = rng.normal() * std;
      }
      this.#vars.push({ name, v: tf.variable(tf.tensor(values, shape), true, `projector_${id}/${name}`) });
    };
    const dims = [inDim, hiddenDim, hiddenDim, hiddenDim];
    for (let l = 0; l < 3; l++) {
      add(`fc${l}/w`, [dims[l], dims[l + 1]]);
      add(`fc${l}/b`, [dims[l + 1]], 0);
      if (l < 2) {
        add(`ln${l}/g`, [dims[l + 1]], 1);
        add(`ln${l}/b`, [dims[l + 1]], 0);
      }
    }
  }

  /** Trainable variables in a fixed order. */
  get variables(): tf.Variable[] {
    return this.#vars.map((x) => x.v);
  }

  /** Names matching {@linkcode variables}. */
  get names(): string[] {
    return this.#vars.map((x) => x.name);
  }

  #get(name: string): tf.Variable {
    return this.#vars.find((x) => x.name === name)!.v;
  }

  /** Projects `[K, inDim]` embeddings to `[K, hiddenDim]`. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    let h: tf.Tensor2D = x;
    for (let l = 0; l < 3; l++) {
      h = matMul2d(h, this.#get(`fc${l}/w`) as tf.Tensor2D, this.#get(`fc${l}/b`) as tf.Tensor1D);
      if (l < 2) {
        const { mean, variance } = tf.moments(h, 1, true);
        h = tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5)));
        h = tf.add(tf.mul(h, this.#get(`ln${l}/g`)), this.#get(`ln${l}/b`));
        // GELU, tanh approximation, in plain tfjs ops (rows × P is small next to the U-Net).
        const c = Math.sqrt(2 / Math.PI);
        h = tf.mul(tf.mul(0.5, h), tf.add(1, tf.tanh(tf.mul(c, tf.add(h, tf.mul(0.044715, tf.pow(h, 3)))))));
      }
    }
    return h;
  }

  /** Copies weights out by name (asynchronous, for GPU backends). */
  async getWeights(): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
    const out = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const x of this.#vars) out.set(x.name, { shape: [...x.v.shape], values: (await x.v.data()) as Float32Array });
    return out;
  }

  /** Loads weights by name. */
  setWeights(weights: Map<string, { shape: number[]; values: Float32Array }>): void {
    for (const x of this.#vars) {
      const w = weights.get(x.name);
      if (!w || w.shape.join(",") !== x.v.shape.join(",")) {
        throw new RangeError(`Cannot load projector weights: "${x.name}" is missing or mis-shaped`);
      }
      x.v.assign(tf.tensor(w.values, w.shape));
    }
  }

  /** Frees all variables. */
  dispose(): void {
    for (const x of this.#vars) x.v.dispose();
  }
}
