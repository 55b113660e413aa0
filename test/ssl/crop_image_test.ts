import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import { applyAffine } from "../../src/io/mod.ts";
import { resampleToGrid } from "../../src/preprocess/mod.ts";
import { type CropGrid, sampleCrop, sampleCropPair } from "../../src/ssl/mod.ts";
import { phantomScan, rasAffine, syntheticScan } from "./_fixtures.ts";

const linear = (w: readonly number[]) => 0.3 + 0.004 * w[0] - 0.003 * w[1] + 0.002 * w[2];

Deno.test("sampleCrop() reproduces a world-linear image at the crop voxel centres", () => {
  const scan = syntheticScan([30, 28, 20], rasAffine([1.5, 1.5, 2], [-20, -18, -15]), linear, () => true);
  const [n0, n1, n2] = scan.image.shape;
  let inside = 0, outside = 0;
  for (let seed = 0; seed < 4; seed++) {
    const { a } = sampleCropPair(scan, new Rng(seed), { cropVox: [20, 16, 12], maxPairs: 1 });
    const crop = sampleCrop(scan.image, a, { fill: -1 });
    for (let c = 0, p = 0; c < 12; c++) {
      for (let b = 0; b < 16; b++) {
        for (let i = 0; i < 20; i++, p++) {
          const x = [
            a.startIndex[0] + i * a.stepIndex[0],
            a.startIndex[1] + b * a.stepIndex[1],
            a.startIndex[2] + c * a.stepIndex[2],
          ];
          if (x[0] >= 0 && x[0] <= n0 - 1 && x[1] >= 0 && x[1] <= n1 - 1 && x[2] >= 0 && x[2] <= n2 - 1) {
            assertAlmostEquals(crop[p], linear(applyAffine(a.affine, [i, b, c])), 1e-5);
            inside++;
          } else if (x.some((v, d) => v < -0.5 - 1e-3 || v > scan.image.shape[d] - 0.5 + 1e-3)) {
            assertEquals(crop[p], -1);
            outside++;
          }
        }
      }
    }
  }
  assert(inside > 1000 && outside > 100, `${inside} inside, ${outside} outside`);
});

Deno.test("sampleCrop() equals resampleToGrid() on the crop's grid, border and fill included", () => {
  const scan = phantomScan();
  for (let seed = 0; seed < 3; seed++) {
    const pair = sampleCropPair(scan, new Rng(seed), { cropVox: [40, 36, 24], maxPairs: 1 });
    for (const g of [pair.a, pair.b]) {
      const want = resampleToGrid(scan.image, { shape: g.shape, affine: g.affine }, { fill: 0 }).data;
      const got = sampleCrop(scan.image, g);
      let maxDiff = 0;
      for (let p = 0; p < got.length; p++) maxDiff = Math.max(maxDiff, Math.abs(got[p] - want[p]));
      assert(maxDiff < 1e-5, `max difference ${maxDiff}`);
    }
  }
});

Deno.test("sampleCrop() writes into a given array and rejects one of the wrong length", () => {
  const scan = phantomScan();
  const { a } = sampleCropPair(scan, new Rng(2), { cropVox: [8, 8, 8], maxPairs: 1 });
  const batch = new Float32Array(2 * 512).fill(7);
  const out = batch.subarray(512);
  assert(sampleCrop(scan.image, a, { out }) === out);
  assertEquals(out, sampleCrop(scan.image, a));
  assert(batch.subarray(0, 512).every((v) => v === 7));
  const grid: CropGrid = a;
  assertThrows(() => sampleCrop(scan.image, grid, { out: new Float32Array(511) }), RangeError, "511");
});
