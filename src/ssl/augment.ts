/**
 * Intensity augmentations of a crop (METHOD §3): in-plane Gaussian blur or sharpening, additive Gaussian noise,
 * brightness, contrast and gamma, each applied with its own probability, independently per crop. They change
 * intensities only: no flips, rotations or any other geometric change, so a voxel keeps its place and pairs stay valid.
 *
 * Values are windowed intensities in [0, 1]. Every function clips its result back to [0, 1]: the network then never
 * sees a value that inference on a windowed scan cannot produce, and gamma, which follows brightness and contrast,
 * always gets a valid input. Clipping can bias a crop's statistics (noise on air, which is 0, becomes half-normal).
 *
 * @module
 */
import type { Rng } from "../data/mod.ts";
import type { Vec3 } from "../io/mod.ts";
import {
  blurInPlaneInto,
  clipInto,
  contrastInto,
  gammaInto,
  noiseInto,
  scaleInto,
  sharpenInPlaneInto,
} from "./_intensity.ts";
import {
  checkNumber,
  checkProbability,
  checkRange,
  checkVec3,
  isPositiveFinite,
  isPositiveInteger,
  type Range,
} from "./_validate.ts";

/** A crop's intensities with the geometry the augmentations need. */
export interface CropImage {
  /** Intensities in [0, 1], `[ni·nj·nk]`, i fastest (`data[i + ni·(j + nj·k)]`). */
  readonly data: Float32Array;
  /** Voxels along i, j, k. */
  readonly shape: Vec3;
  /** Voxel size along i, j, k in mm (converts blur σ from mm to voxels). */
  readonly spacingMm: Vec3;
}

/**
 * Options for {@linkcode augmentCrop}; the defaults are METHOD §3's. Ranges are `[lo, hi]`, drawn uniformly unless said
 * otherwise.
 */
export interface AugmentOptions {
  /** Probability of an in-plane filter: blur or sharpening. @default {0.8} */
  filterProbability?: number;
  /** Of the filtered crops, the fraction sharpened rather than blurred. @default {0.5} */
  sharpenFraction?: number;
  /**
   * Range of the filter's Gaussian σ in mm (METHOD: σ ≤ 1.5 mm; the lower end is this project's choice, as σ below
   * ~0.5 mm barely changes a crop of ≥ 1 mm voxels). @default {[0.5, 1.5]}
   */
  sigmaRangeMm?: Range;
  /**
   * Range of the unsharp-mask amount `a` in `x + a·(x − blur(x))` (not stated by the authors; 1 doubles the detail
   * removed by the blur). @default {[0.2, 1]}
   */
  sharpenAmountRange?: Range;
  /** Probability of multiplying by a brightness factor. @default {0.8} */
  brightnessProbability?: number;
  /** Range of the brightness factor. @default {[0.8, 1.2]} */
  brightnessRange?: Range;
  /** Probability of scaling the contrast around the crop's mean. @default {0.8} */
  contrastProbability?: number;
  /** Range of the contrast factor. @default {[0.8, 1.2]} */
  contrastRange?: Range;
  /** Probability of a gamma change. @default {0.8} */
  gammaProbability?: number;
  /**
   * Range of γ, drawn log-uniformly (γ and 1/γ equally likely when the range is symmetric, as 0.8…1.25).
   * @default {[0.8, 1.25]}
   */
  gammaRange?: Range;
  /** Probability of additive Gaussian noise. @default {0.8} */
  noiseProbability?: number;
  /** Range of the noise standard deviation (one σ per crop, then i.i.d. per voxel). @default {[0, 0.1]} */
  noiseStdRange?: Range;
}

/** What {@linkcode augmentCrop} applied, with the drawn parameters; absent fields were not applied. */
export interface AppliedAugmentations {
  /** In-plane blur σ in mm. */
  blurSigmaMm?: number;
  /** Sharpening σ in mm. */
  sharpenSigmaMm?: number;
  /** Sharpening amount. */
  sharpenAmount?: number;
  /** Brightness factor. */
  brightness?: number;
  /** Contrast factor. */
  contrast?: number;
  /** Gamma. */
  gamma?: number;
  /** Noise standard deviation. */
  noiseStd?: number;
}

/** What {@linkcode augmentCrop} returns. */
export interface AugmentedCrop {
  /** The augmented intensities, in [0, 1], same layout as the input. */
  readonly data: Float32Array;
  /** The augmentations applied and their parameters. */
  readonly applied: AppliedAugmentations;
}

/** Resolved and validated {@linkcode AugmentOptions}. */
export function resolveAugmentOptions(options: AugmentOptions): Required<AugmentOptions> {
  const {
    filterProbability = 0.8,
    sharpenFraction = 0.5,
    sigmaRangeMm = [0.5, 1.5],
    sharpenAmountRange = [0.2, 1],
    brightnessProbability = 0.8,
    brightnessRange = [0.8, 1.2],
    contrastProbability = 0.8,
    contrastRange = [0.8, 1.2],
    gammaProbability = 0.8,
    gammaRange = [0.8, 1.25],
    noiseProbability = 0.8,
    noiseStdRange = [0, 0.1],
  } = options;
  const action = "augment crop";
  checkProbability(action, "filterProbability", filterProbability);
  checkProbability(action, "sharpenFraction", sharpenFraction);
  checkProbability(action, "brightnessProbability", brightnessProbability);
  checkProbability(action, "contrastProbability", contrastProbability);
  checkProbability(action, "gammaProbability", gammaProbability);
  checkProbability(action, "noiseProbability", noiseProbability);
  checkRange(action, "sigmaRangeMm", sigmaRangeMm, 0);
  checkRange(action, "sharpenAmountRange", sharpenAmountRange, 0);
  checkRange(action, "brightnessRange", brightnessRange, 0);
  checkRange(action, "contrastRange", contrastRange, 0);
  checkRange(action, "gammaRange", gammaRange, Number.MIN_VALUE);
  checkRange(action, "noiseStdRange", noiseStdRange, 0);
  return {
    filterProbability,
    sharpenFraction,
    sigmaRangeMm,
    sharpenAmountRange,
    brightnessProbability,
    brightnessRange,
    contrastProbability,
    contrastRange,
    gammaProbability,
    gammaRange,
    noiseProbability,
    noiseStdRange,
  };
}

/**
 * METHOD §3's augmentations with their intensity changes scaled toward identity by `strength` in [0, 1]: noise σ up to
 * 0.1·s, brightness and contrast factors 1 ± 0.2·s, γ in [1.25^−s, 1.25^s]; probabilities and the in-plane
 * blur/sharpening stay METHOD's. `strength` 1 returns `{}` (exactly METHOD's defaults), 0 leaves only the filter.
 *
 * Why (this project's knob, not the authors'): at full strength, noise σ 0.1 of the [−1000, 300] HU window is ~130 HU
 * and brightness ±20 % moves soft tissue by ~±200 HU, while the phantom kidney tumours differ from their kidney by
 * 12–35 HU; an invariance to the former may erase the latter.
 *
 * @param strength Scale of the intensity ranges' distance from identity, in [0, 1].
 * @throws {RangeError} If `strength` is outside [0, 1].
 */
export function scaledAugmentOptions(strength: number): AugmentOptions {
  if (!(strength >= 0 && strength <= 1)) {
    throw new RangeError(`Cannot scale augmentations by ${strength}: expected a number in [0, 1]`);
  }
  if (strength === 1) return {};
  const s = strength;
  return {
    noiseStdRange: [0, 0.1 * s],
    brightnessRange: [1 - 0.2 * s, 1 + 0.2 * s],
    contrastRange: [1 - 0.2 * s, 1 + 0.2 * s],
    gammaRange: [1.25 ** -s, 1.25 ** s],
  };
}

/**
 * Applies METHOD §3's augmentations to a crop, each with its own probability, in this fixed order: in-plane blur or
 * sharpening → brightness → contrast → gamma → noise (noise last, so its σ is the one drawn), clipping to [0, 1] after
 * each step. Every decision and parameter comes from `rng`, in a fixed order of draws.
 *
 * @param crop The crop (not modified).
 * @param rng Source of all randomness.
 * @param options See {@linkcode AugmentOptions}.
 * @returns A new array and the record of what was applied.
 * @throws {RangeError} If an option is out of range or the crop is malformed.
 * @example
 * ```ts ignore
 * const { data, applied } = augmentCrop({ data: crop, shape: [32, 32, 32], spacingMm: pair.a.spacingMm }, rng);
 * ```
 */
export function augmentCrop(crop: CropImage, rng: Rng, options: AugmentOptions = {}): AugmentedCrop {
  const o = resolveAugmentOptions(options);
  checkCrop(crop, "augment crop");
  const data = crop.data.slice();
  const applied: AppliedAugmentations = {};
  const { shape, spacingMm } = crop;
  if (rng.bool(o.filterProbability)) {
    const sharpen = rng.bool(o.sharpenFraction);
    const sigmaMm = rng.uniform(o.sigmaRangeMm[0], o.sigmaRangeMm[1]);
    if (sharpen) {
      const amount = rng.uniform(o.sharpenAmountRange[0], o.sharpenAmountRange[1]);
      sharpenInPlaneInto(data, shape, sigmaMm / spacingMm[0], sigmaMm / spacingMm[1], amount);
      applied.sharpenSigmaMm = sigmaMm;
      applied.sharpenAmount = amount;
    } else {
      blurInPlaneInto(data, shape, sigmaMm / spacingMm[0], sigmaMm / spacingMm[1]);
      applied.blurSigmaMm = sigmaMm;
    }
    clipInto(data);
  }
  if (rng.bool(o.brightnessProbability)) {
    applied.brightness = rng.uniform(o.brightnessRange[0], o.brightnessRange[1]);
    scaleInto(data, applied.brightness);
    clipInto(data);
  }
  if (rng.bool(o.contrastProbability)) {
    applied.contrast = rng.uniform(o.contrastRange[0], o.contrastRange[1]);
    contrastInto(data, applied.contrast);
    clipInto(data);
  }
  if (rng.bool(o.gammaProbability)) {
    applied.gamma = rng.logUniform(o.gammaRange[0], o.gammaRange[1]);
    gammaInto(data, applied.gamma);
  }
  if (rng.bool(o.noiseProbability)) {
    applied.noiseStd = rng.uniform(o.noiseStdRange[0], o.noiseStdRange[1]);
    noiseInto(data, applied.noiseStd, rng);
    clipInto(data);
  }
  return { data, applied };
}

/**
 * Gaussian blur in plane (along i and j; not along k): σ in mm, converted per axis with the crop's spacing. Kernel
 * radius `floor(4·σ_vox + 0.5)` and edge-value borders, as `scipy.ndimage.gaussian_filter1d` (mode "nearest").
 *
 * @param crop The crop (not modified).
 * @param sigmaMm Standard deviation in mm, ≥ 0 (0: a copy).
 * @returns A new array, clipped to [0, 1].
 * @throws {RangeError} If `sigmaMm` is negative or not finite, or the crop is malformed.
 */
export function blurInPlane(crop: CropImage, sigmaMm: number): Float32Array {
  checkCrop(crop, "blur crop");
  checkNumber("blur crop", "sigmaMm", sigmaMm, (x) => x >= 0 && Number.isFinite(x), "a number ≥ 0");
  const data = crop.data.slice();
  blurInPlaneInto(data, crop.shape, sigmaMm / crop.spacingMm[0], sigmaMm / crop.spacingMm[1]);
  clipInto(data);
  return data;
}

/** Options for {@linkcode sharpenInPlane}. */
export interface SharpenOptions {
  /** σ of the in-plane blur that defines the detail, in mm. @default {1} */
  sigmaMm?: number;
  /** Unsharp-mask amount `a` ≥ 0 in `x + a·(x − blur(x))`. @default {0.5} */
  amount?: number;
}

/**
 * Sharpens in plane by unsharp masking: `x + amount·(x − blurInPlane(x, sigmaMm))`.
 *
 * @param crop The crop (not modified).
 * @param options See {@linkcode SharpenOptions}.
 * @returns A new array, clipped to [0, 1].
 * @throws {RangeError} If σ or the amount is negative or not finite, or the crop is malformed.
 */
export function sharpenInPlane(crop: CropImage, options: SharpenOptions = {}): Float32Array {
  const { sigmaMm = 1, amount = 0.5 } = options;
  const action = "sharpen crop";
  checkCrop(crop, action);
  checkNumber(action, "sigmaMm", sigmaMm, (x) => x >= 0 && Number.isFinite(x), "a number ≥ 0");
  checkNumber(action, "amount", amount, (x) => x >= 0 && Number.isFinite(x), "a number ≥ 0");
  const data = crop.data.slice();
  sharpenInPlaneInto(data, crop.shape, sigmaMm / crop.spacingMm[0], sigmaMm / crop.spacingMm[1], amount);
  clipInto(data);
  return data;
}

/**
 * Multiplies intensities by a brightness factor: `x·factor`.
 *
 * @param crop The crop (not modified).
 * @param factor Factor ≥ 0 (METHOD: 0.8…1.2).
 * @returns A new array, clipped to [0, 1].
 * @throws {RangeError} If `factor` is negative or not finite.
 */
export function scaleBrightness(crop: CropImage, factor: number): Float32Array {
  checkNumber("scale brightness", "factor", factor, (x) => x >= 0 && Number.isFinite(x), "a number ≥ 0");
  const data = crop.data.slice();
  scaleInto(data, factor);
  clipInto(data);
  return data;
}

/**
 * Scales contrast around the crop's mean `m` (over all its voxels): `m + factor·(x − m)`.
 *
 * @param crop The crop (not modified).
 * @param factor Factor ≥ 0 (METHOD: 0.8…1.2).
 * @returns A new array, clipped to [0, 1].
 * @throws {RangeError} If `factor` is negative or not finite.
 */
export function scaleContrast(crop: CropImage, factor: number): Float32Array {
  checkNumber("scale contrast", "factor", factor, (x) => x >= 0 && Number.isFinite(x), "a number ≥ 0");
  const data = crop.data.slice();
  contrastInto(data, factor);
  clipInto(data);
  return data;
}

/**
 * Applies a gamma curve: `clip(x, 0, 1)^gamma` (0 and 1 are fixed points).
 *
 * @param crop The crop (not modified).
 * @param gamma γ > 0 (METHOD: 0.8…1.25).
 * @returns A new array in [0, 1].
 * @throws {RangeError} If `gamma` is not a positive finite number.
 */
export function adjustGamma(crop: CropImage, gamma: number): Float32Array {
  checkNumber("adjust gamma", "gamma", gamma, isPositiveFinite, "a positive number");
  const data = crop.data.slice();
  gammaInto(data, gamma);
  return data;
}

/** Options for {@linkcode addGaussianNoise}. */
export interface NoiseOptions {
  /** Standard deviation of the noise, ≥ 0 (METHOD: ≤ 0.1). @default {0.05} */
  std?: number;
}

/**
 * Adds i.i.d. Gaussian noise `N(0, std²)` to every voxel.
 *
 * @param crop The crop (not modified).
 * @param rng Source of the noise.
 * @param options See {@linkcode NoiseOptions}.
 * @returns A new array, clipped to [0, 1].
 * @throws {RangeError} If `std` is negative or not finite.
 */
export function addGaussianNoise(crop: CropImage, rng: Rng, options: NoiseOptions = {}): Float32Array {
  const { std = 0.05 } = options;
  checkNumber("add noise", "std", std, (x) => x >= 0 && Number.isFinite(x), "a number ≥ 0");
  const data = crop.data.slice();
  noiseInto(data, std, rng);
  clipInto(data);
  return data;
}

function checkCrop(crop: CropImage, action: string): void {
  checkVec3(action, "shape", crop.shape, isPositiveInteger, "3 positive integers");
  checkVec3(action, "spacingMm", crop.spacingMm, isPositiveFinite, "3 positive numbers");
  const n = crop.shape[0] * crop.shape[1] * crop.shape[2];
  if (crop.data.length !== n) {
    throw new RangeError(
      `Cannot ${action} with ${crop.data.length} values: expected ${n} for shape ${crop.shape.join("×")}`,
    );
  }
}
