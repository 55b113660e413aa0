/**
 * The 3D U-Net family that produces dense voxel features (METHOD §3): a ConvNeXt-style encoder–decoder whose
 * output is a stride-1, `outChannels`-channel feature map, one descriptor per voxel.
 *
 * Block choice: ConvNeXt-style blocks, as METHOD names for the authors' network — depthwise k³ convolution →
 * LayerNorm over channels → pointwise MLP (C → 4C → C, GELU) → layer scale → residual. Why: (1) it is the family the
 * paper's ~73 M-parameter model belongs to, so the `paper` configuration reproduces its size with the stated level
 * widths 16/64/256/1024; (2) on a CPU it spends its FLOPs in pointwise matmuls, which run far faster than dense 3×3×3
 * convolutions of the same width (large, regular GEMMs), while the depthwise convolution keeps a spatial receptive
 * field at C·k³ cost; (3) LayerNorm does not depend on the batch, so a batch of 2 crop pairs trains like a batch
 * of 8. Down-sampling is a 2×2×2 stride-2 "patchify" convolution after a LayerNorm; up-sampling is its transposed
 * twin, and skips are added (not concatenated): an addition costs nothing on any backend and is equivalent to a
 * concatenation followed by a linear layer split in two (STACK.md: channel concatenation's gradient is slow in tfjs).
 *
 * Layout: NDHWC, `[batch, D, H, W, channels]`, where D, H, W are the k, j, i axes of a {@linkcode Volume}.
 *
 * @module
 */
import { addScaled, conv3d, depthwiseConv3d, gelu, layerNorm, patchDown, patchUp, pointwise, tf } from "../nn/mod.ts";
import type { Rng } from "../data/rng.ts";

/** Architecture of a {@linkcode UNet3d}. Widths and block counts are per resolution level, finest first. */
export interface UNetConfig {
  /** Input channels: 1 for an image, 2 for image + mask channel (condition model). */
  inChannels: number;
  /** Channels per level, finest first, e.g. [16, 64, 256, 1024]; each extra level halves D, H and W. */
  widths: readonly number[];
  /** ConvNeXt blocks per encoder level (same length as `widths`; the last entry is the bottleneck). */
  encoderBlocks: readonly number[];
  /** ConvNeXt blocks per decoder level, for levels `0 … widths.length − 2`, finest first. */
  decoderBlocks: readonly number[];
  /** Depthwise kernel size (odd). */
  kernelSize: number;
  /** Stem convolution kernel size (odd). */
  stemKernelSize: number;
  /** Hidden width factor of the pointwise MLP (ConvNeXt: 4). */
  mlpRatio: number;
  /** Output feature channels (Dy = 32 in METHOD §3). */
  outChannels: number;
  /** Initial value of the per-channel layer scale of each block (ConvNeXt: 1e-6; larger trains faster when shallow). */
  layerScaleInit: number;
}

/** Total down-sampling factor of a config: inputs must have D, H, W divisible by it. */
export function downsamplingFactor(config: Pick<UNetConfig, "widths">): number {
  return 2 ** (config.widths.length - 1);
}

/** Makes tfjs variable names unique per model instance in one process. */
let nextModelId = 0;

/** A named weight with its shape. */
interface Param {
  name: string;
  variable: tf.Variable;
}

/**
 * A 3D U-Net with ConvNeXt-style blocks producing a stride-1 feature map. Holds its weights as tfjs variables;
 * call {@linkcode UNet3d.dispose} when done.
 */
export class UNet3d {
  readonly config: UNetConfig;
  readonly #params: Param[] = [];
  readonly #byName = new Map<string, tf.Variable>();

  /**
   * Builds the network with seeded initial weights (truncated-normal-like, std 0.02 for linear layers as in
   * ConvNeXt; He-normal for the stem).
   *
   * @param config Architecture; see {@linkcode UNetConfig}.
   * @param rng Seeded generator for the initial weights.
   * @param prefix Name prefix for the tfjs variables (a counter keeps instances unique).
   * @throws {RangeError} If the config is inconsistent.
   */
  constructor(config: UNetConfig, rng: Rng, prefix = "unet") {
    validateConfig(config);
    this.config = config;
    const { widths, encoderBlocks, decoderBlocks, kernelSize: k, stemKernelSize: ks, mlpRatio, inChannels } = config;
    const id = `${prefix}_${nextModelId++}`;
    const add = (name: string, shape: number[], init: "normal" | "zeros" | "ones" | "he" | number, std = 0.02) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(n);
      if (init === "ones") values.fill(1);
      else if (typeof init === "number") values.fill(init);
      else if (init === "normal" || init === "he") {
        const s = init === "he" ? Math.sqrt(2 / (n / shape[shape.length - 1])) : std;
        for (let i = 0; i < n; i++) values[i] = Math.max(-2 * s, Math.min(2 * s, rng.normal() * s));
      }
      const variable = tf.variable(tf.tensor(values, shape), true, `${id}/${name}`);
      this.#params.push({ name, variable });
      this.#byName.set(name, variable);
    };
    const block = (p: string, c: number) => {
      add(`${p}/dw`, [k, k, k, c], "normal", Math.sqrt(1 / (k * k * k)));
      add(`${p}/dw_b`, [c], "zeros");
      add(`${p}/ln_g`, [c], "ones");
      add(`${p}/ln_b`, [c], "zeros");
      add(`${p}/pw1`, [c, mlpRatio * c], "normal");
      add(`${p}/pw1_b`, [mlpRatio * c], "zeros");
      add(`${p}/pw2`, [mlpRatio * c, c], "normal");
      add(`${p}/pw2_b`, [c], "zeros");
      add(`${p}/scale`, [c], config.layerScaleInit);
    };
    add("stem/w", [ks, ks, ks, inChannels, widths[0]], "he");
    add("stem/b", [widths[0]], "zeros");
    for (let l = 0; l < widths.length; l++) {
      if (l > 0) {
        add(`down${l}/ln_g`, [widths[l - 1]], "ones");
        add(`down${l}/ln_b`, [widths[l - 1]], "zeros");
        add(`down${l}/w`, [8 * widths[l - 1], widths[l]], "normal");
        add(`down${l}/b`, [widths[l]], "zeros");
      }
      for (let b = 0; b < encoderBlocks[l]; b++) block(`enc${l}/block${b}`, widths[l]);
    }
    for (let l = widths.length - 2; l >= 0; l--) {
      add(`up${l}/w`, [widths[l + 1], 8 * widths[l]], "normal");
      add(`up${l}/b`, [widths[l]], "zeros");
      for (let b = 0; b < decoderBlocks[l]; b++) block(`dec${l}/block${b}`, widths[l]);
    }
    add("head/ln_g", [widths[0]], "ones");
    add("head/ln_b", [widths[0]], "zeros");
    add("head/w", [widths[0], config.outChannels], "normal");
    add("head/b", [config.outChannels], "zeros");
  }

  /** The trainable variables, in a fixed order. */
  get variables(): tf.Variable[] {
    return this.#params.map((p) => p.variable);
  }

  /** Weight names (without prefix) in the same order as {@linkcode variables}. */
  get names(): string[] {
    return this.#params.map((p) => p.name);
  }

  /** Number of scalar parameters. */
  parameterCount(): number {
    return this.#params.reduce((s, p) => s + p.variable.size, 0);
  }

  #w(name: string): tf.Tensor {
    const v = this.#byName.get(name);
    if (!v) throw new Error(`UNet3d has no weight "${name}"`);
    return v;
  }

  #block(x: tf.Tensor5D, p: string): tf.Tensor5D {
    const w = (n: string) => this.#w(`${p}/${n}`);
    let h = depthwiseConv3d(x, w("dw") as tf.Tensor4D, w("dw_b") as tf.Tensor1D);
    h = layerNorm(h, w("ln_g") as tf.Tensor1D, w("ln_b") as tf.Tensor1D);
    h = gelu(pointwise(h, w("pw1") as tf.Tensor2D, w("pw1_b") as tf.Tensor1D)) as tf.Tensor5D;
    h = pointwise(h, w("pw2") as tf.Tensor2D, w("pw2_b") as tf.Tensor1D);
    return addScaled(x, h, w("scale") as tf.Tensor1D);
  }

  /**
   * Computes the feature map.
   *
   * @param x Input `[N, D, H, W, inChannels]` (NDHWC), D, H, W divisible by {@linkcode downsamplingFactor}.
   * @returns Features `[N, D, H, W, outChannels]` at stride 1.
   * @throws {RangeError} If the input's shape does not fit.
   */
  apply(x: tf.Tensor5D): tf.Tensor5D {
    const { widths, encoderBlocks, decoderBlocks, inChannels } = this.config;
    const f = downsamplingFactor(this.config);
    const [, d, h, wd, c] = x.shape;
    if (c !== inChannels || d % f || h % f || wd % f) {
      throw new RangeError(
        `Cannot apply UNet3d to input [${x.shape.join(", ")}]: expected ${inChannels} channels and D, H, W ` +
          `divisible by ${f}`,
      );
    }
    let y = conv3d(x, this.#w("stem/w") as tf.Tensor5D, this.#w("stem/b") as tf.Tensor1D);
    const skips: tf.Tensor5D[] = [];
    for (let l = 0; l < widths.length; l++) {
      if (l > 0) {
        skips.push(y);
        y = layerNorm(y, this.#w(`down${l}/ln_g`) as tf.Tensor1D, this.#w(`down${l}/ln_b`) as tf.Tensor1D);
        y = patchDown(y, this.#w(`down${l}/w`) as tf.Tensor2D, this.#w(`down${l}/b`) as tf.Tensor1D);
      }
      for (let b = 0; b < encoderBlocks[l]; b++) y = this.#block(y, `enc${l}/block${b}`);
    }
    for (let l = widths.length - 2; l >= 0; l--) {
      y = patchUp(y, this.#w(`up${l}/w`) as tf.Tensor2D, this.#w(`up${l}/b`) as tf.Tensor1D);
      y = tf.add(y, skips[l]) as tf.Tensor5D;
      for (let b = 0; b < decoderBlocks[l]; b++) y = this.#block(y, `dec${l}/block${b}`);
    }
    y = layerNorm(y, this.#w("head/ln_g") as tf.Tensor1D, this.#w("head/ln_b") as tf.Tensor1D);
    return pointwise(y, this.#w("head/w") as tf.Tensor2D, this.#w("head/b") as tf.Tensor1D);
  }

  /**
   * Copies all weights out as name → { shape, values } (for checkpoints). Asynchronous because GPU backends can
   * only read tensors back asynchronously.
   */
  async getWeights(): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
    const out = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const p of this.#params) {
      out.set(p.name, { shape: [...p.variable.shape], values: (await p.variable.data()) as Float32Array });
    }
    return out;
  }

  /**
   * Loads weights by name (all must be present with matching shapes).
   *
   * @throws {RangeError} Naming the first missing or mis-shaped weight.
   */
  setWeights(weights: Map<string, { shape: number[]; values: Float32Array }>): void {
    for (const p of this.#params) {
      const w = weights.get(p.name);
      if (!w) throw new RangeError(`Cannot load UNet3d weights: "${p.name}" is missing`);
      if (w.shape.join(",") !== p.variable.shape.join(",")) {
        throw new RangeError(
          `Cannot load UNet3d weights: "${p.name}" has shape [${w.shape}]: expected [${p.variable.shape}]`,
        );
      }
      p.variable.assign(tf.tensor(w.values, w.shape));
    }
  }

  /** Frees all variables. */
  dispose(): void {
    for (const p of this.#params) p.variable.dispose();
  }
}

function validateConfig(c: UNetConfig): void {
  const L = c.widths.length;
  if (L < 1 || c.widths.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new RangeError(`Cannot build UNet3d: widths [${c.widths}] must be positive integers`);
  }
  if (c.encoderBlocks.length !== L) {
    throw new RangeError(`Cannot build UNet3d: encoderBlocks has ${c.encoderBlocks.length} entries: expected ${L}`);
  }
  if (c.decoderBlocks.length !== L - 1) {
    throw new RangeError(`Cannot build UNet3d: decoderBlocks has ${c.decoderBlocks.length} entries: expected ${L - 1}`);
  }
  for (const [name, k] of [["kernelSize", c.kernelSize], ["stemKernelSize", c.stemKernelSize]] as const) {
    if (!Number.isInteger(k) || k < 1 || k % 2 === 0) {
      throw new RangeError(`Cannot build UNet3d: ${name} is ${k}: expected an odd positive integer`);
    }
  }
}

/** Parameter count of a config, computed from the architecture without building it (matches `parameterCount`). */
export function countParameters(c: UNetConfig): number {
  const k3 = c.kernelSize ** 3;
  const block = (w: number) => k3 * w + w + 2 * w + w * c.mlpRatio * w + c.mlpRatio * w + c.mlpRatio * w * w + 2 * w;
  let n = c.stemKernelSize ** 3 * c.inChannels * c.widths[0] + c.widths[0];
  for (let l = 0; l < c.widths.length; l++) {
    if (l > 0) n += 2 * c.widths[l - 1] + 8 * c.widths[l - 1] * c.widths[l] + c.widths[l];
    n += c.encoderBlocks[l] * block(c.widths[l]);
  }
  for (let l = 0; l < c.widths.length - 1; l++) {
    n += c.widths[l + 1] * 8 * c.widths[l] + c.widths[l];
    n += c.decoderBlocks[l] * block(c.widths[l]);
  }
  n += 2 * c.widths[0] + c.widths[0] * c.outChannels + c.outChannels;
  return n;
}
