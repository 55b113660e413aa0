import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import {
  auroc,
  aurocOfTable,
  buildThresholdTable,
  rocCurve,
  sweepThresholds,
  type ThresholdTable,
} from "../../src/metrics/mod.ts";
import { Rng } from "../../src/data/mod.ts";
import { runPython, tempDir } from "../_support/python.ts";

/** sklearn's roc_auc_score and its full roc_curve (drop_intermediate=False) on raw float32 scores + uint8 labels. */
const SKLEARN_ROC = `
import sys, json, numpy as np
from sklearn.metrics import roc_auc_score, roc_curve
scores = np.fromfile(sys.argv[1], dtype=np.float32).astype(np.float64)
labels = np.fromfile(sys.argv[2], dtype=np.uint8) != 0
fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
print(json.dumps({"auroc": float(roc_auc_score(labels, scores)), "fpr": fpr.tolist(), "tpr": tpr.tolist()}))
`;

async function sklearnRoc(scores: Float32Array, labels: Uint8Array) {
  const { dir, cleanup } = await tempDir();
  try {
    await Deno.writeFile(`${dir}/s.raw`, new Uint8Array(scores.buffer, scores.byteOffset, scores.byteLength));
    await Deno.writeFile(`${dir}/l.raw`, labels);
    return await runPython<{ auroc: number; fpr: number[]; tpr: number[] }>(SKLEARN_ROC, [
      `${dir}/s.raw`,
      `${dir}/l.raw`,
    ]);
  } finally {
    await cleanup();
  }
}

/** Whether (x, y) lies on the segment from point q to point q + 1 of the curve. */
function onSegment(roc: { fpr: Float64Array; tpr: Float64Array }, q: number, x: number, y: number): boolean {
  const [x0, y0, x1, y1] = [roc.fpr[q], roc.tpr[q], roc.fpr[q + 1], roc.tpr[q + 1]];
  const eps = 1e-12;
  if (x < Math.min(x0, x1) - eps || x > Math.max(x0, x1) + eps) return false;
  if (y < Math.min(y0, y1) - eps || y > Math.max(y0, y1) + eps) return false;
  return Math.abs((x1 - x0) * (y - y0) - (y1 - y0) * (x - x0)) < 1e-12;
}

function tableOf(scores: Float32Array, labels: Uint8Array, chunks = 1): ThresholdTable {
  const pos = scores.filter((_, i) => labels[i] !== 0), neg = scores.filter((_, i) => labels[i] === 0);
  const size = Math.ceil(neg.length / chunks);
  const parts = Array.from({ length: chunks }, (_, c) => neg.subarray(c * size, (c + 1) * size));
  return buildThresholdTable({ scores: pos }, parts);
}

function randomCase(rng: Rng, n: number, positiveRate: number, levels = 0) {
  const labels = Uint8Array.from({ length: n }, () => (rng.bool(positiveRate) ? 1 : 0));
  const scores = Float32Array.from(labels, (l) => {
    const s = rng.normal(l ? 0.8 : 0, 1);
    return levels > 0 ? Math.round(s * levels) / levels : s;
  });
  return { scores, labels };
}

Deno.test("aurocOfTable() and rocCurve() equal sklearn on random and heavily tied scores", async () => {
  const rng = new Rng(31);
  for (
    const [n, rate, levels, chunks] of [[20000, 0.1, 0, 1], [20000, 0.3, 2, 3], [5000, 0.02, 0, 7], [3000, 0.5, 1, 2]]
  ) {
    const { scores, labels } = randomCase(rng, n, rate, levels);
    const ref = await sklearnRoc(scores, labels);
    const table = tableOf(scores, labels, chunks);
    assertAlmostEquals(aurocOfTable(table), ref.auroc, 1e-12);
    assertAlmostEquals(aurocOfTable(table), auroc(scores, labels), 1e-12);
    const roc = rocCurve(table);
    assertAlmostEquals(roc.auroc, ref.auroc, 1e-12);
    // Every point of sklearn's full curve (one per distinct score) lies on our polyline, in the same order.
    let q = 0;
    for (let p = 0; p < ref.fpr.length; p++) {
      while (q < roc.fpr.length - 1 && !onSegment(roc, q, ref.fpr[p], ref.tpr[p])) q++;
      if (q === roc.fpr.length - 1) {
        throw new Error(`sklearn point ${p} (${ref.fpr[p]}, ${ref.tpr[p]}) is off the curve`);
      }
    }
  }
});

Deno.test("buildThresholdTable() counts ties, gaps, ±0, infinities and values beyond every lesion score", () => {
  const table = buildThresholdTable(
    { scores: Float32Array.of(1, 1, 2, -0, Infinity) },
    [Float32Array.of(0, 0.5, 1, 1, 3, 5, -Infinity), Float32Array.of(2, -1)],
  );
  assertEquals(Array.from(table.thresholds), [0, 1, 2, Infinity]);
  assertEquals(Array.from(table.positivesAt), [1, 2, 1, 1]);
  assertEquals(Array.from(table.negativesAt), [1, 2, 1, 0]);
  assertEquals(Array.from(table.negativesBetween), [2, 1, 0, 2, 0]); // <0: −∞, −1; (0,1): 0.5; (2,∞): 3, 5
  assertEquals([table.positives, table.negatives, table.regions], [5, 9, 0]);
});

Deno.test("sweepThresholds() gives thresholds that reproduce each point's counts", () => {
  const rng = new Rng(32);
  const { scores, labels } = randomCase(rng, 400, 0.3, 3);
  const table = tableOf(scores, labels);
  let points = 0;
  sweepThresholds(table, (p) => {
    let tp = 0, fp = 0;
    for (let i = 0; i < scores.length; i++) {
      if (scores[i] >= p.threshold) {
        if (labels[i]) tp++;
        else fp++;
      }
    }
    assertEquals([p.truePositives, p.falsePositives], [tp, fp], `threshold ${p.threshold}`);
    points++;
  });
  assertEquals(points > table.thresholds.length, true);
});

Deno.test("rocCurve() thins to about maxPoints and keeps both ends", () => {
  const { scores, labels } = randomCase(new Rng(33), 50000, 0.2);
  const roc = rocCurve(tableOf(scores, labels), { maxPoints: 200 });
  assertEquals(roc.fpr.length <= 202, true);
  assertEquals([roc.fpr[0], roc.tpr[0], roc.fpr.at(-1), roc.tpr.at(-1)], [0, 0, 1, 1]);
  assertAlmostEquals(roc.auroc, auroc(scores, labels), 1e-12);
});

Deno.test("aurocOfTable() and rocCurve() throw RangeError when a class is missing", () => {
  const onlyNeg = buildThresholdTable({ scores: new Float32Array(0) }, [Float32Array.of(1, 2)]);
  assertThrows(() => aurocOfTable(onlyNeg), RangeError, "0 positive and 2 negative");
  const onlyPos = buildThresholdTable({ scores: Float32Array.of(1) }, []);
  assertThrows(() => rocCurve(onlyPos), RangeError, "expected at least one negative (background) voxel");
  assertThrows(
    () => buildThresholdTable({ scores: Float32Array.of(1), regionOf: Int32Array.of(3), regionSizes: [1] }, []),
    RangeError,
    "region index 3",
  );
});
