import { assertAlmostEquals, assertEquals, assertGreater, assertLess, assertThrows } from "@std/assert";
import { aupro, auproOfTable, buildThresholdTable, connectedComponents, proCurve } from "../../src/metrics/mod.ts";
import { Rng } from "../../src/data/mod.ts";
import type { Vec3 } from "../../src/io/mod.ts";
import { floodFillLabels, referenceAupro } from "./_reference.ts";

/** Random ellipsoid-ish blobs of lesion voxels in a small volume. */
function blobs(rng: Rng, shape: Vec3, count: number): Uint8Array {
  const [n0, n1, n2] = shape;
  const labels = new Uint8Array(n0 * n1 * n2);
  for (let b = 0; b < count; b++) {
    const c = [rng.uniform(0, n0), rng.uniform(0, n1), rng.uniform(0, n2)];
    const r = rng.uniform(0.8, 3.5);
    for (let k = 0; k < n2; k++) {
      for (let j = 0; j < n1; j++) {
        for (let i = 0; i < n0; i++) {
          if ((i - c[0]) ** 2 + (j - c[1]) ** 2 + (k - c[2]) ** 2 <= r * r) labels[i + n0 * (j + n1 * k)] = 1;
        }
      }
    }
  }
  return labels;
}

/** Scores that rank lesions higher on average, optionally quantised to a few levels (heavy ties). */
function noisyScores(rng: Rng, labels: Uint8Array, separation: number, levels = 0): Float32Array {
  return Float32Array.from(labels, (l) => {
    const s = rng.normal(l ? separation : 0, 1);
    return levels > 0 ? Math.round(Math.max(-2, Math.min(2 + separation, s)) * levels) / levels : s;
  });
}

Deno.test("aupro() equals the reference from the definition on random scores and blobs", () => {
  const rng = new Rng(21);
  for (
    const [shape, count, separation, levels, connectivity, fprLimit] of [
      [[16, 14, 10], 4, 1, 0, 26, 0.3],
      [[16, 14, 10], 6, 0.5, 0, 6, 0.3],
      [[12, 12, 12], 5, 1.5, 2, 26, 0.3], // heavy ties
      [[12, 12, 12], 5, 1.5, 1, 6, 0.05], // very few levels, tight limit
      [[20, 10, 6], 3, 2, 0, 26, 1],
      [[20, 10, 6], 8, 0.2, 3, 26, 0.7],
    ] as [Vec3, number, number, number, 6 | 26, number][]
  ) {
    const labels = blobs(rng, shape, count);
    const scores = noisyScores(rng, labels, separation, levels);
    const regions = floodFillLabels(labels, shape, connectivity);
    const expected = referenceAupro(scores, regions, fprLimit);
    assertAlmostEquals(aupro(scores, labels, shape, { connectivity, fprLimit }), expected, 1e-9);
  }
});

Deno.test("aupro() restricts lesions and background to the evaluation region", () => {
  const rng = new Rng(22);
  const shape: Vec3 = [14, 14, 8];
  const labels = blobs(rng, shape, 6);
  const scores = noisyScores(rng, labels, 1);
  const mask = Uint8Array.from(labels, () => (rng.bool(0.8) ? 1 : 0));
  // Regions are the components of the lesions inside the mask.
  const inside = Uint8Array.from(labels, (l, v) => (l !== 0 && mask[v] !== 0 ? 1 : 0));
  const expected = referenceAupro(scores, floodFillLabels(inside, shape, 26), 0.3, mask);
  assertAlmostEquals(aupro(scores, labels, shape, { mask }), expected, 1e-9);
});

Deno.test("aupro() gives 1 for a perfect score and about 0.15 for a random one", () => {
  const rng = new Rng(23);
  const shape: Vec3 = [48, 48, 32];
  const labels = blobs(rng, shape, 60);
  assertEquals(aupro(Float32Array.from(labels), labels, shape), 1);
  assertEquals(aupro(Float32Array.from(labels, (l) => l * 5 + rng.next()), labels, shape), 1);
  // Random: PRO(FPR) ≈ FPR, so the area up to 0.3 is 0.3² / 2, divided by 0.3: 0.15 (averaged over 5 draws).
  let random = 0;
  for (let draw = 0; draw < 5; draw++) random += aupro(Float32Array.from(labels, () => rng.next()), labels, shape) / 5;
  assertAlmostEquals(random, 0.15, 0.01);
  // An inverted score finds nothing below FPR 0.3.
  assertEquals(aupro(Float32Array.from(labels, (l) => 1 - l), labels, shape), 0);
});

Deno.test("auproOfTable() matches a value worked out by hand", () => {
  // Regions A = {0.9, 0.2} and B = {0.7}; background {0.8, 0.3, 0.1}. Descending thresholds:
  // 0.9: (0, 1/4)  0.8: (1/3, 1/4)  0.7: (1/3, 3/4)  0.3: (2/3, 3/4)  0.2: (2/3, 1)  0.1: (1, 1).
  // Up to FPR 0.5: 1/3 · 1/4 (first step, the jump at 0.9 is vertical) + (0.5 − 1/3) · 3/4 = 1/12 + 1/8 = 5/24.
  const scores = Float32Array.of(0.9, 0.2, 0.8, 0.3, 0.1, 0.7);
  const labels = Uint8Array.of(1, 1, 0, 0, 0, 1);
  const shape: Vec3 = [2, 1, 3]; // voxels 0,1 touch; voxel 5 is alone in the last slice
  const { labels: comp, sizes } = connectedComponents(Uint8Array.of(1, 1, 0, 0, 0, 1), shape, { connectivity: 6 });
  assertEquals(Array.from(comp), [1, 1, 0, 0, 0, 2]);
  const positives = Float32Array.of(0.9, 0.2, 0.7), regionOf = Int32Array.of(0, 0, 1);
  const table = buildThresholdTable({ scores: positives, regionOf, regionSizes: sizes }, [
    Float32Array.of(0.8, 0.3, 0.1),
  ]);
  assertAlmostEquals(auproOfTable(table, 0.5), (5 / 24) / 0.5, 1e-12);
  assertAlmostEquals(aupro(scores, labels, shape, { connectivity: 6, fprLimit: 0.5 }), (5 / 24) / 0.5, 1e-12);
  const curve = proCurve(table);
  assertEquals(Array.from(curve.fpr).map((v) => +v.toFixed(6)), [0, 0, 0.333333, 0.333333, 0.666667, 0.666667, 1]);
  assertEquals(Array.from(curve.pro), [0, 0.25, 0.25, 0.75, 0.75, 1, 1]);
});

Deno.test("aupro() throws RangeError when lesions or background are missing or the limit is out of range", () => {
  const shape: Vec3 = [4, 1, 1];
  assertThrows(
    () => aupro(new Float32Array(4), new Uint8Array(4), shape),
    RangeError,
    "expected at least one positive (lesion)",
  );
  assertThrows(() => aupro(new Float32Array(4), new Uint8Array(4).fill(1), shape), RangeError, "negative");
  // the only lesion voxel is outside the region
  assertThrows(
    () => aupro(new Float32Array(4), Uint8Array.of(1, 0, 0, 0), shape, { mask: Uint8Array.of(0, 1, 1, 1) }),
    RangeError,
    "0 positive and 3 negative",
  );
  assertThrows(() => aupro(new Float32Array(4), Uint8Array.of(1, 0, 0, 0), shape, { fprLimit: 0 }), RangeError);
  assertThrows(() => aupro(Float32Array.of(NaN, 0, 0, 0), Uint8Array.of(1, 0, 0, 0), shape), RangeError, "NaN");
});

Deno.test("proCurve() stops past maxFpr and thins to about maxPoints", () => {
  const rng = new Rng(24);
  const shape: Vec3 = [30, 30, 20];
  const labels = blobs(rng, shape, 10);
  const scores = noisyScores(rng, labels, 1);
  const { labels: comp, sizes } = connectedComponents(labels, shape);
  const pos: number[] = [], reg: number[] = [], neg: number[] = [];
  for (let v = 0; v < labels.length; v++) {
    if (labels[v]) {
      pos.push(scores[v]);
      reg.push(comp[v] - 1);
    } else neg.push(scores[v]);
  }
  const table = buildThresholdTable(
    { scores: Float32Array.from(pos), regionOf: Int32Array.from(reg), regionSizes: sizes },
    [Float32Array.from(neg)],
  );
  const full = proCurve(table);
  assertEquals(full.fpr[full.fpr.length - 1], 1);
  const cut = proCurve(table, { maxFpr: 0.3 });
  assertGreater(cut.fpr[cut.fpr.length - 1], 0.3);
  assertLess(cut.fpr[cut.fpr.length - 2], 0.3 + 1e-12);
  const thin = proCurve(table, { maxPoints: 100 });
  assertLess(thin.fpr.length, 110);
  assertEquals([thin.fpr[thin.fpr.length - 1], thin.pro[thin.pro.length - 1]], [1, 1]);
});
