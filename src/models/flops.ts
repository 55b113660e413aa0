/**
 * FLOP counts of a {@linkcode UNet3d} training step, for benchmarks (GFLOP/s). Convention of `flopsOf` in src/nn:
 * 2 FLOPs per multiply–add of convolutions and matmuls, elementwise ops 0.
 *
 * @module
 */
import { flopsOf } from "../nn/mod.ts";
import type { UNetConfig } from "./unet.ts";

/**
 * FLOPs of one forward pass and of a training step (forward + input and weight gradients of every op, except the
 * stem's input gradient, which no one needs) of a U-Net on an NDHWC input `[n, d, h, w, inChannels]`.
 */
export function unetFlops(config: UNetConfig, inputShape: readonly number[]): { forward: number; trainStep: number } {
  const [n, d0, h0, w0] = inputShape;
  let forward = 0, backward = 0;
  const add = (op: Parameters<typeof flopsOf>[0], x: number[], w: number[], needInputGrad = true) => {
    const f = flopsOf(op, x, w);
    forward += f.forward;
    backward += f.weightGrad + (needInputGrad ? f.inputGrad : 0);
  };
  const { widths, encoderBlocks, decoderBlocks, kernelSize: k, stemKernelSize: ks, mlpRatio, inChannels } = config;
  const shapeAt = (l: number, c: number) => [n, d0 >> l, h0 >> l, w0 >> l, c];
  const block = (l: number) => {
    const c = widths[l];
    add("depthwiseConv3d", shapeAt(l, c), [k, k, k, c]);
    add("pointwise", shapeAt(l, c), [c, mlpRatio * c]);
    add("pointwise", shapeAt(l, mlpRatio * c), [mlpRatio * c, c]);
  };
  add("conv3d", shapeAt(0, inChannels), [ks, ks, ks, inChannels, widths[0]], false);
  for (let l = 0; l < widths.length; l++) {
    if (l > 0) add("patchDown", shapeAt(l - 1, widths[l - 1]), [8 * widths[l - 1], widths[l]]);
    for (let b = 0; b < encoderBlocks[l]; b++) block(l);
  }
  for (let l = widths.length - 2; l >= 0; l--) {
    add("patchUp", shapeAt(l + 1, widths[l + 1]), [widths[l + 1], 8 * widths[l]]);
    for (let b = 0; b < decoderBlocks[l]; b++) block(l);
  }
  add("pointwise", shapeAt(0, widths[0]), [widths[0], config.outChannels]);
  return { forward, trainStep: forward + backward };
}
