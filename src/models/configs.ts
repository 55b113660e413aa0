/**
 * Named network configurations of the U-Net family: `tiny` (CPU tests and demos), `small` (CPU research runs),
 * `paper` (the authors' scale, METHOD §3: level widths 16/64/256/1024, ~73 M parameters).
 *
 * @module
 */
import type { UNetConfig } from "./unet.ts";

/** Names of the network configurations. */
export const MODEL_CONFIGS = ["tiny", "small", "paper"] as const;
/** A network configuration name. */
export type ModelConfigName = typeof MODEL_CONFIGS[number];

/** The two networks of the method: descriptor f(x) → y (§3) and condition g(x) → c (§4). */
export const MODEL_ROLES = ["descriptor", "condition"] as const;
/** Which network. */
export type ModelRole = typeof MODEL_ROLES[number];

const BASE: Record<ModelConfigName, Omit<UNetConfig, "inChannels">> = {
  // 3 levels, 27 k parameters: a training step on two 32³ crops takes well under a second on 2 cores.
  tiny: {
    widths: [8, 16, 32],
    encoderBlocks: [1, 1, 1],
    decoderBlocks: [1, 1],
    kernelSize: 3,
    stemKernelSize: 3,
    mlpRatio: 4,
    outChannels: 32,
    layerScaleInit: 0.1,
  },
  // 4 levels, ~0.57 M parameters.
  small: {
    widths: [16, 32, 64, 128],
    encoderBlocks: [1, 1, 2, 2],
    decoderBlocks: [1, 1, 1],
    kernelSize: 3,
    stemKernelSize: 3,
    mlpRatio: 4,
    outChannels: 32,
    layerScaleInit: 0.1,
  },
  // Widths as the authors'; block counts chosen so that the total is ~74.5 M (authors: ~73 M); depthwise 5³.
  paper: {
    widths: [16, 64, 256, 1024],
    encoderBlocks: [2, 2, 2, 8],
    decoderBlocks: [1, 1, 1],
    kernelSize: 5,
    stemKernelSize: 3,
    mlpRatio: 4,
    outChannels: 32,
    layerScaleInit: 1e-6,
  },
};

/**
 * The U-Net config for a named size and role. The condition model takes the image plus the mask channel
 * (2 inputs); the descriptor takes the image alone. Both output 32 channels at stride 1 (Dy = Dc = 32).
 *
 * @throws {RangeError} For an unknown name or role, listing the valid ones.
 */
export function modelConfig(name: string, role: ModelRole = "descriptor"): UNetConfig {
  const base = BASE[name as ModelConfigName];
  if (!base) throw new RangeError(`Cannot find model config "${name}": expected one of ${MODEL_CONFIGS.join(", ")}`);
  if (!MODEL_ROLES.includes(role)) {
    throw new RangeError(`Cannot find model role "${role}": expected one of ${MODEL_ROLES.join(", ")}`);
  }
  return { ...base, inChannels: role === "condition" ? 2 : 1 };
}
