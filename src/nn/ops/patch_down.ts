/**
 * {@linkcode patchDown}: 2×2×2 stride-2 convolution (downsampling by patches).
 *
 * @module
 */
import { tf } from "../tf.ts";
import { fastKernelsActive } from "../_fast_state.ts";
import { runKernel } from "./_cpu_util.ts";
import { addBias, spaceToDepth } from "./_generic.ts";
import { PATCH_DOWN } from "./_patch_cpu.ts";
import { requireBias, requireEvenGrid, requireSize, requireTensor } from "./_validate.ts";

/**
 * Downsamples by 2 along D, H and W with a 2×2×2, stride-2 convolution, written as space-to-depth followed by a
 * matmul: each non-overlapping 2×2×2 block of `x` becomes one row of 8·Cin values, multiplied by `w`.
 * Row `((dz·2 + dy)·2 + dx)·Cin + c` of `w` multiplies channel c of the voxel at offset (dz, dy, dx) — the same
 * weights as a `tf.conv3d` filter `[2, 2, 2, Cin, Cout]` reshaped to `[8·Cin, Cout]`. Differentiable with respect to
 * `x`, `w` and `b` on every backend.
 *
 * Where it runs: on the cpu backend with fast kernels, one ONNX Runtime graph per direction (reshape, transpose,
 * `Gemm`); elsewhere tfjs reshapes, two rank-4 transposes and `tf.matMul`, with tfjs's gradients.
 *
 * @param x Input, NDHWC `[N, D, H, W, Cin]` float32 with D, H, W even.
 * @param w Weights `[8·Cin, Cout]`.
 * @param b Optional bias `[Cout]`.
 * @returns `[N, D/2, H/2, W/2, Cout]`.
 * @throws {TypeError} On a rank, dtype or channel mismatch.
 * @throws {RangeError} If D, H or W is odd.
 * @example
 * ```ts ignore
 * const y = patchDown(tf.ones([1, 8, 8, 8, 4]), tf.ones([32, 16])); // [1, 4, 4, 4, 16]
 * ```
 */
export function patchDown(x: tf.Tensor5D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor5D {
  requireTensor("patchDown", "x", x, 5, "NDHWC");
  requireTensor("patchDown", "w", w, 2, "[8·Cin, Cout]");
  requireEvenGrid("patchDown", x.shape);
  requireSize("patchDown", "w's row count", w.shape[0], 8 * x.shape[4], { x: x.shape, w: w.shape });
  requireBias("patchDown", b, w.shape[1]);
  if (fastKernelsActive()) return runKernel<tf.Tensor5D>(PATCH_DOWN, b === undefined ? { x, w } : { x, w, b });
  return tf.tidy(() => {
    const [n, d, h, wd] = x.shape;
    const y = addBias(tf.matMul(spaceToDepth(x), w), b);
    return tf.reshape(y, [n, d / 2, h / 2, wd / 2, w.shape[1]]);
  });
}
