/**
 * The method's two dense networks as one type: the descriptor f(x) → y (METHOD §3) and the masking-invariant
 * condition model g(x) → c (§4), each a {@linkcode UNet3d}; the condition model also owns the learned mask token.
 *
 * @module
 */
import { tf } from "../nn/mod.ts";
import type { Rng } from "../data/rng.ts";
import { modelConfig, type ModelConfigName, type ModelRole } from "./configs.ts";
import { UNet3d, type UNetConfig } from "./unet.ts";

/**
 * A dense feature network. Input views are NDHWC `[N, D, H, W, 1]` windowed intensities in [0, 1]; for the condition
 * model an equally shaped mask (1 = hidden) replaces hidden voxels by a learned scalar token and is appended as a
 * second channel. Output `[N, D, H, W, 32]`.
 */
export class DenseModel {
  readonly role: ModelRole;
  readonly unet: UNet3d;
  /** Learned value of masked voxels (condition model only). */
  readonly maskToken: tf.Variable | null;

  /**
   * @param role "descriptor" or "condition".
   * @param config A named size (`tiny`, `small`, `paper`) or a full {@linkcode UNetConfig}.
   * @param rng Seeded generator for the initial weights.
   */
  constructor(role: ModelRole, config: ModelConfigName | UNetConfig, rng: Rng) {
    this.role = role;
    const unetConfig = typeof config === "string" ? modelConfig(config, role) : config;
    this.unet = new UNet3d(unetConfig, rng, role);
    // The token starts at 0.5, mid-window, and is learned with the network.
    this.maskToken = role === "condition" ? tf.variable(tf.scalar(0.5), true, `${role}_mask_token_${tokenId++}`) : null;
  }

  /** All trainable variables (U-Net weights, then the mask token if any). */
  get variables(): tf.Variable[] {
    return this.maskToken ? [...this.unet.variables, this.maskToken] : this.unet.variables;
  }

  /** Names matching {@linkcode variables}. */
  get names(): string[] {
    return this.maskToken ? [...this.unet.names, "mask_token"] : this.unet.names;
  }

  /** Number of scalar parameters. */
  parameterCount(): number {
    return this.unet.parameterCount() + (this.maskToken ? 1 : 0);
  }

  /**
   * Builds the network input: the image itself for the descriptor; for the condition model
   * `[x·(1 − m) + token·m, m]` on the channel axis.
   *
   * @param image `[N, D, H, W, 1]` intensities.
   * @param mask `[N, D, H, W, 1]` 0/1 (condition model; ignored by the descriptor, may be omitted).
   */
  input(image: tf.Tensor5D, mask?: tf.Tensor5D): tf.Tensor5D {
    if (!this.maskToken) return image;
    const [n, d, h, w] = image.shape;
    const m = mask ?? tf.zerosLike(image);
    const filled = tf.add(tf.mul(image, tf.sub(1, m)), tf.mul(this.maskToken, m));
    // Concatenate as 2D [voxels, 1] + [voxels, 1]: rank-5 concat/slice take a slow generic path (STACK.md).
    const flat = tf.concat([tf.reshape(filled, [-1, 1]), tf.reshape(m, [-1, 1])], 1);
    return tf.reshape(flat, [n, d, h, w, 2]);
  }

  /**
   * Dense features of a batch of views.
   *
   * @param image `[N, D, H, W, 1]` intensities in [0, 1] (NDHWC).
   * @param mask `[N, D, H, W, 1]` 0/1 block mask for the condition model.
   * @returns `[N, D, H, W, 32]` features at stride 1.
   */
  apply(image: tf.Tensor5D, mask?: tf.Tensor5D): tf.Tensor5D {
    return this.unet.apply(this.input(image, mask));
  }

  /** Copies all weights out (for checkpoints); see `UNet3d.getWeights`. */
  async getWeights(): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
    const out = await this.unet.getWeights();
    if (this.maskToken) out.set("mask_token", { shape: [], values: (await this.maskToken.data()) as Float32Array });
    return out;
  }

  /** Loads weights saved by {@linkcode getWeights}. */
  setWeights(weights: Map<string, { shape: number[]; values: Float32Array }>): void {
    this.unet.setWeights(weights);
    if (this.maskToken) {
      const t = weights.get("mask_token");
      if (!t) throw new RangeError('Cannot load condition model weights: "mask_token" is missing');
      this.maskToken.assign(tf.scalar(t.values[0]));
    }
  }

  /** Frees all variables. */
  dispose(): void {
    this.unet.dispose();
    this.maskToken?.dispose();
  }
}

let tokenId = 0;
