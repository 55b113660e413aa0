/**
 * {@linkcode pointwise}: a per-voxel linear map of the channels (a 1×1×1 convolution).
 *
 * @module
 */
import { tf } from "../tf.ts";
import { fastKernelsActive } from "../_fast_state.ts";
import { runKernel } from "./_cpu_util.ts";
import { addBias } from "./_generic.ts";
import { POINTWISE } from "./_pointwise_cpu.ts";
import { requireBias, requireSize, requireTensor } from "./_validate.ts";

/**
 * Per-voxel channel matmul, `y[n, z, y, x, :] = x[n, z, y, x, :]·w + b` (a 1×1×1 convolution); differentiable with
 * respect to `x`, `w` and `b` on every backend.
 *
 * Where it runs: on the cpu backend with fast kernels, ONNX Runtime `Gemm` on the activations as an
 * [N·D·H·W, Cin] matrix (forward, `dy·wᵀ`, `xᵀ·dy`); elsewhere `tf.matMul` on the same reshape.
 *
 * @param x Input, NDHWC `[N, D, H, W, Cin]` float32.
 * @param w Weights `[Cin, Cout]`.
 * @param b Optional bias `[Cout]`.
 * @returns `[N, D, H, W, Cout]`.
 * @throws {TypeError} On a rank, dtype or channel mismatch.
 * @example
 * ```ts ignore
 * const y = pointwise(tf.ones([1, 8, 8, 8, 16]), tf.ones([16, 64])); // [1, 8, 8, 8, 64]
 * ```
 */
export function pointwise(x: tf.Tensor5D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor5D {
  requireTensor("pointwise", "x", x, 5, "NDHWC");
  requireTensor("pointwise", "w", w, 2, "[Cin, Cout]");
  requireSize("pointwise", "w's row count", w.shape[0], x.shape[4], { x: x.shape, w: w.shape });
  requireBias("pointwise", b, w.shape[1]);
  if (fastKernelsActive()) return runKernel<tf.Tensor5D>(POINTWISE, b === undefined ? { x, w } : { x, w, b });
  return tf.tidy(() => {
    const [n, d, h, wd, cin] = x.shape;
    const y = addBias(tf.matMul(tf.reshape(x, [n * d * h * wd, cin]), w), b);
    return tf.reshape(y, [n, d, h, wd, w.shape[1]]);
  });
}
