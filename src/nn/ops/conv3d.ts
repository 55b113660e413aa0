/**
 * {@linkcode conv3d}: dense 3D convolution, stride 1, "same" zero padding.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { fastKernelsActive } from "../_fast_state.ts";
import { CONV3D } from "./_conv3d_cpu.ts";
import { runKernel } from "./_cpu_util.ts";
import { addBias } from "./_generic.ts";
import { requireBias, requireOddKernel, requireSize, requireTensor } from "./_validate.ts";

/**
 * Dense 3D convolution (cross-correlation, as `tf.conv3d`), stride 1, zero "same" padding, odd kernel extents;
 * differentiable with respect to `x`, `w` and `b` on every backend.
 *
 * Where it runs: on the cpu backend with fast kernels, ONNX Runtime `Conv` graphs (forward, input gradient as a
 * convolution with flipped weights, filter gradient as a convolution with channels as batch). On wasm, a sum over
 * depth taps of `tf.conv2d` (XNNPACK) on [N·D, H, W, Cin] slabs, with a custom gradient from forward conv2d only —
 * never wasm's `Conv3DBackpropInputV2`, which is numerically wrong, nor its naive Conv3D loops. Elsewhere
 * `tf.conv3d` with a custom gradient: a forward `tf.conv3d` with flipped, transposed weights for the input and the
 * backend's `Conv3DBackpropFilterV2` for the filter.
 *
 * @param x Input, NDHWC `[N, D, H, W, Cin]` float32 (D, H, W = the k, j, i axes of a Volume).
 * @param w Filter `[kd, kh, kw, Cin, Cout]`, odd extents.
 * @param b Optional bias `[Cout]`.
 * @returns `[N, D, H, W, Cout]`.
 * @throws {TypeError} On a rank, dtype or channel mismatch.
 * @throws {RangeError} On an even kernel extent.
 * @example
 * ```ts ignore
 * const y = conv3d(tf.ones([1, 8, 8, 8, 1]), tf.ones([3, 3, 3, 1, 4])); // [1, 8, 8, 8, 4]
 * ```
 */
export function conv3d(x: tf.Tensor5D, w: tf.Tensor5D, b?: tf.Tensor1D): tf.Tensor5D {
  requireTensor("conv3d", "x", x, 5, "NDHWC");
  requireTensor("conv3d", "w", w, 5, "[kd, kh, kw, Cin, Cout]");
  requireSize("conv3d", "w's input channel count", w.shape[3], x.shape[4], { x: x.shape, w: w.shape });
  requireOddKernel("conv3d", w.shape.slice(0, 3));
  requireBias("conv3d", b, w.shape[4]);
  if (fastKernelsActive()) return runKernel<tf.Tensor5D>(CONV3D, b === undefined ? { x, w } : { x, w, b });
  return tf.tidy(() => addBias(conv3dGeneric(x, w) as tf.Tensor5D, b));
}

/**
 * Reverses the kernel's taps along all of kd, kh, kw at once: the flattened tap index (a·kh + b)·kw + c maps to
 * K − 1 minus itself, so a rank-2 reverse does it (webgpu's Reverse kernel mis-shapes rank-5 tensors).
 *
 * @param w `[kd, kh, kw, ...]`.
 * @returns The same shape, spatially flipped.
 */
export function flipTaps<T extends tf.Tensor>(w: T): T {
  return tf.tidy(() => {
    const [kd, kh, kw] = w.shape as number[];
    const taps = kd * kh * kw;
    return tf.reshape(tf.reverse(tf.reshape(w, [taps, -1]), 0), w.shape) as T;
  });
}

/**
 * The convolution's filter as used by the input gradient: spatially flipped, Cin and Cout swapped.
 *
 * @param w `[kd, kh, kw, Cin, Cout]`.
 * @returns `[kd, kh, kw, Cout, Cin]`.
 */
export function flipFilter(w: tf.Tensor5D): tf.Tensor5D {
  return tf.tidy(() => {
    const [kd, kh, kw, cin, cout] = w.shape;
    const swapped = tf.transpose(tf.reshape(flipTaps(w), [kd * kh * kw, cin, cout]), [0, 2, 1]);
    return tf.reshape(swapped, [kd, kh, kw, cout, cin]);
  });
}

/** Filter gradient through the backend's `Conv3DBackpropFilterV2` kernel (correct on cpu, wasm, webgpu). */
function filterGrad(x: tf.Tensor5D, dy: tf.Tensor5D, filterShape: number[]): tf.Tensor5D {
  return runKernel<tf.Tensor5D>("Conv3DBackpropFilterV2", { x, dy }, { strides: 1, pad: "same", filterShape });
}

/**
 * Forward by depth taps: Σ_a conv2d(x shifted by a − p along D, w[a]) on [N·D, H, W, Cin] slabs — how the wasm
 * backend gets XNNPACK's conv2d instead of its naive Conv3D loops (~0.4 GFLOP/s).
 */
function conv3dByTaps(x: tf.Tensor5D, w: tf.Tensor5D): tf.Tensor5D {
  const [n, d, h, wd, cin] = x.shape;
  const pd = (w.shape[0] - 1) / 2;
  const flat = tf.reshape(x, [n, d, h * wd * cin]);
  const padded = pd > 0 ? tf.pad(flat, [[0, 0], [pd, pd], [0, 0]]) : flat;
  const parts = tf.unstack(w, 0).map((tap, a) => {
    const slab = tf.reshape(tf.slice(padded, [0, a, 0], [n, d, h * wd * cin]), [n * d, h, wd, cin]) as tf.Tensor4D;
    return tf.conv2d(slab, tap as tf.Tensor4D, 1, "same");
  });
  return tf.reshape(parts.length === 1 ? parts[0] : tf.addN(parts), [n, d, h, wd, w.shape[4]]);
}

/**
 * Filter gradient by depth taps with forward conv2d only (wasm has no Conv2DBackpropFilter): for tap a, a "valid"
 * conv2d whose batch is Cin and whose channels are the (z, n) pairs — input x padded, as [Cin, H+2p, W+2p, D·N]
 * shifted by a along z; filter dy as [H, W, D·N, Cout] — gives dw[a] as [Cin, kh, kw, Cout].
 */
function filterGradByTaps(x: tf.Tensor5D, dy: tf.Tensor5D, filterShape: number[]): tf.Tensor5D {
  const [n, d, h, wd, cin] = x.shape;
  const [kd, kh, kw, , cout] = filterShape;
  const [pd, ph, pw] = [kd, kh, kw].map((k) => (k - 1) / 2);
  const [hp, wp] = [h + 2 * ph, wd + 2 * pw];
  // [Cin, H, W, D·N], zero-padded; D is the outer part of the last axis, so pd·N entries pad pd depth slices.
  const xt = tf.reshape(tf.transpose(tf.reshape(x, [n, d, h * wd, cin]), [3, 2, 1, 0]), [cin, h, wd, d * n]);
  const channels = tf.pad(xt, [[0, 0], [ph, ph], [pw, pw], [pd * n, pd * n]]);
  const kernel = tf.reshape(tf.transpose(tf.reshape(dy, [n, d, h * wd, cout]), [2, 1, 0, 3]), [h, wd, d * n, cout]);
  const taps: tf.Tensor4D[] = [];
  for (let a = 0; a < kd; a++) {
    const input = tf.slice(channels, [0, 0, 0, a * n], [cin, hp, wp, d * n]) as tf.Tensor4D;
    taps.push(tf.conv2d(input, kernel as tf.Tensor4D, 1, "valid"));
  }
  const stacked = tf.reshape(tf.stack(taps), [kd, cin, kh * kw, cout]);
  return tf.reshape(tf.transpose(stacked, [0, 2, 1, 3]), [kd, kh, kw, cin, cout]);
}

const conv3dGeneric = tf.customGrad((x, w, save) => {
  const [xs, ws] = [x as tf.Tensor5D, w as tf.Tensor5D];
  (save as tf.GradSaveFunc)([xs, ws]);
  const byTaps = tf.getBackend() === "wasm";
  return {
    value: byTaps ? conv3dByTaps(xs, ws) : tf.conv3d(xs, ws, 1, "same"),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as tf.Tensor5D[];
      const g = dy as tf.Tensor5D;
      const flipped = flipFilter(sw);
      return byTaps
        ? [conv3dByTaps(g, flipped), filterGradByTaps(sx, g, sw.shape)]
        : [tf.conv3d(g, flipped, 1, "same"), filterGrad(sx, g, sw.shape)];
    },
  };
});
