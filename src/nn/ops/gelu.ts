/**
 * {@linkcode gelu}: the Gaussian error linear unit, tanh approximation.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { fastKernelsActive } from "../_fast_state.ts";
import { runKernel } from "./_cpu_util.ts";
import { GELU } from "./_gelu_cpu.ts";

const K = Math.sqrt(2 / Math.PI);

/**
 * GELU with the **tanh approximation**, `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` (PyTorch's
 * `GELU(approximate="tanh")`; it differs from the erf form by < 1e-3 in absolute value, and tfjs has no fused erf
 * GELU on every backend). Elementwise, any shape, differentiable on every backend.
 *
 * Where it runs: on the cpu backend with fast kernels, ONNX Runtime's `FastGelu` contrib op for the forward (a JS
 * loop below 4096 elements) and one JS loop for the gradient, computed from the saved input and output;
 * elsewhere elementwise tfjs ops with tfjs's gradients.
 *
 * @param x Any float32 tensor.
 * @returns Same shape as `x`.
 * @throws {TypeError} If `x` is not a float32 tensor.
 * @example
 * ```ts ignore
 * const y = gelu(tf.tensor1d([-1, 0, 1])); // ≈ [-0.1588, 0, 0.8412]
 * ```
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  if (!(x instanceof tf.Tensor) || x.dtype !== "float32") {
    const found = x instanceof tf.Tensor ? `dtype ${x.dtype}` : typeof x;
    throw new TypeError(`Cannot apply gelu: x has ${found}: expected a float32 tf.Tensor`);
  }
  if (fastKernelsActive()) return runKernel<T>(GELU, { x });
  return tf.tidy(() => {
    const inner = tf.mul(K, tf.add(x, tf.mul(0.044715, tf.mul(x, tf.square(x)))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner))) as T;
  });
}
