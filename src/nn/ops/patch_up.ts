/**
 * {@linkcode patchUp}: 2×2×2 stride-2 transposed convolution (upsampling by patches).
 *
 * @module
 */
import { tf } from "../tf.ts";
import { fastKernelsActive } from "../_fast_state.ts";
import { runKernel } from "./_cpu_util.ts";
import { addBias, depthToSpace } from "./_generic.ts";
import { PATCH_UP } from "./_patch_cpu.ts";
import { requireBias, requireSize, requireTensor } from "./_validate.ts";

/**
 * Upsamples by 2 along D, H and W with a 2×2×2, stride-2 transposed convolution, written as a matmul followed by
 * depth-to-space: each voxel's Cin values times `w` give 8·Cout values that fill one 2×2×2 output block.
 * Column `((dz·2 + dy)·2 + dx)·Cout + c` of `w` gives channel c of the output voxel at offset (dz, dy, dx); the
 * bias is shared by the 8 positions. Differentiable with respect to `x`, `w` and `b` on every backend (tfjs itself
 * has no gradient for `conv3dTranspose`).
 *
 * Where it runs: on the cpu backend with fast kernels, one ONNX Runtime graph per direction (`Gemm`, reshape,
 * transpose); elsewhere `tf.matMul`, tfjs reshapes and two rank-4 transposes, with tfjs's gradients.
 *
 * @param x Input, NDHWC `[N, D, H, W, Cin]` float32.
 * @param w Weights `[Cin, 8·Cout]`.
 * @param b Optional bias `[Cout]`.
 * @returns `[N, 2D, 2H, 2W, Cout]`.
 * @throws {TypeError} On a rank, dtype or channel mismatch, or a column count that is not a multiple of 8.
 * @example
 * ```ts ignore
 * const y = patchUp(tf.ones([1, 4, 4, 4, 16]), tf.ones([16, 64])); // [1, 8, 8, 8, 8]
 * ```
 */
export function patchUp(x: tf.Tensor5D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor5D {
  requireTensor("patchUp", "x", x, 5, "NDHWC");
  requireTensor("patchUp", "w", w, 2, "[Cin, 8·Cout]");
  requireSize("patchUp", "w's row count", w.shape[0], x.shape[4], { x: x.shape, w: w.shape });
  requireSize("patchUp", "w's column count modulo 8", w.shape[1] % 8, 0, { w: w.shape });
  requireBias("patchUp", b, w.shape[1] / 8);
  if (fastKernelsActive()) return runKernel<tf.Tensor5D>(PATCH_UP, b === undefined ? { x, w } : { x, w, b });
  return tf.tidy(() => {
    const [n, d, h, wd, cin] = x.shape;
    const cout = w.shape[1] / 8;
    const cols = tf.matMul(tf.reshape(x, [n * d * h * wd, cin]), w) as tf.Tensor2D;
    return addBias(depthToSpace(cols, [n, 2 * d, 2 * h, 2 * wd, cout]), b);
  });
}
