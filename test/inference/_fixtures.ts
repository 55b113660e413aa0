/**
 * Shared fixtures of the inference tests: seeded random volumes, simple predictors and an untrained run's networks.
 *
 * @module
 */
import { Rng } from "../../src/data/mod.ts";
import type { FeatureExtractor } from "../../src/density/mod.ts";
import { createVolume, type Mat4, type Vec3, type Volume } from "../../src/io/mod.ts";
import type { FeatureMapModels, Predictor } from "../../src/inference/mod.ts";
import { DenseModel } from "../../src/models/mod.ts";

/** An LPS-like affine with unequal spacing, so that no test relies on an identity grid. */
export const TEST_AFFINE: Mat4 = [-0.8, 0, 0, 30, 0, -0.9, 0, 20, 0, 0, 1.5, -60, 0, 0, 0, 1];

/** mulberry32: a seeded uniform generator on [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A float32 volume of uniform [0, 1) noise on {@linkcode TEST_AFFINE}. */
export function randomVolume(shape: Vec3, seed = 1): Volume<Float32Array> {
  const next = seeded(seed);
  const data = new Float32Array(shape[0] * shape[1] * shape[2]);
  for (let p = 0; p < data.length; p++) data[p] = next();
  return createVolume(data, shape, TEST_AFFINE, "unit");
}

/** A predictor applying `f` to every value (one input channel, one output channel). */
export function pointwise(f: (x: number) => number): Predictor {
  return (windows) => Promise.resolve(windows.map(f));
}

/** Largest |a[p] − b[p]| / max(1, |b[p]|); NaN counts as Infinity. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let p = 0; p < a.length; p++) {
    const e = Math.abs(a[p] - b[p]) / Math.max(1, Math.abs(b[p]));
    d = Number.isNaN(e) ? Infinity : Math.max(d, e);
  }
  return d;
}

/**
 * Untrained `tiny` networks of a run (descriptor seed 1, condition seed 2), 32³×16 windows, preprocessing at
 * `spacingMm`: for tests of plumbing that does not depend on what the networks learned. Call `dispose()` after.
 */
export function untrainedRunModels(
  conditionKind: "masked" | "none" = "masked",
  spacingMm: Vec3 = [7, 7, 10],
): FeatureMapModels & { dispose(): void } {
  const extractor: FeatureExtractor = {
    descriptor: new DenseModel("descriptor", "tiny", new Rng(1)),
    condition: conditionKind === "masked" ? new DenseModel("condition", "tiny", new Rng(2)) : null,
    conditionKind,
    positionalDim: 12,
  };
  return {
    extractor,
    windowVox: [32, 32, 16],
    preprocess: { spacingMm },
    dispose() {
      extractor.descriptor.dispose();
      extractor.condition?.dispose();
    },
  };
}
