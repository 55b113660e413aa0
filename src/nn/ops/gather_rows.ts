/**
 * {@linkcode gatherRows}: rows of a 2D tensor by index, with a scatter-add gradient.
 *
 * @module
 */
import { tf } from "../tf.ts";

/**
 * `x[indices]` along axis 0, differentiable with respect to `x`. Same forward as `tf.gather`, but its gradient is a
 * single `tf.scatterND` (duplicates summed) instead of tfjs's `unsortedSegmentSum`, whose cpu kernel loops over
 * every output row with tensor ops (minutes for the 10⁴–10⁷ rows of a batch of dense feature maps).
 *
 * @param x `[R, C]` float32, e.g. a feature map reshaped to one row per voxel.
 * @param indices `[K]` int32 row indices in [0, R).
 * @returns `[K, C]`.
 * @throws {TypeError} If `x` is not rank 2 or `indices` not rank-1 int32.
 * @example Descriptors of the paired voxels
 * ```ts ignore
 * const ya = gatherRows(tf.reshape(features, [-1, 32]) as tf.Tensor2D, pairsA);
 * ```
 */
export function gatherRows(x: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  if (x.rank !== 2) throw new TypeError(`Cannot gather rows of a rank-${x.rank} tensor: expected rank 2 [R, C]`);
  if (indices.rank !== 1 || indices.dtype !== "int32") {
    throw new TypeError(
      `Cannot gather rows with indices of rank ${indices.rank} and dtype ${indices.dtype}: expected rank-1 int32`,
    );
  }
  const rows = x.shape[0];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xi = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([indices]);
    return {
      value: tf.gather(xi, indices),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.scatterND(tf.expandDims(saved[0], 1), dy, [rows, dy.shape[1] as number]),
    };
  });
  return op(x) as tf.Tensor2D;
}
