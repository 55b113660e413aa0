/**
 * {@linkcode depthwiseConv3d}: per-channel 3D convolution, stride 1, "same" zero padding.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { fastKernelsActive } from "../_fast_state.ts";
import { flipTaps } from "./conv3d.ts";
import { runKernel } from "./_cpu_util.ts";
import { addBias } from "./_generic.ts";
import { DEPTHWISE_CONV3D } from "./_depthwise_conv3d_cpu.ts";
import { requireBias, requireOddKernel, requireSize, requireTensor } from "./_validate.ts";

/**
 * Depthwise 3D convolution (channel multiplier 1; cross-correlation as in tfjs): each channel is convolved with
 * its own kernel, stride 1, zero "same" padding, odd extents; differentiable with respect to `x`, `w` and `b` on
 * every backend. tfjs has no depthwise conv3d, so:
 *
 * - cpu with fast kernels: ONNX Runtime grouped `Conv` (`group` = C) for the forward and both gradients;
 * - elsewhere: a sum over the kd depth taps of `tf.depthwiseConv2d` on depth-shifted [N·D, H, W, C] slabs, with a
 *   custom gradient built from forward ops only (the wasm backend has no depthwise backprop kernels): the input
 *   gradient is the same op with the flipped filter; the filter gradient of each depth tap is a "valid"
 *   `tf.depthwiseConv2d` of the padded input, laid out as [1, H+2p, W+2p, D·N·C], with the output gradient as a
 *   [H, W, D·N·C, 1] filter, summed over D·N.
 *
 * @param x Input, NDHWC `[N, D, H, W, C]` float32.
 * @param w Filter `[kd, kh, kw, C]`, odd extents.
 * @param b Optional bias `[C]`.
 * @returns `[N, D, H, W, C]`.
 * @throws {TypeError} On a rank, dtype or channel mismatch.
 * @throws {RangeError} On an even kernel extent.
 * @example
 * ```ts ignore
 * const y = depthwiseConv3d(tf.ones([1, 8, 8, 8, 4]), tf.ones([7, 7, 7, 4])); // [1, 8, 8, 8, 4]
 * ```
 */
export function depthwiseConv3d(x: tf.Tensor5D, w: tf.Tensor4D, b?: tf.Tensor1D): tf.Tensor5D {
  requireTensor("depthwiseConv3d", "x", x, 5, "NDHWC");
  requireTensor("depthwiseConv3d", "w", w, 4, "[kd, kh, kw, C]");
  requireSize("depthwiseConv3d", "w's channel count", w.shape[3], x.shape[4], { x: x.shape, w: w.shape });
  requireOddKernel("depthwiseConv3d", w.shape.slice(0, 3));
  requireBias("depthwiseConv3d", b, x.shape[4]);
  if (fastKernelsActive()) return runKernel<tf.Tensor5D>(DEPTHWISE_CONV3D, b === undefined ? { x, w } : { x, w, b });
  return tf.tidy(() => addBias(depthwiseGeneric(x, w) as tf.Tensor5D, b));
}

/** Forward by depth taps: Σ_a depthwiseConv2d(x shifted by a − p along D, w[a]). */
function depthwiseByTaps(x: tf.Tensor5D, w: tf.Tensor4D): tf.Tensor5D {
  const [n, d, h, wd, c] = x.shape;
  const pd = (w.shape[0] - 1) / 2;
  const flat = tf.reshape(x, [n, d, h * wd * c]);
  const padded = pd > 0 ? tf.pad(flat, [[0, 0], [pd, pd], [0, 0]]) : flat;
  const parts = tf.unstack(w, 0).map((tap, a) => {
    const slab = tf.reshape(tf.slice(padded, [0, a, 0], [n, d, h * wd * c]), [n * d, h, wd, c]) as tf.Tensor4D;
    return tf.depthwiseConv2d(slab, tf.expandDims(tap, 3) as tf.Tensor4D, 1, "same");
  });
  return tf.reshape(parts.length === 1 ? parts[0] : tf.addN(parts), [n, d, h, wd, c]);
}

/** Filter gradient by depth taps, with forward `tf.depthwiseConv2d` only (see {@linkcode depthwiseConv3d}). */
function depthwiseFilterGrad(x: tf.Tensor5D, dy: tf.Tensor5D, filterShape: number[]): tf.Tensor4D {
  const [n, d, h, wd, c] = x.shape;
  const [kd, kh, kw] = filterShape;
  const [pd, ph, pw] = [kd, kh, kw].map((k) => (k - 1) / 2);
  const [hp, wp] = [h + 2 * ph, wd + 2 * pw];
  const xt = tf.reshape(tf.transpose(tf.reshape(x, [n, d * h * wd, c]), [1, 0, 2]), [d, h, wd, n * c]);
  const padded = tf.reshape(tf.pad(xt, [[pd, pd], [ph, ph], [pw, pw], [0, 0]]), [d + 2 * pd, hp * wp * n * c]);
  const dyt = tf.transpose(tf.reshape(dy, [n, d, h * wd, c]), [2, 1, 0, 3]); // [H·W, D, N, C]
  const kernel = tf.reshape(dyt, [h, wd, d * n * c, 1]) as tf.Tensor4D;
  const taps: tf.Tensor3D[] = [];
  for (let a = 0; a < kd; a++) {
    const slab = tf.reshape(tf.slice(padded, [a, 0], [d, hp * wp * n * c]), [d, hp, wp, n * c]);
    const input = tf.reshape(tf.transpose(slab, [1, 2, 0, 3]), [1, hp, wp, d * n * c]) as tf.Tensor4D;
    const out = tf.depthwiseConv2d(input, kernel, 1, "valid");
    taps.push(tf.sum(tf.reshape(out, [kh, kw, d * n, c]), 2));
  }
  return tf.stack(taps) as tf.Tensor4D;
}

const depthwiseGeneric = tf.customGrad((x, w, save) => {
  const [xs, ws] = [x as tf.Tensor5D, w as tf.Tensor4D];
  (save as tf.GradSaveFunc)([xs, ws]);
  return {
    value: depthwiseByTaps(xs, ws),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as [tf.Tensor5D, tf.Tensor4D];
      const g = dy as tf.Tensor5D;
      return [depthwiseByTaps(g, flipTaps(sw)), depthwiseFilterGrad(sx, g, sw.shape)];
    },
  };
});
