import { assert, assertEquals, assertLessOrEqual } from "@std/assert";
import { generatePhantom, Rng } from "../../src/data/mod.ts";
import type { FeatureExtractor } from "../../src/density/mod.ts";
import { channelRows, featureMaps, windowPositions } from "../../src/inference/mod.ts";
import type { Vec3 } from "../../src/io/mod.ts";
import { DenseModel } from "../../src/models/mod.ts";
import { initBackend } from "../../src/nn/mod.ts";
import { preprocessCt, resampleToSpacing } from "../../src/preprocess/mod.ts";
import { maxRelDiff } from "./_fixtures.ts";

const SPACING: Vec3 = [6, 6, 8];
const WINDOW: Vec3 = [16, 16, 16];

function extractor(): FeatureExtractor {
  return {
    descriptor: new DenseModel("descriptor", "tiny", new Rng(1)),
    condition: new DenseModel("condition", "tiny", new Rng(2)),
    conditionKind: "masked",
    positionalDim: 0,
  };
}

Deno.test("featureMaps() with a coarser condition grid: same descriptor, condition brought back from the coarse grid", async () => {
  await initBackend("cpu");
  const ext = extractor();
  try {
    const { ct } = generatePhantom(7, { shape: [64, 64, 40], spacingMm: [5, 5, 7] });
    const pre = preprocessCt(ct, { spacingMm: SPACING });
    const base = { extractor: ext, windowVox: WINDOW, preprocess: { spacingMm: SPACING } };
    const plain = await featureMaps(pre, base, { overlap: 0.25 });
    assertEquals([plain.dy, plain.dc, plain.channels.length], [32, 32, 64]);
    // The condition grid equal to the preprocessed grid reproduces the plain maps (both resamplings are identities).
    const same = await featureMaps(pre, { ...base, conditionSpacingMm: SPACING }, { overlap: 0.25 });
    for (let ch = 0; ch < 64; ch += 9) {
      assertLessOrEqual(maxRelDiff(same.channels[ch].data, plain.channels[ch].data), 1e-5, `channel ${ch}`);
    }
    // A coarser grid: the descriptor is untouched; each condition channel is a trilinear image of the condition
    // network's output on the coarse grid, so it stays within that output's range and equals it at voxel 0 (the two
    // grids share voxel 0's centre).
    const coarseSpacing: Vec3 = [12, 12, 16];
    const seen: [number, number][] = [];
    const coarse = await featureMaps(pre, { ...base, conditionSpacingMm: coarseSpacing }, {
      overlap: 0.25,
      onProgress: (done, total) => seen.push([done, total]),
    });
    for (let ch = 0; ch < 32; ch += 7) assertEquals(coarse.channels[ch].data, plain.channels[ch].data);
    const small = resampleToSpacing(pre.image, coarseSpacing);
    const alone = { descriptor: ext.condition!, condition: null, conditionKind: "none" as const, positionalDim: 0 };
    const direct = await featureMaps({ image: small }, { ...base, extractor: alone }, { overlap: 0.25 });
    let differs = 0;
    for (let ch = 0; ch < 32; ch += 5) {
      const c = coarse.channels[32 + ch].data, d = direct.channels[ch].data;
      assert(c.length === pre.image.data.length);
      let lo = Infinity, hi = -Infinity;
      for (const v of d) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
      for (const v of c) assert(v >= lo - 1e-5 && v <= hi + 1e-5, `channel ${ch}: ${v} outside [${lo}, ${hi}]`);
      assertLessOrEqual(Math.abs(c[0] - d[0]), 1e-5);
      if (maxRelDiff(c, plain.channels[32 + ch].data) > 1e-3) differs++;
    }
    assert(differs > 0, "a coarser condition grid changes the condition");
    const windows = (shape: Vec3) =>
      windowPositions(shape, { windowVox: WINDOW, overlap: 0.25 }).reduce((a, s) => a * s.length, 1);
    const total = windows(pre.image.shape) + windows(small.shape);
    assert(seen.every(([d, t], i) => t === total && (i === 0 || d > seen[i - 1][0])), "progress counts both passes");
    assertEquals(seen.at(-1), [total, total]);
    // channelRows gathers rows of listed voxels.
    const rows = channelRows(coarse.channels, 32, 2, [0, 5]);
    assertEquals([...rows], [
      coarse.channels[32].data[0],
      coarse.channels[33].data[0],
      coarse.channels[32].data[5],
      coarse.channels[33].data[5],
    ]);
  } finally {
    ext.descriptor.dispose();
    ext.condition!.dispose();
  }
});
