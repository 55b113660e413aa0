/**
 * The typed config of a pretraining run (METHOD §3–4), with per-size defaults, validated once and saved as
 * `config.json` next to the run's outputs.
 *
 * @module
 */
import type { Vec3 } from "../io/mod.ts";
import type { ClaheOptions } from "../preprocess/mod.ts";
import { MODEL_CONFIGS, MODEL_ROLES, type ModelConfigName, type ModelRole } from "../models/mod.ts";
import { type BackendName, BACKENDS } from "../nn/mod.ts";
import { scaledAugmentOptions } from "./augment.ts";
import type { SampleBatchOptions } from "./batch.ts";
import { resolveCropPairOptions } from "./crop_pair.ts";

/** Everything that defines a pretraining run. */
export interface PretrainConfig {
  /** Which network: the descriptor (§3) or the masked condition model (§4). */
  model: ModelRole;
  /** Network size: `tiny`, `small` or `paper`. */
  size: ModelConfigName;
  /** Training scans: a folder of NIfTI/NRRD files or a manifest (one path per line). */
  data: string;
  /** Total optimiser steps. */
  steps: number;
  /** Seed of all randomness: initial weights, batches, augmentations, masks. */
  seed: number;
  /** Crop pairs per step (authors: 8). */
  batchSize: number;
  /** Crop voxels along i, j, k (authors: 96 × 96 × 64); each side divisible by the U-Net's down-sampling. */
  cropVox: Vec3;
  /** Most positive pairs per crop pair (authors: 1024). */
  maxPairs: number;
  /** Smallest crop spacing in mm (authors: 1, 1, 1.5). */
  minSpacingMm: Vec3;
  /** Largest crop spacing in mm (authors: 2, 2, 3 for the descriptor; 4, 4, 6 for the condition model). */
  maxSpacingMm: Vec3;
  /** Spacing the scans are preprocessed to before cropping, mm (METHOD §2: 1, 1, 1.5). */
  preprocessSpacingMm: Vec3;
  /**
   * CLAHE after the HU window (METHOD §2, an option; the authors use clip limit 0.05), or `null` for none. The density
   * fit and inference reuse the descriptor run's setting. Configs saved before this field existed load as `null`.
   */
  clahe: ClaheOptions | null;
  /** Apply METHOD §3's augmentations. */
  augment: boolean;
  /**
   * Strength of the intensity augmentations when `augment` is on, in [0, 1]: 1 is METHOD §3's ranges, 0 keeps only
   * the in-plane blur/sharpening (see `scaledAugmentOptions`). This project's knob, not the authors'.
   */
  augmentStrength: number;
  /**
   * Fraction of each condition crop's blocks that are masked (METHOD §4: 0.6, the authors'; ignored for the
   * descriptor). Configs saved before this field existed load as 0.6.
   */
  maskRatio: number;
  /** Projector width P (authors: 8192). */
  projectorDim: number;
  /** Peak learning rate of the one-cycle schedule (authors: 1e-3). */
  peakLr: number;
  /** Fraction of steps spent warming up. */
  warmupFraction: number;
  /** AdamW weight decay (authors: 1e-6). */
  weightDecay: number;
  /** AdamW epsilon (authors: 1e-3). */
  eps: number;
  /** Global gradient-norm clip (authors: 1.0). */
  clipNorm: number;
  /** Write a checkpoint every this many steps (and at the end). */
  checkpointEvery: number;
  /** Compute backend. */
  backend: BackendName;
  /** Most preprocessed scans kept in memory at once (~5 bytes per voxel each). */
  maxCachedScans: number;
}

/** Per-size defaults: `tiny` fits CPU tests (seconds per step), `paper` is the authors' setup. */
const SIZE_DEFAULTS: Record<
  ModelConfigName,
  Pick<PretrainConfig, "batchSize" | "cropVox" | "maxPairs" | "projectorDim">
> = {
  tiny: { batchSize: 2, cropVox: [32, 32, 32], maxPairs: 256, projectorDim: 256 },
  small: { batchSize: 4, cropVox: [64, 64, 48], maxPairs: 512, projectorDim: 1024 },
  paper: { batchSize: 8, cropVox: [96, 96, 64], maxPairs: 1024, projectorDim: 8192 },
};

/**
 * Fills a partial config with METHOD's defaults (and the size's batch, crop, pairs and projector width) and
 * validates it.
 *
 * @param partial At least `model`, `size`, `data`; anything else overrides a default.
 * @throws {RangeError} Naming the first invalid field and the valid range.
 */
export function pretrainConfig(
  partial: Partial<PretrainConfig> & Pick<PretrainConfig, "model" | "size" | "data">,
): PretrainConfig {
  if (!MODEL_ROLES.includes(partial.model)) {
    throw new RangeError(`Cannot use model "${partial.model}": expected one of ${MODEL_ROLES.join(", ")}`);
  }
  if (!MODEL_CONFIGS.includes(partial.size)) {
    throw new RangeError(`Cannot use config "${partial.size}": expected one of ${MODEL_CONFIGS.join(", ")}`);
  }
  const condition = partial.model === "condition";
  const config: PretrainConfig = {
    steps: 100,
    seed: 0,
    minSpacingMm: [1, 1, 1.5],
    maxSpacingMm: condition ? [4, 4, 6] : [2, 2, 3],
    preprocessSpacingMm: [1, 1, 1.5],
    clahe: null,
    augment: true,
    augmentStrength: 1,
    maskRatio: 0.6,
    peakLr: 1e-3,
    warmupFraction: 0.1,
    weightDecay: 1e-6,
    eps: 1e-3,
    clipNorm: 1,
    checkpointEvery: 50,
    backend: "auto",
    maxCachedScans: 32,
    batchSize: SIZE_DEFAULTS[partial.size].batchSize,
    cropVox: SIZE_DEFAULTS[partial.size].cropVox,
    maxPairs: SIZE_DEFAULTS[partial.size].maxPairs,
    projectorDim: SIZE_DEFAULTS[partial.size].projectorDim,
    ...partial,
  };
  const positiveInt = (name: keyof PretrainConfig) => {
    const v = config[name] as number;
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`Cannot use ${name} ${v}: expected a positive integer`);
  };
  for (const f of ["steps", "batchSize", "maxPairs", "projectorDim", "checkpointEvery", "maxCachedScans"] as const) {
    positiveInt(f);
  }
  if (!Number.isInteger(config.seed) || config.seed < 0) {
    throw new RangeError(`Cannot use seed ${config.seed}: expected a non-negative integer`);
  }
  for (const f of ["peakLr", "eps"] as const) {
    if (!(config[f] > 0)) throw new RangeError(`Cannot use ${f} ${config[f]}: expected a positive number`);
  }
  if (!(config.warmupFraction >= 0 && config.warmupFraction < 1)) {
    throw new RangeError(`Cannot use warmupFraction ${config.warmupFraction}: expected a number in [0, 1)`);
  }
  if (!(config.augmentStrength >= 0 && config.augmentStrength <= 1)) {
    throw new RangeError(`Cannot use augmentStrength ${config.augmentStrength}: expected a number in [0, 1]`);
  }
  if (!(config.maskRatio >= 0 && config.maskRatio <= 1)) {
    throw new RangeError(`Cannot use maskRatio ${config.maskRatio}: expected a number in [0, 1]`);
  }
  if (config.clahe !== null) {
    const { clipLimit = 0.05 } = config.clahe;
    if (!(clipLimit > 0 && clipLimit <= 1)) {
      throw new RangeError(`Cannot use clahe.clipLimit ${clipLimit}: expected a number in (0, 1]`);
    }
  }
  // The crop geometry is checked now, by the sampler's own rule, rather than at the first training step.
  const { cropVox, minSpacingMm, maxSpacingMm, maxPairs } = config;
  resolveCropPairOptions({ cropVox, minSpacingMm, maxSpacingMm, maxPairs });
  if (!BACKENDS.includes(config.backend)) {
    throw new RangeError(`Cannot use backend "${config.backend}": expected one of ${BACKENDS.join(", ")}`);
  }
  return config;
}

/**
 * The `sampleBatch` options of a run's training batches: its model, crop size, pairs per crop, crop spacing range
 * (mm), augmentations and block-mask ratio. Pretraining draws every batch with these; diagnostics reuse them.
 */
export function trainingBatchOptions(config: PretrainConfig): SampleBatchOptions {
  return {
    batchSize: config.batchSize,
    model: config.model,
    cropVox: config.cropVox,
    maxPairs: config.maxPairs,
    minSpacingMm: config.minSpacingMm,
    maxSpacingMm: config.maxSpacingMm,
    augment: config.augment ? scaledAugmentOptions(config.augmentStrength) : false,
    blockMask: { ratio: config.maskRatio },
  };
}
