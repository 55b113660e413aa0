import { assert, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import { applyAffine } from "../../src/io/mod.ts";
import { type CropPairBatch, sampleBatch, sampleCrop, type SslModel } from "../../src/ssl/mod.ts";
import { cropIndex, phantomScan, scanIndex } from "./_fixtures.ts";

const TINY = { batchSize: 3, cropVox: [16, 12, 8] as const, maxPairs: 64 };

function assertLayout(batch: CropPairBatch): void {
  const [ni, nj, nk] = batch.cropVox;
  const v = ni * nj * nk;
  const b = batch.batchSize;
  assertEquals(batch.viewShape, [b, nk, nj, ni, 1]);
  for (const x of [batch.viewA, batch.viewB, batch.maskA, batch.maskB]) assertEquals(x.length, b * v);
  assertEquals([batch.pairsA.length, batch.pairsB.length], [batch.pairCount, batch.pairCount]);
  assertEquals(batch.pairOffsets.length, b + 1);
  assertEquals([batch.pairOffsets[0], batch.pairOffsets[b]], [0, batch.pairCount]);
  for (let s = 0; s < b; s++) {
    const n = batch.pairOffsets[s + 1] - batch.pairOffsets[s];
    assert(n >= 1 && n <= TINY.maxPairs);
    assertEquals(batch.samples[s].voxels.length, n);
    for (let q = batch.pairOffsets[s]; q < batch.pairOffsets[s + 1]; q++) {
      for (const p of [batch.pairsA[q], batch.pairsB[q]]) {
        assert(p >= s * v && p < (s + 1) * v, `pair ${q} in sample ${s}`);
      }
    }
  }
  assert(batch.viewA.every((x) => x >= 0 && x <= 1) && batch.viewB.every((x) => x >= 0 && x <= 1));
}

Deno.test("sampleBatch() lays out NDHWC views, masks and batch-flat pair indices", () => {
  const scans = [phantomScan(1), phantomScan(2)];
  const batch = sampleBatch(scans, new Rng(1), TINY);
  assertLayout(batch);
  assertEquals(batch.model, "descriptor");
  assert(batch.maskA.every((m) => m === 0) && batch.maskB.every((m) => m === 0), "no masks for the descriptor");
});

Deno.test("sampleBatch() pairs crop voxels within half a crop voxel of one world point, in the body", () => {
  const scans = [phantomScan(1), phantomScan(2)];
  const batch = sampleBatch(scans, new Rng(2), { ...TINY, batchSize: 4 });
  const v = TINY.cropVox[0] * TINY.cropVox[1] * TINY.cropVox[2];
  for (let s = 0; s < batch.batchSize; s++) {
    const sample = batch.samples[s];
    const scan = scans[sample.scanIndex];
    assertEquals(sample.scanId, scan.id);
    for (let q = batch.pairOffsets[s], r = 0; q < batch.pairOffsets[s + 1]; q++, r++) {
      const voxel = sample.voxels[r];
      assertEquals(scan.bodyMask.data[voxel], 1);
      const world = applyAffine(scan.image.affine, scanIndex(scan, voxel));
      for (const [grid, flat] of [[sample.a, batch.pairsA[q] - s * v], [sample.b, batch.pairsB[q] - s * v]] as const) {
        const centre = applyAffine(grid.affine, cropIndex(grid, flat));
        for (let d = 0; d < 3; d++) assert(Math.abs(centre[d] - world[d]) <= grid.spacingMm[d] / 2 + 1e-9);
      }
    }
  }
});

Deno.test("sampleBatch() without augmentation holds the resampled crops", () => {
  const scans = [phantomScan(1)];
  const batch = sampleBatch(scans, new Rng(3), { ...TINY, augment: false });
  const v = TINY.cropVox[0] * TINY.cropVox[1] * TINY.cropVox[2];
  for (let s = 0; s < batch.batchSize; s++) {
    const { a, b, augmentA, augmentB } = batch.samples[s];
    assertEquals(batch.viewA.subarray(s * v, (s + 1) * v), sampleCrop(scans[0].image, a));
    assertEquals(batch.viewB.subarray(s * v, (s + 1) * v), sampleCrop(scans[0].image, b));
    assertEquals([augmentA, augmentB], [{}, {}]);
  }
  // The geometry does not depend on augmentation (separate random sub-streams).
  const augmented = sampleBatch(scans, new Rng(3), TINY);
  assertEquals(augmented.samples.map((x) => [x.a, x.b]), batch.samples.map((x) => [x.a, x.b]));
  assertEquals(augmented.pairsA, batch.pairsA);
  assertNotEquals(augmented.viewA, batch.viewA);
});

Deno.test("sampleBatch() gives identical batches for the same seed and different ones for another", () => {
  const scans = [phantomScan(1), phantomScan(2)];
  for (const model of ["descriptor", "condition"] as SslModel[]) {
    const a = sampleBatch(scans, new Rng(11), { ...TINY, model });
    const b = sampleBatch(scans, new Rng(11), { ...TINY, model });
    assertEquals(a, b);
    const c = sampleBatch(scans, new Rng(12), { ...TINY, model });
    assertNotEquals(a.viewA, c.viewA);
    assertNotEquals(a.pairsA, c.pairsA);
  }
  // Consecutive batches from one generator differ.
  const rng = new Rng(5);
  assertNotEquals(sampleBatch(scans, rng, TINY).viewA, sampleBatch(scans, rng, TINY).viewA);
});

Deno.test("sampleBatch() for the condition model masks each crop in blocks and widens the spacing", () => {
  const scans = [phantomScan(1)];
  const batch = sampleBatch(scans, new Rng(4), {
    ...TINY,
    batchSize: 8,
    model: "condition",
    blockMask: { probability: 1 },
  });
  assertLayout(batch);
  const v = TINY.cropVox[0] * TINY.cropVox[1] * TINY.cropVox[2];
  const blocks = 4 * 4 * 4, blockVoxels = v / blocks; // default blocks: a quarter of the crop, 4×3×2 voxels
  for (let s = 0; s < batch.batchSize; s++) {
    for (const m of [batch.maskA, batch.maskB]) {
      const masked = m.subarray(s * v, (s + 1) * v).reduce((t, x) => t + x, 0);
      assertEquals(masked, Math.round(0.6 * blocks) * blockVoxels);
    }
    assertNotEquals(batch.maskA.subarray(s * v, (s + 1) * v), batch.maskB.subarray(s * v, (s + 1) * v));
  }
  // Intensities are not zeroed under the mask (the network replaces them by its mask token).
  const noAugment = sampleBatch(scans, new Rng(4), { ...TINY, batchSize: 8, model: "condition", augment: false });
  assertEquals(noAugment.viewA.subarray(0, v), sampleCrop(scans[0].image, noAugment.samples[0].a));
  // Spacings reach beyond the descriptor's (2, 2, 3) mm, up to (4, 4, 6).
  const spacings = batch.samples.flatMap((x) => [x.a.spacingMm, x.b.spacingMm]);
  assert(spacings.every((s) => s[0] <= 4 && s[1] <= 4 && s[2] <= 6));
  assert(spacings.some((s) => s[0] > 2 || s[1] > 2 || s[2] > 3));
  const descriptor = sampleBatch(scans, new Rng(4), { ...TINY, batchSize: 8 });
  assert(descriptor.samples.every((x) => [x.a, x.b].every((g) => g.spacingMm.every((s, d) => s <= [2, 2, 3][d]))));
});

Deno.test("sampleBatch() draws scans uniformly", () => {
  const scans = [phantomScan(1), phantomScan(2)];
  const batch = sampleBatch(scans, new Rng(6), { batchSize: 200, cropVox: [4, 4, 4], maxPairs: 1, augment: false });
  const first = batch.samples.filter((s) => s.scanIndex === 0).length;
  assert(Math.abs(first - 100) < 4 * Math.sqrt(50), `${first} of 200 from scan 0`);
});

Deno.test("sampleBatch() rejects an empty scan list and bad options", () => {
  const scans = [phantomScan(1)];
  const rng = new Rng(1);
  assertThrows(() => sampleBatch([], rng), RangeError, "0 scans");
  assertThrows(() => sampleBatch(scans, rng, { batchSize: 0 }), RangeError, "batchSize 0");
  assertThrows(() => sampleBatch(scans, rng, { model: "teacher" as SslModel }), RangeError, '"teacher"');
  assertThrows(() => sampleBatch(scans, rng, { cropVox: [8, 8, -8] }), RangeError, "cropVox [8, 8, -8]");
  assertThrows(() => sampleBatch(scans, rng, { augment: { contrastRange: [1, 0.5] } }), RangeError, "contrastRange");
  assertThrows(
    () => sampleBatch(scans, rng, { model: "condition", blockMask: { ratio: 2 } }),
    RangeError,
    "ratio 2",
  );
});
