import { assert, assertAlmostEquals, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import {
  aupro,
  auroc,
  bestDice,
  type Connectivity,
  diceAtThreshold,
  SegmentationEvaluator,
} from "../../src/metrics/mod.ts";
import { Rng } from "../../src/data/mod.ts";
import type { Vec3 } from "../../src/io/mod.ts";
import { runPython, tempDir } from "../_support/python.ts";
import { floodFillLabels, referenceAupro, referenceBestDice } from "./_reference.ts";

interface TestCase {
  id: string;
  scores: Float32Array;
  labels: Uint8Array;
  region: Uint8Array;
  shape: Vec3;
}

function makeCase(rng: Rng, id: string, shape: Vec3, blobs: number): TestCase {
  const [n0, n1, n2] = shape;
  const n = n0 * n1 * n2;
  const labels = new Uint8Array(n);
  for (let b = 0; b < blobs; b++) {
    const c = [rng.uniform(0, n0), rng.uniform(0, n1), rng.uniform(0, n2)], r = rng.uniform(1, 3);
    for (let v = 0; v < n; v++) {
      const i = v % n0, j = Math.floor(v / n0) % n1, k = Math.floor(v / (n0 * n1));
      if ((i - c[0]) ** 2 + (j - c[1]) ** 2 + (k - c[2]) ** 2 <= r * r) labels[v] = 1;
    }
  }
  // Region: a box leaving out a border, as a body mask would.
  const region = Uint8Array.from({ length: n }, (_, v) => {
    const i = v % n0, j = Math.floor(v / n0) % n1;
    return i > 0 && j > 1 ? 1 : 0;
  });
  const scores = Float32Array.from(labels, (l) => Math.round(rng.normal(l ? 1.2 : 0, 1) * 8) / 8); // ties
  return { id, scores, labels, region, shape };
}

/** Concatenates the in-region voxels of the cases, with region labels made unique across cases. */
function pool(cases: TestCase[], connectivity: Connectivity) {
  const scores: number[] = [], labels: number[] = [], regions: number[] = [];
  let offset = 0;
  for (const c of cases) {
    const inside = Uint8Array.from(c.labels, (l, v) => (l && c.region[v] ? 1 : 0));
    const comp = floodFillLabels(inside, c.shape, connectivity as 6 | 26);
    let most = 0;
    for (let v = 0; v < c.scores.length; v++) {
      if (!c.region[v]) continue;
      scores.push(c.scores[v]);
      labels.push(c.labels[v] ? 1 : 0);
      regions.push(comp[v] ? comp[v] + offset : 0);
      most = Math.max(most, comp[v]);
    }
    offset += most;
  }
  return { scores: Float32Array.from(scores), labels: Uint8Array.from(labels), regions: Int32Array.from(regions) };
}

async function sklearnAuroc(scores: Float32Array, labels: Uint8Array): Promise<number> {
  const { dir, cleanup } = await tempDir();
  try {
    await Deno.writeFile(`${dir}/s.raw`, new Uint8Array(scores.buffer));
    await Deno.writeFile(`${dir}/l.raw`, labels);
    return await runPython<number>(
      `
import sys, json, numpy as np
from sklearn.metrics import roc_auc_score
s = np.fromfile(sys.argv[1], dtype=np.float32).astype(np.float64); l = np.fromfile(sys.argv[2], dtype=np.uint8)
print(json.dumps(float(roc_auc_score(l, s))))
`,
      [`${dir}/s.raw`, `${dir}/l.raw`],
    );
  } finally {
    await cleanup();
  }
}

Deno.test("SegmentationEvaluator pools cases like one concatenated set and agrees with the references", async () => {
  const rng = new Rng(71);
  for (const connectivity of [26, 6] as const) {
    const cases = [
      makeCase(rng, "a", [14, 12, 9], 3),
      makeCase(rng, "b", [10, 16, 8], 5),
      makeCase(rng, "c", [12, 12, 6], 0), // lesion-free
      makeCase(rng, "d", [9, 9, 9], 2),
    ];
    const ev = new SegmentationEvaluator({ connectivity, fprLimit: 0.3 });
    for (const c of cases) ev.add(c);
    const { metrics, table } = ev.compute({ samples: 500, seed: 5 });
    const all = pool(cases, connectivity);
    assertAlmostEquals(metrics.auroc, await sklearnAuroc(all.scores, all.labels), 1e-12);
    assertAlmostEquals(metrics.aupro, referenceAupro(all.scores, all.regions, 0.3), 1e-9);
    const best = referenceBestDice(all.scores, all.labels);
    assertAlmostEquals(metrics.diceBest, best.dice, 1e-12);
    assertEquals(metrics.thresholdBest, best.threshold);
    assertEquals(table.positives, metrics.positives);
    assertEquals([metrics.positives + metrics.negatives, metrics.lesions], [
      all.scores.length,
      Math.max(...all.regions),
    ]);
    assertEquals([metrics.connectivity, metrics.fprLimit, metrics.reduction], [connectivity, 0.3, "pooled"]);

    for (const [index, c] of cases.entries()) {
      const got = metrics.cases[index];
      assertEquals(got.id, c.id);
      const hasLesions = c.labels.some((l, v) => l && c.region[v]);
      if (hasLesions) {
        assertAlmostEquals(got.auroc!, auroc(c.scores, c.labels, c.region), 1e-12);
        assertAlmostEquals(got.aupro!, aupro(c.scores, c.labels, c.shape, { mask: c.region, connectivity }), 1e-12);
        assertEquals(got.diceBest, bestDice(c.scores, c.labels, { mask: c.region }).dice);
      } else {
        assertEquals([got.auroc, got.aupro, got.diceBest, got.thresholdBest, got.lesions.length], [
          null,
          null,
          null,
          null,
          0,
        ]);
        assertStringIncludes(got.notes.join(" "), "no lesion voxel");
      }
      const dice = diceAtThreshold(c.scores, c.labels, { threshold: metrics.thresholdBest, mask: c.region });
      assertEquals(got.diceAtGlobal, dice);
      // Detection: a lesion counts when any of its voxels reaches the global threshold.
      const inside = Uint8Array.from(c.labels, (l, v) => (l && c.region[v] ? 1 : 0));
      const comp = floodFillLabels(inside, c.shape, connectivity);
      const hit = new Set<number>();
      for (let v = 0; v < comp.length; v++) if (comp[v] && c.scores[v] >= metrics.thresholdBest) hit.add(comp[v]);
      assertEquals(got.lesionsDetected, hit.size);
      for (const lesion of got.lesions) {
        const [i, j, k] = lesion.peakVoxel;
        assertEquals(c.scores[i + c.shape[0] * (j + c.shape[1] * k)], lesion.maxScore);
      }
    }
    assertEquals(metrics.lesionFreeCases, 1);
    assertEquals(metrics.means.auroc.n, 3);
    const meanAuroc = metrics.cases.filter((c) => c.auroc !== null).reduce((s, c) => s + c.auroc!, 0) / 3;
    assertAlmostEquals(metrics.means.auroc.mean!, meanAuroc, 1e-12);
    assert(metrics.means.auroc.ci![0] <= meanAuroc && meanAuroc <= metrics.means.auroc.ci![1]);
    assertEquals(metrics.bootstrap, { samples: 500, seed: 5, level: 0.95, method: "percentile" });
    assertEquals(ev.compute({ samples: 500, seed: 5 }).metrics.means, metrics.means);
  }
});

Deno.test("SegmentationEvaluator.add() reports undefined metrics as null with a reason", () => {
  const ev = new SegmentationEvaluator();
  const shape: Vec3 = [4, 1, 1];
  const empty = ev.add({
    id: "empty",
    scores: new Float32Array(4),
    labels: Uint8Array.of(1, 0, 0, 0),
    region: new Uint8Array(4),
    shape,
  });
  assertEquals([empty.auroc, empty.aupro, empty.diceBest, empty.regionVoxels], [null, null, null, 0]);
  assertStringIncludes(empty.notes.join(" "), "evaluation region is empty");
  assertStringIncludes(empty.notes.join(" "), "1 lesion voxel(s) lie outside");
  const full = ev.add({
    id: "all-lesion",
    scores: Float32Array.of(1, 2, 3, 4),
    labels: new Uint8Array(4).fill(1),
    shape,
  });
  assertEquals([full.auroc, full.aupro, full.diceBest, full.thresholdBest], [null, null, 1, 1]);
  assertStringIncludes(full.notes.join(" "), "no background voxel");
  const clean = ev.add({ id: "clean", scores: Float32Array.of(0, 0, 5, 0), labels: new Uint8Array(4), shape });
  const { metrics } = ev.compute();
  assertEquals(metrics.thresholdBest, 1); // all-lesion case: everything ≥ 1; the clean case's 5 is a false positive
  assertEquals(metrics.cases.map((c) => c.diceAtGlobal), [null, 1, 0]);
  assertEquals(clean.lesions, []);
});

Deno.test("SegmentationEvaluator.compute() throws RangeError when the pool lacks lesions or background", () => {
  const ev = new SegmentationEvaluator();
  ev.add({ id: "x", scores: Float32Array.of(1, 2), labels: Uint8Array.of(0, 0), shape: [2, 1, 1] });
  ev.add({ id: "y", scores: Float32Array.of(1, 2), labels: Uint8Array.of(0, 0), shape: [1, 2, 1] });
  assertThrows(() => ev.compute(), RangeError, "over 2 case(s): the evaluation regions hold 0 lesion and 4 background");
  ev.reset();
  assertEquals(ev.cases, 0);
  ev.add({ id: "z", scores: Float32Array.of(1), labels: Uint8Array.of(1), shape: [1, 1, 1] });
  assertThrows(() => ev.compute(), RangeError, "expected at least one background voxel");
});

Deno.test("SegmentationEvaluator.add() names the case on bad input and keeps nothing", () => {
  const ev = new SegmentationEvaluator();
  const shape: Vec3 = [2, 1, 1];
  assertThrows(
    () => ev.add({ id: "case_7", scores: Float32Array.of(NaN, 1), labels: Uint8Array.of(1, 0), shape }),
    RangeError,
    `Cannot evaluate case "case_7": score at index 0 is NaN`,
  );
  assertThrows(
    () => ev.add({ id: "case_8", scores: Float32Array.of(0, 1), labels: Uint8Array.of(1), shape }),
    RangeError,
    `Cannot evaluate case "case_8": labels has 1 values`,
  );
  assertThrows(
    () => ev.add({ id: "case_9", scores: Float32Array.of(0, 1, 2), labels: Uint8Array.of(1, 0, 0), shape }),
    RangeError,
    "scores has 3 values but shape 2×1×1 needs 2",
  );
  assertEquals(ev.cases, 0);
  assertThrows(() => new SegmentationEvaluator({ fprLimit: 1.5 }), RangeError, "fprLimit 1.5");
  assertThrows(() => new SegmentationEvaluator({ connectivity: 8 as Connectivity }), RangeError, "connectivity 8");
});

Deno.test("SegmentationEvaluator.histogram() bins pooled lesion and background scores", () => {
  const ev = new SegmentationEvaluator();
  ev.add({ id: "a", scores: Float32Array.of(0, 1, 2, 3), labels: Uint8Array.of(0, 0, 1, 1), shape: [4, 1, 1] });
  ev.add({
    id: "b",
    scores: Float32Array.of(0, 3),
    labels: Uint8Array.of(0, 1),
    region: Uint8Array.of(1, 1),
    shape: [2, 1, 1],
  });
  const h = ev.histogram({ bins: 3 });
  assertEquals([Array.from(h.lesion), Array.from(h.background)], [[0, 0, 3], [2, 1, 0]]);
});

Deno.test("SegmentationEvaluator gives 1 for perfect scores and about 0.5 (AUROC) and 0.15 (AUPRO) for random ones", () => {
  const rng = new Rng(72);
  const cases = Array.from({ length: 4 }, (_, c) => makeCase(rng, `r${c}`, [40, 40, 24], 15));
  const perfect = new SegmentationEvaluator(), random = new SegmentationEvaluator();
  for (const c of cases) {
    perfect.add({ ...c, scores: Float32Array.from(c.labels, (l) => l + rng.next() * 0.5) });
    random.add({ ...c, scores: Float32Array.from(c.labels, () => rng.next()) });
  }
  const p = perfect.compute({ samples: 100 }).metrics;
  assertEquals([p.auroc, p.aupro, p.diceBest, p.lesionsDetected], [1, 1, 1, p.lesions]);
  assert(p.cases.every((c) => c.auroc === 1 && c.aupro === 1 && c.diceBest === 1));
  const r = random.compute({ samples: 100 }).metrics;
  assertAlmostEquals(r.auroc, 0.5, 0.02);
  assertAlmostEquals(r.aupro, 0.15, 0.02);
});
