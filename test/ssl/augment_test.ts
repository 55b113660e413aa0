import { assert, assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import type { Vec3 } from "../../src/io/mod.ts";
import {
  addGaussianNoise,
  adjustGamma,
  augmentCrop,
  type AugmentOptions,
  blurInPlane,
  type CropImage,
  scaleBrightness,
  scaleContrast,
  scaledAugmentOptions,
  sharpenInPlane,
} from "../../src/ssl/mod.ts";
import { runPython, tempDir } from "../_support/python.ts";

const SHAPE: Vec3 = [16, 12, 6];
const N = SHAPE[0] * SHAPE[1] * SHAPE[2];

function crop(f: (i: number, j: number, k: number) => number, spacingMm: Vec3 = [1, 1, 2]): CropImage {
  const data = new Float32Array(N);
  for (let k = 0, p = 0; k < SHAPE[2]; k++) {
    for (let j = 0; j < SHAPE[1]; j++) for (let i = 0; i < SHAPE[0]; i++, p++) data[p] = f(i, j, k);
  }
  return { data, shape: SHAPE, spacingMm };
}

const mean = (x: Float32Array) => x.reduce((s, v) => s + v, 0) / x.length;
const variance = (x: Float32Array) => {
  const m = mean(x);
  return x.reduce((s, v) => s + (v - m) ** 2, 0) / x.length;
};
/** Intensities in [0.2, 0.8], varying along every axis. */
const textured = () => crop((i, j, k) => 0.5 + 0.3 * Math.sin(0.7 * i + 1.3 * j) * Math.cos(0.9 * k));
const checkerboard = () => crop((i, j, k) => ((i + j + k) % 2 === 0 ? 0.3 : 0.7));
const NONE: AugmentOptions = {
  filterProbability: 0,
  brightnessProbability: 0,
  contrastProbability: 0,
  gammaProbability: 0,
  noiseProbability: 0,
};
const ALL: AugmentOptions = {
  filterProbability: 1,
  brightnessProbability: 1,
  contrastProbability: 1,
  gammaProbability: 1,
  noiseProbability: 1,
};

Deno.test("scaleBrightness() scales the mean by the factor", () => {
  const x = textured();
  for (const f of [0.8, 1, 1.2]) assertAlmostEquals(mean(scaleBrightness(x, f)), f * mean(x.data), 1e-6);
  assert(scaleBrightness(crop(() => 0.9), 1.2).every((v) => v === 1), "clipped to 1");
});

Deno.test("scaleContrast() keeps the mean and scales the standard deviation", () => {
  const x = textured();
  for (const f of [0.8, 1.2]) {
    const y = scaleContrast(x, f);
    assertAlmostEquals(mean(y), mean(x.data), 1e-6);
    assertAlmostEquals(Math.sqrt(variance(y)), f * Math.sqrt(variance(x.data)), 1e-6);
  }
});

Deno.test("adjustGamma() raises a constant image to the power gamma and fixes 0 and 1", () => {
  for (const g of [0.8, 1.25]) {
    assert(adjustGamma(crop(() => 0.4), g).every((v) => Math.abs(v - 0.4 ** g) < 1e-6));
    assertEquals(Array.from(adjustGamma(crop((i) => i % 2), g).subarray(0, 4)), [0, 1, 0, 1]);
  }
  assert(adjustGamma(crop(() => -0.1), 0.8).every((v) => v === 0), "negative inputs clip to 0");
});

Deno.test("addGaussianNoise() adds zero-mean noise of the given standard deviation", () => {
  const x = crop(() => 0.5);
  const y = addGaussianNoise(x, new Rng(1), { std: 0.05 }); // 1152 voxels; clipping at 10σ never happens
  const d = y.map((v, p) => v - x.data[p]);
  assertAlmostEquals(mean(d), 0, 4 * 0.05 / Math.sqrt(N));
  assertAlmostEquals(Math.sqrt(variance(d)), 0.05, 0.05 * 5 / Math.sqrt(2 * N));
  assertEquals(y, addGaussianNoise(x, new Rng(1), { std: 0.05 }));
  assertEquals(addGaussianNoise(x, new Rng(1), { std: 0 }), x.data);
  const air = addGaussianNoise(crop(() => 0), new Rng(2), { std: 0.1 });
  assert(air.every((v) => v >= 0 && v <= 1), "clipped to [0, 1]");
});

Deno.test("blurInPlane() keeps a constant, lowers a checkerboard's variance and never mixes slices", () => {
  const c = blurInPlane(crop(() => 0.6), 1.5);
  assert(c.every((v) => Math.abs(v - 0.6) < 1e-6));
  assert(variance(blurInPlane(checkerboard(), 1)) < 0.1 * variance(checkerboard().data));
  // Slices of different constants stay exactly as they were: no blur along k.
  const slices = crop((_i, _j, k) => 0.1 * k);
  assertEquals(blurInPlane(slices, 1.5), slices.data);
  assertEquals(blurInPlane(textured(), 0), textured().data);
});

Deno.test("blurInPlane() keeps an impulse centred and symmetric, with σ in mm per axis", () => {
  const impulse = crop((i, j, k) => (i === 8 && j === 6 && k === 3 ? 1 : 0), [0.5, 1, 2]);
  const y = blurInPlane(impulse, 1);
  const at = (i: number, j: number, k: number) => y[i + SHAPE[0] * (j + SHAPE[1] * k)];
  let best = 0;
  for (let p = 1; p < N; p++) if (y[p] > y[best]) best = p;
  assertEquals(best, 8 + SHAPE[0] * (6 + SHAPE[1] * 3));
  for (let t = 1; t <= 3; t++) {
    assertAlmostEquals(at(8 - t, 6, 3), at(8 + t, 6, 3), 1e-7);
    assertAlmostEquals(at(8, 6 - t, 3), at(8, 6 + t, 3), 1e-7);
  }
  // σ = 1 mm is 2 voxels along i (0.5 mm) and 1 voxel along j (1 mm): the i profile is wider.
  assertAlmostEquals(at(9, 6, 3) / at(8, 6, 3), Math.exp(-0.5 * (1 / 2) ** 2), 1e-5);
  assertAlmostEquals(at(8, 7, 3) / at(8, 6, 3), Math.exp(-0.5), 1e-5);
  assertAlmostEquals(y.reduce((s, v) => s + v, 0), 1, 1e-3); // mass kept, but for the tail past i = 15
  assert(y.every((v, p) => Math.floor(p / (SHAPE[0] * SHAPE[1])) === 3 || v === 0), "only slice k = 3 changes");
});

Deno.test("blurInPlane() equals scipy.ndimage.gaussian_filter1d along i and j (mode nearest)", async () => {
  const x = textured();
  const spacingMm: Vec3 = [0.8, 1.25, 2];
  const y = blurInPlane({ ...x, spacingMm }, 1.5);
  const { dir, cleanup } = await tempDir();
  try {
    await Deno.writeFile(`${dir}/x.f32`, new Uint8Array(x.data.buffer));
    const script = `
import sys, json, numpy as np
from scipy.ndimage import gaussian_filter1d
x = np.fromfile(sys.argv[1], dtype=np.float32).astype(np.float64).reshape(${SHAPE[2]}, ${SHAPE[1]}, ${SHAPE[0]})
y = gaussian_filter1d(x, 1.5 / ${spacingMm[0]}, axis=2, mode="nearest")
y = gaussian_filter1d(y, 1.5 / ${spacingMm[1]}, axis=1, mode="nearest")
print(json.dumps(y.ravel().tolist()))`;
    const want = await runPython<number[]>(script, [`${dir}/x.f32`]);
    for (let p = 0; p < N; p++) assertAlmostEquals(y[p], want[p], 1e-5);
  } finally {
    await cleanup();
  }
});

Deno.test("sharpenInPlane() adds amount times the detail removed by the blur", () => {
  const x = textured();
  const blurred = blurInPlane(x, 1);
  const y = sharpenInPlane(x, { sigmaMm: 1, amount: 0.5 });
  for (let p = 0; p < N; p++) {
    const want = Math.min(1, Math.max(0, x.data[p] + 0.5 * (x.data[p] - blurred[p])));
    assertAlmostEquals(y[p], want, 1e-6);
  }
  assert(sharpenInPlane(crop(() => 0.3), { sigmaMm: 1.5, amount: 1 }).every((v) => Math.abs(v - 0.3) < 1e-6));
  assert(variance(sharpenInPlane(checkerboard(), { amount: 0.3 })) > variance(checkerboard().data));
});

Deno.test("augmentCrop() with every probability 0 is the identity", () => {
  const x = textured();
  const { data, applied } = augmentCrop(x, new Rng(1), NONE);
  assertEquals(data, x.data);
  assert(data !== x.data, "a new array");
  assertEquals(applied, {});
});

Deno.test("augmentCrop() with every probability 1 applies each augmentation within its range", () => {
  let blurred = 0, sharpened = 0;
  for (let seed = 0; seed < 40; seed++) {
    const x = textured();
    const before = x.data.slice();
    const { data, applied } = augmentCrop(x, new Rng(seed), ALL);
    assertEquals(x.data, before, "input untouched");
    assert(data.every((v) => v >= 0 && v <= 1));
    const { blurSigmaMm, sharpenSigmaMm, sharpenAmount, brightness, contrast, gamma, noiseStd } = applied;
    assert((blurSigmaMm === undefined) !== (sharpenSigmaMm === undefined), "blur or sharpening, not both");
    if (blurSigmaMm !== undefined) {
      blurred++;
      assert(blurSigmaMm >= 0.5 && blurSigmaMm <= 1.5);
    } else {
      sharpened++;
      assert(sharpenSigmaMm! >= 0.5 && sharpenSigmaMm! <= 1.5 && sharpenAmount! >= 0.2 && sharpenAmount! <= 1);
    }
    assert(brightness! >= 0.8 && brightness! <= 1.2);
    assert(contrast! >= 0.8 && contrast! <= 1.2);
    assert(gamma! >= 0.8 && gamma! <= 1.25);
    assert(noiseStd! >= 0 && noiseStd! <= 0.1);
  }
  assert(blurred > 5 && sharpened > 5, `${blurred} blurred, ${sharpened} sharpened`);
});

Deno.test("augmentCrop() applies each augmentation with its own probability, reproducibly", () => {
  const counts = { filter: 0, brightness: 0, contrast: 0, gamma: 0, noise: 0 };
  const x = crop(() => 0.5);
  const rng = new Rng(4);
  const n = 400;
  for (let t = 0; t < n; t++) {
    const { applied } = augmentCrop(x, rng, { noiseStdRange: [0, 0] }); // METHOD defaults, p = 0.8 each
    if (applied.blurSigmaMm !== undefined || applied.sharpenSigmaMm !== undefined) counts.filter++;
    if (applied.brightness !== undefined) counts.brightness++;
    if (applied.contrast !== undefined) counts.contrast++;
    if (applied.gamma !== undefined) counts.gamma++;
    if (applied.noiseStd !== undefined) counts.noise++;
  }
  for (const [name, c] of Object.entries(counts)) {
    assert(Math.abs(c / n - 0.8) < 4 * Math.sqrt(0.16 / n), `${name}: ${c}/${n}`);
  }
  const a = augmentCrop(textured(), new Rng(9));
  assertEquals(a, augmentCrop(textured(), new Rng(9)));
  assertNotEquals(a.data, augmentCrop(textured(), new Rng(10)).data);
});

Deno.test("augmentCrop() changes no geometry: a blurred, brightened impulse stays in place", () => {
  const impulse = crop((i, j, k) => (i === 5 && j === 7 && k === 2 ? 0.8 : 0.1));
  for (let seed = 0; seed < 10; seed++) {
    const { data } = augmentCrop(impulse, new Rng(seed), { ...ALL, sharpenFraction: 0, noiseProbability: 0 });
    let best = 0;
    for (let p = 1; p < N; p++) if (data[p] > data[best]) best = p;
    assertEquals(best, 5 + SHAPE[0] * (7 + SHAPE[1] * 2));
  }
});

Deno.test("augmentCrop() and the augmentations reject out-of-range parameters", () => {
  const x = textured();
  const rng = new Rng(1);
  assertThrows(() => augmentCrop(x, rng, { noiseProbability: 1.5 }), RangeError, "noiseProbability 1.5");
  assertThrows(() => augmentCrop(x, rng, { gammaRange: [1.25, 0.8] }), RangeError, "gammaRange [1.25, 0.8]");
  assertThrows(() => augmentCrop(x, rng, { gammaRange: [0, 1] }), RangeError, "gammaRange");
  assertThrows(() => augmentCrop({ ...x, shape: [4, 4, 4] }, rng), RangeError, "1152 values: expected 64");
  assertThrows(() => blurInPlane(x, -1), RangeError, "sigmaMm -1");
  assertThrows(() => sharpenInPlane(x, { amount: NaN }), RangeError, "amount NaN");
  assertThrows(() => adjustGamma(x, 0), RangeError, "gamma 0");
  assertThrows(() => scaleBrightness(x, -0.5), RangeError, "factor -0.5");
  assertThrows(() => scaleContrast(x, Infinity), RangeError, "factor Infinity");
  assertThrows(() => addGaussianNoise(x, rng, { std: -0.1 }), RangeError, "std -0.1");
});

Deno.test("scaledAugmentOptions() scales the intensity ranges toward identity and keeps the filter", () => {
  assertEquals(scaledAugmentOptions(1), {});
  const half = scaledAugmentOptions(0.5);
  assertEquals(half.noiseStdRange, [0, 0.05]);
  assertEquals(half.brightnessRange, [0.9, 1.1]);
  assertEquals(half.contrastRange, [0.9, 1.1]);
  assertAlmostEquals(half.gammaRange![0] * half.gammaRange![1], 1, 1e-12);
  assertAlmostEquals(half.gammaRange![1], Math.sqrt(1.25), 1e-12);
  // Strength 0 with every probability 1: only the in-plane filter changes the crop.
  const x = textured();
  for (let seed = 0; seed < 10; seed++) {
    const full = augmentCrop(x, new Rng(seed), { ...ALL, ...scaledAugmentOptions(0) });
    const filterOnly = augmentCrop(x, new Rng(seed), {
      ...ALL,
      brightnessRange: [1, 1],
      contrastRange: [1, 1],
      gammaRange: [1, 1],
      noiseStdRange: [0, 0],
    });
    assertEquals(full.data, filterOnly.data);
    assertEquals(full.applied.brightness, 1);
    assertEquals(full.applied.noiseStd, 0);
  }
  for (const bad of [-0.1, 1.5, NaN]) assertThrows(() => scaledAugmentOptions(bad), RangeError, "expected a number");
});
