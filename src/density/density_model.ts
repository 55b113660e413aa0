/**
 * The interface every density model q(y | c) of METHOD §5 implements, and the closed set of model kinds.
 *
 * @module
 */
import type { tf } from "../nn/mod.ts";
import type { NamedTensor } from "../train/mod.ts";
import type { FlowSpec } from "./flow.ts";
import type { GaussianSpec } from "./gaussian.ts";
import type { GaussianUncondSpec } from "./gaussian_uncond.ts";

/**
 * The density models: `flow` (conditional affine-coupling normalizing flow, the paper's best), `gaussian`
 * (N(μ(c), diag σ²(c)) from a small MLP) and `gaussian-uncond` (one mean and full covariance, closed form).
 */
export const DENSITY_KINDS = ["flow", "gaussian", "gaussian-uncond"] as const;
/** One of {@linkcode DENSITY_KINDS}. */
export type DensityKind = typeof DENSITY_KINDS[number];

/**
 * Parses a density kind (e.g. a `--density` flag).
 *
 * @param value The text to parse.
 * @returns The kind, typed.
 * @throws {RangeError} If `value` is not one of {@linkcode DENSITY_KINDS}; the message lists them.
 * @example
 * ```ts
 * import { parseDensityKind } from "./density_model.ts";
 * if (parseDensityKind("flow") !== "flow") throw new Error("unreachable");
 * ```
 */
export function parseDensityKind(value: string): DensityKind {
  const found = DENSITY_KINDS.find((k) => k === value);
  if (found !== undefined) return found;
  const close = DENSITY_KINDS.find((k) => k === value.trim().toLowerCase().replaceAll("_", "-"));
  const hint = close === undefined ? "" : ` (did you mean "${close}"?)`;
  throw new RangeError(`Cannot use density kind "${value}": expected one of ${DENSITY_KINDS.join(", ")}${hint}`);
}

/** Everything that rebuilds a density model's architecture (not its weights): what `toJSON()` returns. */
export type DensitySpec = FlowSpec | GaussianSpec | GaussianUncondSpec;

/** Rows of data: y `[count, dy]` and c `[count, dc]`, row-major float32 (one row per voxel). */
export interface DensityBatch {
  /** Descriptors, `count·dy` values. */
  y: Float32Array;
  /** Conditions, `count·dc` values; null (or empty) when dc = 0. Ignored by `gaussian-uncond`. */
  c: Float32Array | null;
  /** Rows (≥ 1). */
  count: number;
}

/** Weights by name, as in checkpoints. */
export type DensityWeights = Map<string, NamedTensor>;

/**
 * A density model q(y | c) over rows of descriptors y `[K, dy]` given conditions c `[K, dc]` (float32, one row per
 * voxel). The anomaly score of a row is `−logProb`. Holds tfjs variables: call {@linkcode DensityModel.dispose}.
 */
export interface DensityModel {
  /** Which model this is. */
  readonly kind: DensityKind;
  /** Descriptor width Dy (columns of y). */
  readonly dy: number;
  /** Condition width Dc (columns of c); 0 for an unconditional model. */
  readonly dc: number;
  /** Trainable variables in a fixed order (empty for `gaussian-uncond`, fitted in closed form). */
  readonly variables: tf.Variable[];
  /** Names of {@linkcode DensityModel.variables}, same order. */
  readonly names: string[];
  /**
   * Log-density of each row, log q(y | c), natural log (nats), for y in its own units. Differentiable with respect
   * to {@linkcode DensityModel.variables}.
   *
   * @param y Descriptors `[K, dy]`.
   * @param c Conditions `[K, dc]`; null when `dc` is 0 (and ignored by `gaussian-uncond`).
   * @returns `[K]`.
   * @throws {TypeError} If a shape does not match `dy`/`dc` or the row counts differ.
   */
  logProb(y: tf.Tensor2D, c: tf.Tensor2D | null): tf.Tensor1D;
  /**
   * Sets the model's fixed, data-dependent parts (per-channel standardisation of y and c) from a first training
   * batch; `fitDensity` calls it once, before the first update. A no-op for `gaussian-uncond`.
   *
   * @throws {RangeError} If the batch's sizes do not match `dy`/`dc`.
   */
  initFromData(batch: DensityBatch): void;
  /**
   * Copies every weight out by name: trainable ones and fixed ones (standardisation, permutations). Asynchronous,
   * for GPU backends.
   */
  getWeights(): Promise<DensityWeights>;
  /**
   * Loads weights saved by {@linkcode DensityModel.getWeights}.
   *
   * @throws {RangeError} If a weight is missing or has another shape.
   */
  setWeights(weights: DensityWeights): void;
  /** The architecture, JSON-serialisable: `createDensityModel(model.toJSON())` rebuilds it (with fresh weights). */
  toJSON(): DensitySpec;
  /** Frees all tensors. */
  dispose(): void;
}
