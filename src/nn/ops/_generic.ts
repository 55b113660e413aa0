/**
 * Building blocks of the ops' generic paths (every backend without fast kernels), written so that tfjs's own
 * gradients stay on fast kernels everywhere: broadcasts and reductions on [M, C] views rather than rank 5 (a bias
 * gradient over axes 0–3 of an NDHWC tensor makes wasm and stock cpu transpose all of it), and transposes of rank
 * ≤ 4 (wasm and stock cpu handle higher ranks element by element).
 *
 * @module
 */
import { tf } from "../tf.ts";

/** `y + b` with `b` [C] broadcast over the last axis, computed on an [M, C] view. */
export function addBias<T extends tf.Tensor>(y: T, b: tf.Tensor1D | undefined): T {
  if (b === undefined) return y;
  return tf.reshape(tf.add(tf.reshape(y, [-1, b.shape[0]]), b), y.shape) as T;
}

/**
 * Space-to-depth of NDHWC `x` [N, D, H, W, C] (D, H, W even) into [N·D·H·W/8, 8·C] rows, column
 * ((dz·2 + dy)·2 + dx)·C + c, with two rank-4 transposes.
 */
export function spaceToDepth(x: tf.Tensor5D): tf.Tensor2D {
  const [n, d, h, w, c] = x.shape;
  const a = tf.transpose(tf.reshape(x, [(n * d) / 2, 2, h / 2, 2 * w * c]), [0, 2, 1, 3]);
  const rows = (n * d * h) / 4;
  const b = tf.transpose(tf.reshape(a, [rows, 4, w / 2, 2 * c]), [0, 2, 1, 3]);
  return tf.reshape(b, [(rows * w) / 2, 8 * c]);
}

/** The inverse of {@linkcode spaceToDepth}: [N·D·H·W/8, 8·C] rows back to the fine grid `fine` [N, D, H, W, C]. */
export function depthToSpace(cols: tf.Tensor2D, fine: readonly number[]): tf.Tensor5D {
  const [n, d, h, w, c] = fine;
  const rows = (n * d * h) / 4;
  const b = tf.transpose(tf.reshape(cols, [rows, w / 2, 4, 2 * c]), [0, 2, 1, 3]);
  const a = tf.transpose(tf.reshape(b, [(n * d) / 2, h / 2, 2, 2 * w * c]), [0, 2, 1, 3]);
  return tf.reshape(a, [n, d, h, w, c]);
}
