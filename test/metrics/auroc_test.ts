import { assertAlmostEquals, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { auroc, AurocAccumulator } from "../../src/metrics/mod.ts";
import { Rng } from "../../src/data/mod.ts";
import { runPython, tempDir } from "../_support/python.ts";

/** sklearn.metrics.roc_auc_score on raw files: scores (float32 or float64), labels (uint8), optional mask (uint8). */
const SKLEARN = `
import sys, json, numpy as np
from sklearn.metrics import roc_auc_score
scores = np.fromfile(sys.argv[1], dtype=sys.argv[2])
labels = np.fromfile(sys.argv[3], dtype=np.uint8) != 0
if len(sys.argv) > 4:
    keep = np.fromfile(sys.argv[4], dtype=np.uint8) != 0
    scores, labels = scores[keep], labels[keep]
print(json.dumps(float(roc_auc_score(labels, scores.astype(np.float64)))))
`;

async function sklearnAuroc(scores: Float32Array | Float64Array, labels: Uint8Array, mask?: Uint8Array) {
  const { dir, cleanup } = await tempDir();
  try {
    await Deno.writeFile(`${dir}/s.raw`, new Uint8Array(scores.buffer, scores.byteOffset, scores.byteLength));
    await Deno.writeFile(`${dir}/l.raw`, labels);
    const args = [`${dir}/s.raw`, scores instanceof Float32Array ? "float32" : "float64", `${dir}/l.raw`];
    if (mask) {
      await Deno.writeFile(`${dir}/m.raw`, mask);
      args.push(`${dir}/m.raw`);
    }
    return await runPython<number>(SKLEARN, args);
  } finally {
    await cleanup();
  }
}

function randomCase(rng: Rng, n: number, positiveRate: number, levels = 0) {
  const scores = new Float32Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = rng.next() < positiveRate ? 1 : 0;
    const s = rng.normal(labels[i] ? 0.7 : 0, 1);
    scores[i] = levels > 0 ? Math.max(0, Math.min(levels - 1, Math.round(s + levels / 2))) : s;
  }
  return { scores, labels };
}

Deno.test("auroc() equals sklearn on random float32 scores", async () => {
  const { scores, labels } = randomCase(new Rng(1), 20000, 0.1);
  assertAlmostEquals(auroc(scores, labels), await sklearnAuroc(scores, labels), 1e-12);
});

Deno.test("auroc() equals sklearn on heavy ties", async () => {
  const { scores, labels } = randomCase(new Rng(2), 20000, 0.3, 5); // five distinct values
  assertAlmostEquals(auroc(scores, labels), await sklearnAuroc(scores, labels), 1e-12);
  // labels stored as any nonzero value count as positive
  const twos = labels.map((v) => v * 2);
  assertAlmostEquals(auroc(scores, twos), await sklearnAuroc(scores, labels), 1e-12);
});

Deno.test("auroc() is 0.5 when every score is equal, 1 and 0 when perfectly separated", () => {
  const labels = Uint8Array.of(0, 1, 0, 1, 1, 0);
  assertEquals(auroc(new Float32Array(6).fill(3), labels), 0.5);
  assertEquals(auroc(Float32Array.of(0, 1, 0, 1, 1, 0), labels), 1);
  assertEquals(auroc(Float32Array.of(1, 0, 1, 0, 0, 1), labels), 0);
  assertEquals(auroc([0.1, 0.4, 0.35, 0.8], Uint8Array.of(0, 0, 1, 1)), 0.75);
});

Deno.test("auroc() equals sklearn on float64 scores without rounding them to float32", async () => {
  const rng = new Rng(3);
  const n = 5000;
  const scores = new Float64Array(n), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = rng.bool(0.4) ? 1 : 0;
    scores[i] = 1 + (labels[i] + rng.next()) * 1e-9; // differences below float32 resolution
  }
  assertAlmostEquals(auroc(scores, labels), await sklearnAuroc(scores, labels), 1e-12);
  assertAlmostEquals(auroc(Array.from(scores), labels), await sklearnAuroc(scores, labels), 1e-12);
});

Deno.test("auroc() evaluates only voxels inside the mask", async () => {
  const rng = new Rng(4);
  const { scores, labels } = randomCase(rng, 20000, 0.2, 7);
  const mask = new Uint8Array(scores.length);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.bool(0.5) ? 1 : 0;
  // Outside the mask, make the scores perfectly informative: they must not count.
  const poisoned = scores.slice();
  for (let i = 0; i < mask.length; i++) if (!mask[i]) poisoned[i] = labels[i] ? 1e6 : -1e6;
  const expected = await sklearnAuroc(scores, labels, mask);
  assertAlmostEquals(auroc(poisoned, labels, mask), expected, 1e-12);
});

Deno.test("auroc() throws RangeError when one class is missing", () => {
  const scores = Float32Array.of(0.1, 0.2, 0.3);
  let e = assertThrows(() => auroc(scores, Uint8Array.of(0, 0, 0)), RangeError);
  assertStringIncludes(e.message, "0 positive and 3 negative");
  e = assertThrows(() => auroc(scores, Uint8Array.of(1, 1, 1)), RangeError);
  assertStringIncludes(e.message, "expected at least one negative");
  // the only positive is outside the evaluation region
  assertThrows(() => auroc(scores, Uint8Array.of(1, 0, 0), Uint8Array.of(0, 1, 1)), RangeError);
  assertThrows(() => auroc(new Float32Array(0), new Uint8Array(0)), RangeError);
});

Deno.test("auroc() throws RangeError on mismatched lengths and NaN scores", () => {
  assertThrows(() => auroc(Float32Array.of(1, 2), Uint8Array.of(0, 1, 0)), RangeError, "labels has 3 values");
  assertThrows(() => auroc(Float32Array.of(1, 2), Uint8Array.of(0, 1), Uint8Array.of(1)), RangeError, "mask has 1");
  assertThrows(() => auroc(Float32Array.of(1, NaN), Uint8Array.of(0, 1)), RangeError, "index 1 is NaN");
  // a NaN outside the mask is ignored
  assertEquals(auroc(Float32Array.of(1, NaN, 2), Uint8Array.of(0, 1, 1), Uint8Array.of(1, 0, 1)), 1);
});

Deno.test("AurocAccumulator pools cases exactly like one concatenated case", async () => {
  const rng = new Rng(5);
  const cases = [randomCase(rng, 7000, 0.1, 9), randomCase(rng, 5000, 0, 9), randomCase(rng, 9000, 0.05)];
  const masks = cases.map((c) => Uint8Array.from(c.scores, () => (rng.bool(0.8) ? 1 : 0)));
  const acc = new AurocAccumulator();
  for (let c = 0; c < cases.length; c++) acc.add(cases[c].scores, cases[c].labels, masks[c]);
  const all = {
    scores: Float32Array.from(cases.flatMap((c) => Array.from(c.scores))),
    labels: Uint8Array.from(cases.flatMap((c) => Array.from(c.labels))),
    mask: Uint8Array.from(masks.flatMap((m) => Array.from(m))),
  };
  const pooled = auroc(all.scores, all.labels, all.mask);
  assertEquals(acc.compute(), pooled);
  assertAlmostEquals(pooled, await sklearnAuroc(all.scores, all.labels, all.mask), 1e-12);
  assertEquals(acc.cases, 3);
  assertEquals(acc.positives + acc.negatives, all.mask.reduce((s, v) => s + v, 0));
});

Deno.test("AurocAccumulator keeps pooling after compute() and empties on reset()", () => {
  const rng = new Rng(6);
  const a = randomCase(rng, 3000, 0.2), b = randomCase(rng, 4000, 0.1);
  const acc = new AurocAccumulator({ precision: "float64" });
  acc.add(a.scores, a.labels);
  assertEquals(acc.compute(), auroc(a.scores, a.labels));
  acc.add(b.scores, b.labels);
  const both = auroc(Float32Array.from([...a.scores, ...b.scores]), Uint8Array.from([...a.labels, ...b.labels]));
  assertEquals(acc.compute(), both);
  acc.reset();
  assertEquals(acc.cases, 0);
  assertThrows(() => acc.compute(), RangeError, "pooled over 0 case(s)");
  acc.add(b.scores, b.labels);
  assertEquals(acc.compute(), auroc(b.scores, b.labels));
});

Deno.test("AurocAccumulator throws RangeError when the pool lacks lesions, and rejects bad input unchanged", () => {
  const acc = new AurocAccumulator();
  acc.add(Float32Array.of(1, 2, 3), Uint8Array.of(0, 0, 0));
  assertThrows(() => acc.compute(), RangeError, "0 positive and 3 negative");
  assertThrows(() => acc.add(Float32Array.of(1, NaN), Uint8Array.of(1, 0)), RangeError, "case 1");
  assertEquals(acc.cases, 1);
  assertThrows(() => new AurocAccumulator({ precision: "float16" as "float32" }), RangeError);
});

Deno.test("auroc() handles millions of voxels", () => {
  const n = 4_000_000;
  const rng = new Rng(7);
  const scores = new Float32Array(n), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 100 === 0 ? 1 : 0;
    scores[i] = rng.next() + (labels[i] ? 0.5 : 0); // uniform shift: AUROC = 1 − 0.5² / 2 = 0.875
  }
  assertAlmostEquals(auroc(scores, labels), 0.875, 5e-3);
});
