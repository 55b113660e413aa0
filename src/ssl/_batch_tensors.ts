/**
 * A crop-pair batch as tfjs tensors, shared by pretraining and its diagnostics.
 *
 * @module
 */
import type { DenseModel } from "../models/mod.ts";
import { tf } from "../nn/mod.ts";
import type { CropPairBatch } from "./batch.ts";

/** The batch as tensors: views `[2B, D, H, W, 1]` (A then B), masks (condition model), pair row indices. */
export function batchTensors(model: DenseModel, batch: CropPairBatch) {
  const [b, d, h, w] = batch.viewShape;
  const v = d * h * w;
  const views = new Float32Array(2 * b * v);
  views.set(batch.viewA, 0);
  views.set(batch.viewB, b * v);
  let m: tf.Tensor5D | undefined;
  if (model.role === "condition") {
    const masks = new Float32Array(2 * b * v);
    for (let i = 0; i < b * v; i++) {
      masks[i] = batch.maskA[i];
      masks[b * v + i] = batch.maskB[i];
    }
    m = tf.tensor5d(masks, [2 * b, d, h, w, 1]);
  }
  const rowsB = new Int32Array(batch.pairCount);
  for (let i = 0; i < batch.pairCount; i++) rowsB[i] = batch.pairsB[i] + b * v;
  return {
    x: tf.tensor5d(views, [2 * b, d, h, w, 1]),
    m,
    idxA: tf.tensor1d(batch.pairsA, "int32"),
    idxB: tf.tensor1d(rowsB, "int32"),
  };
}
