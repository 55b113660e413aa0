import { assert, assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import { applyAffine, mat4Invert, spacingOf } from "../../src/io/mod.ts";
import { type CropGrid, type CropPair, sampleCropPair, type TrainingScan } from "../../src/ssl/mod.ts";
import { cropIndex, phantomScan, rasAffine, scanIndex, syntheticScan, worldToCrop } from "./_fixtures.ts";

/** Per crop axis, |crop index of the world point − paired crop voxel index| ≤ 0.5 (+ rounding slack). */
function assertPairsWithinHalfVoxel(scan: TrainingScan, pair: CropPair): void {
  for (let q = 0; q < pair.voxels.length; q++) {
    const world = applyAffine(scan.image.affine, scanIndex(scan, pair.voxels[q]));
    for (const [grid, flat] of [[pair.a, pair.pairsA[q]], [pair.b, pair.pairsB[q]]] as const) {
      const idx = cropIndex(grid, flat);
      const centre = applyAffine(grid.affine, idx);
      const x = worldToCrop(grid, world);
      for (let d = 0; d < 3; d++) {
        assert(idx[d] >= 0 && idx[d] < grid.shape[d], `crop index ${idx} inside ${grid.shape}`);
        assert(Math.abs(x[d] - idx[d]) <= 0.5 + 1e-9, `pair ${q} axis ${d}: ${x[d]} vs ${idx[d]}`);
      }
      // On the RAS grids used here, crop axis d is world axis d: the world distance per axis is ≤ half a crop voxel.
      for (let d = 0; d < 3; d++) assert(Math.abs(centre[d] - world[d]) <= grid.spacingMm[d] / 2 + 1e-9);
    }
  }
}

/** Independent oracle: every scan voxel whose centre rounds to a voxel inside both crops and that is body. */
function eligibleVoxels(scan: TrainingScan, a: CropGrid, b: CropGrid): Set<number> {
  const out = new Set<number>();
  const [n0, n1, n2] = scan.image.shape;
  const inv = [mat4Invert(a.affine), mat4Invert(b.affine)];
  const grids = [a, b];
  for (let k = 0, p = 0; k < n2; k++) {
    for (let j = 0; j < n1; j++) {
      for (let i = 0; i < n0; i++, p++) {
        if (scan.bodyMask.data[p] === 0) continue;
        const w = applyAffine(scan.image.affine, [i, j, k]);
        const inside = grids.every((g, c) =>
          applyAffine(inv[c], w).every((x, d) => Math.round(x) >= 0 && Math.round(x) < g.shape[d])
        );
        if (inside) out.add(p);
      }
    }
  }
  return out;
}

Deno.test("sampleCropPair() maps paired voxels to the same world point within half a crop voxel", () => {
  const scan = phantomScan();
  for (let seed = 0; seed < 8; seed++) {
    const pair = sampleCropPair(scan, new Rng(seed), { cropVox: [32, 24, 16], maxPairs: 256 });
    assertEquals(pair.voxels.length, 256);
    assertPairsWithinHalfVoxel(scan, pair);
  }
});

Deno.test("sampleCropPair() works through any affine (flipped, shifted, non-RAS spacing)", () => {
  // LPS-like axes (i → left, j → posterior) with an odd origin: crop index space follows the scan's axes.
  const affine = [-0.8, 0, 0, 40, 0, -1.1, 0, 25, 0, 0, 2.5, -70, 0, 0, 0, 1];
  const scan = syntheticScan([40, 36, 20], affine, (w) => 0.5 + 0.001 * w[0], () => true);
  for (let seed = 0; seed < 4; seed++) {
    const pair = sampleCropPair(scan, new Rng(seed), { cropVox: [16, 16, 8], maxPairs: 64 });
    for (const g of [pair.a, pair.b]) {
      const s = spacingOf(g.affine);
      for (let d = 0; d < 3; d++) assertAlmostEquals(s[d], g.spacingMm[d], 1e-9);
    }
    for (let q = 0; q < pair.voxels.length; q++) {
      const world = applyAffine(scan.image.affine, scanIndex(scan, pair.voxels[q]));
      for (const [grid, flat] of [[pair.a, pair.pairsA[q]], [pair.b, pair.pairsB[q]]] as const) {
        const x = worldToCrop(grid, world);
        const idx = cropIndex(grid, flat);
        for (let d = 0; d < 3; d++) assert(Math.abs(x[d] - idx[d]) <= 0.5 + 1e-9);
      }
    }
  }
});

Deno.test("sampleCropPair() puts the anchor, a body voxel, inside both crops", () => {
  const scan = phantomScan();
  const [n0, n1] = scan.image.shape;
  for (let seed = 0; seed < 20; seed++) {
    const pair = sampleCropPair(scan, new Rng(seed), { cropVox: [16, 16, 16], maxPairs: 8 });
    const [i, j, k] = pair.anchor;
    assertEquals(scan.bodyMask.data[i + n0 * (j + n1 * k)], 1);
    const world = applyAffine(scan.image.affine, pair.anchor);
    for (const g of [pair.a, pair.b]) {
      const x = worldToCrop(g, world);
      for (let d = 0; d < 3; d++) assert(Math.round(x[d]) >= 0 && Math.round(x[d]) < g.shape[d], `anchor in crop`);
    }
  }
});

Deno.test("sampleCropPair() draws distinct body voxels of the overlap and spacings inside the range", () => {
  const scan = phantomScan();
  const min = [1, 1.2, 1.5] as const, max = [2, 2.5, 3] as const;
  for (let seed = 0; seed < 6; seed++) {
    const pair = sampleCropPair(scan, new Rng(seed), {
      cropVox: [24, 24, 16],
      minSpacingMm: min,
      maxSpacingMm: max,
      maxPairs: 300,
    });
    const eligible = eligibleVoxels(scan, pair.a, pair.b);
    assertEquals(pair.voxels.length, Math.min(300, eligible.size));
    assertEquals(new Set(pair.voxels).size, pair.voxels.length, "distinct");
    for (const p of pair.voxels) assert(eligible.has(p), `voxel ${p} is body and in the overlap`);
    for (const g of [pair.a, pair.b]) {
      for (let d = 0; d < 3; d++) {
        assert(g.spacingMm[d] >= min[d] && g.spacingMm[d] <= max[d]);
        assertAlmostEquals(g.stepIndex[d], g.spacingMm[d] / scan.image.spacingMm[d], 1e-12);
      }
    }
  }
});

Deno.test("sampleCropPair() returns every eligible voxel when there are fewer than maxPairs", () => {
  // A sparse body (one voxel in 9) in a small scan that both crops cover: the rejection draws give up and the exact
  // pass must return the whole eligible set.
  const scan = syntheticScan(
    [20, 18, 10],
    rasAffine([2, 2, 3], [0, 0, 0]),
    () => 0.5,
    (i, j) => i % 3 === 0 && j % 3 === 0,
  );
  for (let seed = 0; seed < 4; seed++) {
    const pair = sampleCropPair(scan, new Rng(seed), { cropVox: [12, 12, 8], maxPairs: 10000 });
    const eligible = eligibleVoxels(scan, pair.a, pair.b);
    assertEquals(new Set(pair.voxels), eligible);
    assertPairsWithinHalfVoxel(scan, pair);
  }
  // With fewer pairs wanted than eligible voxels, the exact pass samples without replacement.
  // (At most 1/9 of the overlap is body, so 4·10 rejection draws find about 4 and the exact pass takes over.)
  const pair = sampleCropPair(scan, new Rng(9), {
    cropVox: [24, 24, 12],
    minSpacingMm: [2, 2, 3],
    maxSpacingMm: [2, 2, 3],
    maxPairs: 10,
  });
  const eligible = eligibleVoxels(scan, pair.a, pair.b);
  assert(eligible.size > 10, `${eligible.size} eligible`);
  assertEquals(new Set(pair.voxels).size, 10);
  for (const p of pair.voxels) assert(eligible.has(p));
});

Deno.test("sampleCropPair() draws voxels uniformly over the eligible set", () => {
  // Per draw, each eligible voxel has probability min(1, maxPairs / |eligible|) of being chosen; summed over draws,
  // observed counts must match these expectations (a body slab, so the rejection path is the one used).
  const scan = syntheticScan([10, 10, 6], rasAffine([1, 1, 1], [0, 0, 0]), () => 0.5, (i) => i < 7);
  const observed = new Map<number, number>();
  const expected = new Map<number, number>();
  const rng = new Rng(3);
  const maxPairs = 12;
  for (let t = 0; t < 300; t++) {
    const pair = sampleCropPair(scan, rng, {
      cropVox: [12, 12, 8],
      minSpacingMm: [1, 1, 1],
      maxSpacingMm: [1, 1, 1],
      maxPairs,
    });
    const eligible = eligibleVoxels(scan, pair.a, pair.b);
    for (const p of eligible) expected.set(p, (expected.get(p) ?? 0) + Math.min(1, maxPairs / eligible.size));
    for (const p of pair.voxels) observed.set(p, (observed.get(p) ?? 0) + 1);
  }
  let chi2 = 0;
  for (const [p, e] of expected) chi2 += ((observed.get(p) ?? 0) - e) ** 2 / e;
  const dof = expected.size - 1; // chi² of a fair sampler ≈ dof ± sqrt(2·dof)
  assert(chi2 < dof + 5 * Math.sqrt(2 * dof), `chi² ${chi2.toFixed(1)} for ${dof} degrees of freedom`);
});

Deno.test("sampleCropPair() is reproducible from the generator's state", () => {
  const scan = phantomScan();
  const options = { cropVox: [16, 16, 16] as const, maxPairs: 64 };
  const a = sampleCropPair(scan, new Rng(5), options);
  const b = sampleCropPair(scan, new Rng(5), options);
  const c = sampleCropPair(scan, new Rng(6), options);
  assertEquals(a, b);
  assertNotEquals(a.voxels, c.voxels);
});

Deno.test("sampleCropPair() rejects out-of-range options, naming them", () => {
  const scan = phantomScan();
  const rng = new Rng(1);
  assertThrows(() => sampleCropPair(scan, rng, { cropVox: [0, 8, 8] }), RangeError, "cropVox [0, 8, 8]");
  assertThrows(() => sampleCropPair(scan, rng, { cropVox: [8.5, 8, 8] }), RangeError, "3 positive integers");
  assertThrows(() => sampleCropPair(scan, rng, { minSpacingMm: [1, -1, 1] }), RangeError, "minSpacingMm");
  assertThrows(
    () => sampleCropPair(scan, rng, { minSpacingMm: [3, 1, 1], maxSpacingMm: [2, 2, 2] }),
    RangeError,
    "maxSpacingMm [2, 2, 2]",
  );
  assertThrows(() => sampleCropPair(scan, rng, { maxPairs: 0 }), RangeError, "maxPairs 0");
});
