/**
 * {@linkcode layerNorm}: normalisation over the channel axis of each voxel.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { fastKernelsActive } from "../_fast_state.ts";
import { runKernel } from "./_cpu_util.ts";
import { LAYER_NORM } from "./_layer_norm_cpu.ts";
import { requireSize, requireTensor } from "./_validate.ts";

/**
 * LayerNorm over the channel axis, per voxel (ConvNeXt's channels-last LayerNorm):
 * `y = (x − μ) / √(σ² + eps) · gamma + beta`, with μ and the biased variance σ² taken over the C channels of each
 * voxel; differentiable with respect to `x`, `gamma` and `beta` on every backend.
 *
 * Where it runs: on the cpu backend with fast kernels, fused JS loops (forward, input gradient, gamma gradient;
 * the beta gradient is a channel sum); elsewhere `tf.moments` and elementwise tfjs ops with tfjs's gradients.
 *
 * @param x Input, NDHWC `[N, D, H, W, C]` float32.
 * @param gamma Scale `[C]`.
 * @param beta Shift `[C]`.
 * @param eps Added to the variance, > 0. @default {1e-6}
 * @returns `[N, D, H, W, C]`.
 * @throws {TypeError} On a rank, dtype or channel mismatch.
 * @throws {RangeError} If `eps` is not a positive finite number.
 * @example
 * ```ts ignore
 * const y = layerNorm(x, tf.ones([16]), tf.zeros([16])); // x: [N, D, H, W, 16]
 * ```
 */
export function layerNorm(x: tf.Tensor5D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-6): tf.Tensor5D {
  requireTensor("layerNorm", "x", x, 5, "NDHWC");
  requireTensor("layerNorm", "gamma", gamma, 1, "[C]");
  requireTensor("layerNorm", "beta", beta, 1, "[C]");
  requireSize("layerNorm", "gamma's length", gamma.shape[0], x.shape[4], { x: x.shape, gamma: gamma.shape });
  requireSize("layerNorm", "beta's length", beta.shape[0], x.shape[4], { x: x.shape, beta: beta.shape });
  if (!(eps > 0 && Number.isFinite(eps))) {
    throw new RangeError(`Cannot apply layerNorm: eps is ${eps}: expected a positive finite number`);
  }
  if (fastKernelsActive()) return runKernel<tf.Tensor5D>(LAYER_NORM, { x, gamma, beta }, { eps });
  return tf.tidy(() => {
    const rows = tf.reshape(x, [-1, x.shape[4]]); // [M, C]: gamma's and beta's gradients reduce over axis 0 only
    const { mean, variance } = tf.moments(rows, 1, true);
    const xhat = tf.mul(tf.sub(rows, mean), tf.rsqrt(tf.add(variance, eps)));
    return tf.reshape(tf.add(tf.mul(xhat, gamma), beta), x.shape);
  });
}
