import { assert, assertAlmostEquals, assertEquals, assertLess, assertThrows } from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import { fitLinearProbe, probePredict, probeProbabilities, probeReport } from "../../src/metrics/mod.ts";
import { runPython, tempDir } from "../_support/python.ts";

/**
 * sklearn's LogisticRegression (multinomial) on the same standardised rows with C = 1 / (n · l2): the same convex
 * objective up to the factor n·C, so the same probabilities; plus the balanced accuracy and per-class recall of its
 * predictions. Solver `sag` at tol 1e-12: sklearn's default lbfgs stops on its relative-decrease test with gradients
 * near 1e-6 here, 1e-5 off in probability; sag reaches gradients below 1e-12.
 */
const SKLEARN = `
import sys, json, numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, recall_score
n, d, l2, cw = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
x = np.fromfile(sys.argv[1], dtype=np.float32).astype(np.float64).reshape(n, d)
y = np.fromfile(sys.argv[2], dtype=np.int32)
xs = (x - x.mean(axis=0)) / x.std(axis=0)
m = LogisticRegression(C=1.0 / (n * l2), solver="sag", tol=1e-12, max_iter=100000, random_state=0,
                       class_weight=None if cw == "none" else cw).fit(xs, y)
p = m.predict_proba(xs)
pred = m.predict(xs)
print(json.dumps({"p": p.ravel().tolist(), "balanced": balanced_accuracy_score(y, pred),
  "recall": recall_score(y, pred, average=None).tolist(), "pred": pred.tolist()}))
`;

/**
 * n rows of d features from `classes` Gaussian clusters that overlap (so the optimum is finite); with `skew`, class c
 * is drawn with probability ∝ skew^c instead of uniformly.
 */
function clusters(rng: Rng, n: number, d: number, classes: number, skew = 1) {
  const centres = Array.from({ length: classes }, () => Array.from({ length: d }, () => rng.normal(0, 1.5)));
  const x = new Float32Array(n * d), y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let u = rng.next() * Array.from({ length: classes }, (_, c) => skew ** c).reduce((a, b) => a + b, 0), c = 0;
    while (c < classes - 1 && u >= skew ** c) u -= skew ** c++;
    y[r] = c;
    for (let k = 0; k < d; k++) x[r * d + k] = 10 + 3 * (centres[y[r]][k] + rng.normal(0, 1)); // off-centre, scaled
  }
  return { x, y };
}

for (const balanced of [false, true]) {
  Deno.test(`fitLinearProbe() gives sklearn's multinomial logistic-regression probabilities (balanced ${balanced})`, async () => {
    const n = 600, d = 3, classes = 4, l2 = 1e-2;
    const { x, y } = clusters(new Rng(4), n, d, classes, 0.4);
    const probe = fitLinearProbe(x, y, d, classes, { l2, tolerance: 1e-7, balanced });
    assert(probe.converged, `converged in ${probe.iterations} iterations`);
    const p = probeProbabilities(probe, x);
    const pred = probePredict(probe, x);
    const { dir, cleanup } = await tempDir();
    try {
      await Deno.writeFile(`${dir}/x.raw`, new Uint8Array(x.buffer));
      await Deno.writeFile(`${dir}/y.raw`, new Uint8Array(y.buffer));
      const ref = await runPython<{ p: number[]; balanced: number; recall: number[]; pred: number[] }>(
        SKLEARN,
        [`${dir}/x.raw`, `${dir}/y.raw`, `${n}`, `${d}`, `${l2}`, balanced ? "balanced" : "none"],
      );
      let worst = 0;
      for (let k = 0; k < p.length; k++) worst = Math.max(worst, Math.abs(p[k] - ref.p[k]));
      assertLess(worst, 5e-6, `largest probability difference ${worst}`);
      assertEquals(Array.from(pred), ref.pred);
      const report = probeReport(pred, y, classes);
      assertAlmostEquals(report.balancedAccuracy, ref.balanced, 1e-12);
      for (let c = 0; c < classes; c++) assertAlmostEquals(report.recall[c]!, ref.recall[c], 1e-12);
    } finally {
      await cleanup();
    }
  });
}

Deno.test("fitLinearProbe() reaches a zero gradient (central finite differences of its objective)", () => {
  // The objective written out independently: mean −log softmax + l2/2 ‖W‖² on standardised rows.
  const n = 200, d = 2, classes = 3, l2 = 0.05;
  const { x, y } = clusters(new Rng(8), n, d, classes);
  const probe = fitLinearProbe(x, y, d, classes, { l2, tolerance: 1e-8 });
  const objective = (w: Float64Array, b: Float64Array) => {
    let loss = 0;
    for (let r = 0; r < n; r++) {
      const z = Array.from({ length: classes }, (_, c) => {
        let s = b[c];
        for (let k = 0; k < d; k++) s += w[c * d + k] * (x[r * d + k] - probe.mean[k]) / probe.scale[k];
        return s;
      });
      loss += Math.log(z.reduce((a, v) => a + Math.exp(v), 0)) - z[y[r]];
    }
    return loss / n + 0.5 * l2 * w.reduce((a, v) => a + v * v, 0);
  };
  assertAlmostEquals(objective(probe.weights, probe.bias), probe.loss, 1e-12);
  const h = 1e-5;
  for (const [params, name] of [[probe.weights, "w"], [probe.bias, "b"]] as const) {
    for (let k = 0; k < params.length; k++) {
      const keep = params[k];
      params[k] = keep + h;
      const up = objective(probe.weights, probe.bias);
      params[k] = keep - h;
      const down = objective(probe.weights, probe.bias);
      params[k] = keep;
      assertLess(Math.abs((up - down) / (2 * h)), 1e-6, `∂/∂${name}[${k}]`);
    }
  }
  // The scale it standardised with is the population standard deviation.
  const mean0 = Array.from({ length: n }, (_, r) => x[r * d]).reduce((a, v) => a + v, 0) / n;
  const var0 = Array.from({ length: n }, (_, r) => (x[r * d] - mean0) ** 2).reduce((a, v) => a + v, 0) / n;
  assertAlmostEquals(probe.scale[0], Math.sqrt(var0), 1e-9);
});

Deno.test("probeReport() counts recall per class and skips absent classes in the balanced accuracy", () => {
  const r = probeReport([0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 0, 1], 4);
  assertEquals(r.support, [2, 4, 0, 0]);
  assertEquals(r.recall, [0.5, 0.5, null, null]);
  assertAlmostEquals(r.accuracy, 3 / 6, 1e-15);
  assertAlmostEquals(r.balancedAccuracy, 0.5, 1e-15);
});

Deno.test("fitLinearProbe() and probeReport() reject bad input with the row it is in", () => {
  const x = new Float32Array([0, 1, 2, 3, 4, 5]);
  assertThrows(() => fitLinearProbe(x, [0, 1, 2], 2, 2), RangeError, "label of row 2 is 2");
  assertThrows(() => fitLinearProbe(x, [0, 1], 2, 2), RangeError, "3 feature rows but 2 labels");
  assertThrows(() => fitLinearProbe(new Float32Array(0), [], 2, 2), RangeError, "no rows");
  assertThrows(() => fitLinearProbe(x, [0, 1, 1], 2, 1), RangeError, "classes is 1");
  assertThrows(
    () => fitLinearProbe(new Float32Array([0, 1, NaN, 3, 4, 5]), [0, 1, 1], 2, 2),
    RangeError,
    "feature 0 of row 1 is NaN",
  );
  const probe = fitLinearProbe(x, [0, 1, 1], 2, 2);
  assertThrows(() => probeProbabilities(probe, new Float32Array(3)), RangeError, "not rows of 2");
  assertThrows(() => probeReport([0], [0, 1], 2), RangeError, "1 predictions for 2 labels");
  assertThrows(() => probeReport([0], [5], 2), RangeError, "label of row 0 is 5");
});
