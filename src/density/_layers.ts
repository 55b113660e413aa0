/**
 * Pieces shared by the density models: named weights, a rank-2 linear layer on the fast Gemm path, per-channel
 * standardisation statistics, and input checks.
 *
 * @module
 */
import type { Rng } from "../data/rng.ts";
import { matMul2d, tf } from "../nn/mod.ts";
import type { DensityBatch, DensityWeights } from "./density_model.ts";

/** `log(2π)`. */
export const LOG_2PI = Math.log(2 * Math.PI);

/** Makes tfjs variable names unique per model instance in one process. */
let nextId = 0;

/** Named tfjs variables, trainable or fixed, in insertion order. */
export class Params {
  readonly #prefix: string;
  readonly #items: { name: string; v: tf.Variable; trainable: boolean }[] = [];

  /** @param label Readable part of the tfjs variable names, e.g. "flow". */
  constructor(label: string) {
    this.#prefix = `density_${label}_${nextId++}`;
  }

  /** Adds a variable holding `values` (row-major) of `shape`. */
  add(name: string, shape: number[], values: Float32Array, trainable: boolean): tf.Variable {
    // The tidy frees the initial tensor (never the variable), so that dispose() frees everything.
    const v = tf.tidy(() => tf.variable(tf.tensor(values, shape), trainable, `${this.#prefix}/${name}`));
    this.#items.push({ name, v, trainable });
    return v;
  }

  /** Adds a trainable weight, normal with std 1/sqrt(fanIn) (default: shape[0], a matrix's input width). */
  addNormal(name: string, shape: number[], rng: Rng, fanIn = shape[0]): tf.Variable {
    const n = shape.reduce((a, b) => a * b, 1);
    const std = 1 / Math.sqrt(fanIn);
    return this.add(name, shape, Float32Array.from({ length: n }, () => rng.normal() * std), true);
  }

  /** Adds a trainable weight filled with `value`. */
  addFilled(name: string, shape: number[], value: number): tf.Variable {
    return this.add(name, shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value), true);
  }

  /** The variable called `name`. */
  get(name: string): tf.Variable {
    const item = this.#items.find((x) => x.name === name);
    if (!item) throw new RangeError(`Cannot find weight "${name}"`);
    return item.v;
  }

  /** Assigns new values (same shape) to the variable called `name`. */
  assign(name: string, values: Float32Array): void {
    const v = this.get(name);
    tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
  }

  /** Trainable variables, in insertion order. */
  get trainable(): tf.Variable[] {
    return this.#items.filter((x) => x.trainable).map((x) => x.v);
  }

  /** Names of {@linkcode Params.trainable}. */
  get trainableNames(): string[] {
    return this.#items.filter((x) => x.trainable).map((x) => x.name);
  }

  /** Every weight, by name (asynchronous, for GPU backends). */
  async getWeights(): Promise<DensityWeights> {
    const out: DensityWeights = new Map();
    for (const x of this.#items) out.set(x.name, { shape: [...x.v.shape], values: (await x.v.data()) as Float32Array });
    return out;
  }

  /**
   * Loads every weight by name (extra names are ignored).
   *
   * @param what The model, for messages ("flow").
   * @throws {RangeError} If a weight is missing or mis-shaped; nothing is assigned then.
   */
  setWeights(weights: DensityWeights, what: string): void {
    for (const x of this.#items) {
      const w = weights.get(x.name);
      if (!w) throw new RangeError(`Cannot load ${what} weights: "${x.name}" is missing`);
      if (w.shape.join(",") !== x.v.shape.join(",") || w.values.length !== x.v.size) {
        throw new RangeError(
          `Cannot load ${what} weights: "${x.name}" has shape [${w.shape}]: expected [${x.v.shape}]`,
        );
      }
    }
    for (const x of this.#items) {
      const w = weights.get(x.name)!;
      tf.tidy(() => x.v.assign(tf.tensor(w.values, w.shape)));
    }
  }

  /** Frees every variable. */
  dispose(): void {
    for (const x of this.#items) x.v.dispose();
  }
}

/**
 * `x·w + b` on rows, `[K, Din]·[Din, Dout] → [K, Dout]`, through nn's `matMul2d` (ONNX Runtime Gemm on the cpu
 * backend with fast kernels: ~12× faster than `tf.matMul` for a 4096 × 48 → 128 → 128 → 32 MLP step, measured here).
 */
export function linear(x: tf.Tensor2D, w: tf.Tensor, b?: tf.Tensor): tf.Tensor2D {
  return matMul2d(x, w as tf.Tensor2D, b as tf.Tensor1D | undefined);
}

/**
 * Per-column mean and standard deviation of `[rows, cols]` values, in float64, with each std floored at
 * `max(1e-3 · largest std, 1e-12)` so that a constant column gets a finite scale.
 *
 * @returns `shift` (means) and `scale` (floored stds), float32 `[cols]`.
 */
export function columnStats(values: Float32Array, rows: number, cols: number): {
  shift: Float32Array;
  scale: Float32Array;
} {
  const mean = new Float64Array(cols);
  const sq = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) mean[j] += values[r * cols + j];
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const d = values[r * cols + j] - mean[j];
      sq[j] += d * d;
    }
  }
  const std = Array.from(sq, (s) => Math.sqrt(s / rows));
  const floor = Math.max(1e-3 * Math.max(0, ...std), 1e-12);
  return { shift: Float32Array.from(mean), scale: Float32Array.from(std, (s) => Math.max(s, floor)) };
}

/**
 * Checks y `[K, dy]` and c `[K, dc]` (or null when dc = 0) for a density model.
 *
 * @param action For messages, e.g. "compute flow log-density".
 * @returns c normalised: null when dc = 0.
 * @throws {TypeError} On a non-tensor, rank, width or row-count mismatch.
 */
export function checkInputs(
  action: string,
  dy: number,
  dc: number,
  y: tf.Tensor2D,
  c: tf.Tensor2D | null,
): tf.Tensor2D | null {
  if (!(y instanceof tf.Tensor) || y.rank !== 2 || y.shape[1] !== dy) {
    const found = y instanceof tf.Tensor ? `shape [${y.shape}]` : typeof y;
    throw new TypeError(`Cannot ${action}: y has ${found}: expected [K, ${dy}]`);
  }
  if (dc === 0) {
    if (c !== null && c !== undefined && !(c instanceof tf.Tensor && c.rank === 2 && c.shape[1] === 0)) {
      const found = c instanceof tf.Tensor ? `shape [${c.shape}]` : typeof c;
      throw new TypeError(`Cannot ${action}: c has ${found}: expected null for an unconditional model`);
    }
    return null;
  }
  if (!(c instanceof tf.Tensor) || c.rank !== 2 || c.shape[1] !== dc || c.shape[0] !== y.shape[0]) {
    const found = c instanceof tf.Tensor ? `shape [${c.shape}]` : String(c);
    throw new TypeError(`Cannot ${action}: c has ${found}: expected [${y.shape[0]}, ${dc}] (one row per row of y)`);
  }
  return c;
}

/**
 * Checks that a batch's arrays hold `count` rows of widths dy and dc (c may be null when dc = 0).
 *
 * @throws {RangeError} On a size mismatch.
 */
export function checkBatchSizes(action: string, dy: number, dc: number, batch: DensityBatch): void {
  const { y, c, count } = batch;
  if (!(Number.isInteger(count) && count >= 1)) {
    throw new RangeError(`Cannot ${action}: count is ${count}: expected a positive integer`);
  }
  if (!(y instanceof Float32Array) || y.length !== count * dy) {
    throw new RangeError(`Cannot ${action}: y has ${y?.length} values: expected ${count}×${dy} float32`);
  }
  if (dc > 0 && (!(c instanceof Float32Array) || c.length !== count * dc)) {
    throw new RangeError(`Cannot ${action}: c has ${c?.length ?? "no"} values: expected ${count}×${dc} float32`);
  }
}

/**
 * Checks the dimensions given to a model's constructor.
 *
 * @throws {RangeError} If `dy < minDy` or `dc < 0`, or either is not an integer.
 */
export function checkDims(what: string, dy: number, dc: number, minDy = 1): void {
  if (!(Number.isInteger(dy) && dy >= minDy)) {
    throw new RangeError(`Cannot build ${what} with dy ${dy}: expected an integer ≥ ${minDy}`);
  }
  if (!(Number.isInteger(dc) && dc >= 0)) {
    throw new RangeError(`Cannot build ${what} with dc ${dc}: expected a non-negative integer`);
  }
}

/** Throws unless `value` is an integer ≥ `min`. */
export function checkInt(what: string, name: string, value: number, min: number): void {
  if (!(Number.isInteger(value) && value >= min)) {
    throw new RangeError(`Cannot build ${what} with ${name} ${value}: expected an integer ≥ ${min}`);
  }
}

/**
 * Sets the per-channel standardisation of y (and c when dc > 0) — the `norm/*` weights shared by the flow and the
 * gaussian — from a first training batch.
 */
export function initStandardisation(p: Params, model: string, dy: number, dc: number, batch: DensityBatch): void {
  checkBatchSizes(`initialise the ${model} from data`, dy, dc, batch);
  const ys = columnStats(batch.y, batch.count, dy);
  p.assign("norm/y_shift", ys.shift);
  p.assign("norm/y_scale", ys.scale);
  if (dc > 0) {
    const cs = columnStats(batch.c!, batch.count, dc);
    p.assign("norm/c_shift", cs.shift);
    p.assign("norm/c_scale", cs.scale);
  }
}
