/**
 * {@linkcode addScaled}: a residual connection with a per-channel scale (ConvNeXt's "layer scale").
 *
 * @module
 */
import { tf } from "../tf.ts";
import { fastKernelsActive } from "../_fast_state.ts";
import { ADD_SCALED } from "./_add_scaled_cpu.ts";
import { runKernel } from "./_cpu_util.ts";
import { requireSize, requireTensor } from "./_validate.ts";

/**
 * `x + h·scale`, with `scale` broadcast over the channel axis: a ConvNeXt block's residual with layer scale in one
 * op; differentiable with respect to `x`, `h` and `scale` on every backend.
 *
 * Where it runs: on the cpu backend with fast kernels, fused JS loops (forward; gradients `dy`, `dy·scale` and
 * Σ `dy·h`) — the stock cpu kernels take a slow generic path for the broadcast and for its gradient's reduction;
 * elsewhere `tf.add(x, tf.mul(h, scale))` with tfjs's gradients.
 *
 * @param x Residual input, NDHWC `[N, D, H, W, C]` float32.
 * @param h Branch output, same shape as `x`.
 * @param scale Per-channel scale `[C]`.
 * @returns `[N, D, H, W, C]`.
 * @throws {TypeError} On a rank, dtype or shape mismatch.
 * @example
 * ```ts ignore
 * const y = addScaled(x, block(x), layerScale); // x + block(x) · layerScale
 * ```
 */
export function addScaled(x: tf.Tensor5D, h: tf.Tensor5D, scale: tf.Tensor1D): tf.Tensor5D {
  requireTensor("addScaled", "x", x, 5, "NDHWC");
  requireTensor("addScaled", "h", h, 5, "NDHWC");
  requireTensor("addScaled", "scale", scale, 1, "[C]");
  x.shape.forEach((s, i) => requireSize("addScaled", `h's axis ${i}`, h.shape[i], s, { x: x.shape, h: h.shape }));
  requireSize("addScaled", "scale's length", scale.shape[0], x.shape[4], { x: x.shape, scale: scale.shape });
  if (fastKernelsActive()) return runKernel<tf.Tensor5D>(ADD_SCALED, { x, h, scale });
  return tf.tidy(() => {
    const c = x.shape[4];
    return tf.reshape(tf.add(tf.reshape(x, [-1, c]), tf.mul(tf.reshape(h, [-1, c]), scale)), x.shape);
  });
}
