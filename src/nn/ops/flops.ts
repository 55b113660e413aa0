/**
 * {@linkcode flopsOf}: floating-point operation counts of the nn ops, for GFLOP/s figures.
 *
 * @module
 */

/** Ops {@linkcode flopsOf} knows. */
export const FLOP_OPS = [
  "conv3d",
  "depthwiseConv3d",
  "pointwise",
  "patchDown",
  "patchUp",
  "layerNorm",
  "gelu",
  "addScaled",
] as const;
/** One of {@linkcode FLOP_OPS}. */
export type FlopOp = typeof FLOP_OPS[number];

/** FLOPs of one op call and of each of its gradients. */
export interface OpFlops {
  /** Forward. */
  readonly forward: number;
  /** Gradient with respect to the input. */
  readonly inputGrad: number;
  /** Gradient with respect to the weights. */
  readonly weightGrad: number;
}

/**
 * FLOP counts under the convention of PyTorch/fvcore-style counters: 2 per multiply–add of convolutions and matmuls
 * (taps that fall on "same" zero padding included, biases excluded); elementwise and normalisation ops
 * (`layerNorm`, `gelu`, `addScaled`) count 0, so GFLOP/s figures compare with such counters directly.
 * Both gradients of a convolution or matmul cost as much as its forward.
 *
 * @param op The op.
 * @param xShape Input shape, NDHWC `[N, D, H, W, Cin]`.
 * @param wShape Weight shape as the op takes it (conv3d `[kd, kh, kw, Cin, Cout]`, depthwise `[kd, kh, kw, C]`,
 *   pointwise `[Cin, Cout]`, patchDown `[8·Cin, Cout]`, patchUp `[Cin, 8·Cout]`); ignored for 0-FLOP ops.
 * @returns FLOPs of the forward and of each gradient.
 * @throws {RangeError} If `xShape` is not rank 5 or `wShape` is missing where needed.
 * @example
 * ```ts
 * import { flopsOf } from "./flops.ts";
 * const f = flopsOf("pointwise", [2, 32, 32, 32, 8], [8, 32]);
 * if (f.forward !== 2 * 65536 * 8 * 32) throw new Error("unexpected");
 * ```
 */
export function flopsOf(op: FlopOp, xShape: readonly number[], wShape: readonly number[] = []): OpFlops {
  if (xShape.length !== 5) {
    throw new RangeError(`Cannot count FLOPs of ${op}: xShape is [${xShape.join(", ")}]: expected rank 5 (NDHWC)`);
  }
  if (op === "layerNorm" || op === "gelu" || op === "addScaled") return { forward: 0, inputGrad: 0, weightGrad: 0 };
  if (wShape.length === 0) {
    throw new RangeError(`Cannot count FLOPs of ${op}: wShape is missing: expected the weight shape`);
  }
  // Each output voxel of every op but patchDown takes one multiply–add per weight; patchDown's outputs are 8× fewer.
  const voxels = xShape[0] * xShape[1] * xShape[2] * xShape[3];
  const macs = (op === "patchDown" ? voxels / 8 : voxels) * wShape.reduce((a, b) => a * b, 1);
  return { forward: 2 * macs, inputGrad: 2 * macs, weightGrad: 2 * macs };
}
