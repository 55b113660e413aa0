/**
 * View agreement: the direct reading of how invariant a pretrained network is. Dense VICReg (METHOD §3–4) asks the
 * outputs at the two voxels of a positive pair — one world point seen in two crops with their own spacing,
 * augmentations and (condition model) block masks — to be equal while every channel keeps its spread; its loss
 * mixes both, so a loss stuck near the collapsed value (25 for the default weights) does not say which half fails.
 * The per-channel Pearson correlation across the pairs separates them: 1 = the channel is the same in both views,
 * 0 = unrelated. A condition model whose channels correlate weakly across its own training views cannot carry
 * anatomy into q(y | c).
 *
 * @module
 */
import type { DenseModel } from "../models/mod.ts";
import { tf } from "../nn/mod.ts";
import { batchTensors } from "./_batch_tensors.ts";
import type { CropPairBatch } from "./batch.ts";

/**
 * Per output channel, the Pearson correlation across the batch's positive pairs between the network's output at the
 * pair's voxel in view A and at its voxel in view B (masks are fed to the condition model as in training).
 *
 * @param model The network (descriptor or condition); its output is read at every paired voxel.
 * @param batch A batch from `sampleBatch`, made for this model's role when masks should count.
 * @returns One correlation per output channel, in [−1, 1]; NaN for a channel that is constant in either view.
 * @throws {RangeError} If the batch has fewer than 2 pairs.
 */
export async function viewAgreement(model: DenseModel, batch: CropPairBatch): Promise<Float64Array> {
  if (batch.pairCount < 2) {
    throw new RangeError(`Cannot measure view agreement on ${batch.pairCount} pair(s): expected at least 2`);
  }
  const channels = model.unet.config.outChannels;
  const pairs = tf.tidy(() => {
    const { x, m, idxA, idxB } = batchTensors(model, batch);
    const flat = tf.reshape(model.apply(x, m), [-1, channels]) as tf.Tensor2D;
    return tf.stack([tf.gather(flat, idxA), tf.gather(flat, idxB)]);
  });
  const values = (await pairs.data()) as Float32Array;
  pairs.dispose();
  const n = batch.pairCount;
  const out = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    let ma = 0, mb = 0;
    for (let r = 0; r < n; r++) {
      ma += values[r * channels + c];
      mb += values[(n + r) * channels + c];
    }
    ma /= n;
    mb /= n;
    let sab = 0, saa = 0, sbb = 0;
    for (let r = 0; r < n; r++) {
      const a = values[r * channels + c] - ma, b = values[(n + r) * channels + c] - mb;
      sab += a * b;
      saa += a * a;
      sbb += b * b;
    }
    out[c] = saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
  }
  return out;
}
