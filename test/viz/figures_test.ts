import { assert, assertAlmostEquals, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import {
  caseBarsFigure,
  parseTrainingLog,
  proFigure,
  rocFigure,
  scoreHistogramFigure,
  trainingCurvesFigure,
} from "../../src/viz/mod.ts";
import { auproOfTable, buildThresholdTable, proCurve, rocCurve, scoreHistogram } from "../../src/metrics/mod.ts";
import { Rng } from "../../src/data/mod.ts";

/** A figure survives JSON unchanged: plain data, no typed arrays, no undefined, no NaN. */
function assertPlainJson(value: unknown): void {
  const text = JSON.stringify(value);
  assert(!text.includes("NaN") && !text.includes("Infinity"));
  assertEquals(JSON.parse(text), value);
}

function table() {
  const rng = new Rng(81);
  const pos = Float32Array.from({ length: 300 }, () => rng.normal(1, 1));
  const neg = Float32Array.from({ length: 5000 }, () => rng.normal(0, 1));
  const regionOf = Int32Array.from(pos, (_, p) => p % 5);
  return buildThresholdTable({ scores: pos, regionOf, regionSizes: [60, 60, 60, 60, 60] }, [neg]);
}

Deno.test("rocFigure() draws each curve with its AUROC and the chance diagonal", () => {
  const roc = rocCurve(table(), { maxPoints: 500 });
  const fig = rocFigure([{ name: "pooled", fpr: roc.fpr, tpr: roc.tpr, auroc: roc.auroc }]);
  assertPlainJson(fig);
  assertEquals(fig.data.length, 2);
  assertStringIncludes(String(fig.data[0].name), `AUROC ${roc.auroc.toFixed(4)}`);
  assertEquals((fig.data[0].x as number[]).length, roc.fpr.length);
  assertEquals(fig.data[1].x, [0, 1]);
});

Deno.test("proFigure() marks the FPR limit and shades exactly the integrated area", () => {
  const t = table();
  const pro = proCurve(t);
  const fig = proFigure([{ name: "pooled", fpr: pro.fpr, pro: pro.pro }], { fprLimit: 0.25 });
  assertPlainJson(fig);
  const [area, curve, limit] = fig.data;
  assertEquals(limit.x, [0.25, 0.25]);
  assertEquals(area.fill, "tozeroy");
  const x = area.x as number[], y = area.y as number[];
  assertEquals(x.at(-1), 0.25);
  assert(x.every((v) => v <= 0.25));
  // The shaded polygon's area / limit is the AUPRO (up to the rounding of the drawn points).
  let a = 0;
  for (let p = 1; p < x.length; p++) a += (x[p] - x[p - 1]) * (y[p] + y[p - 1]) / 2;
  assertAlmostEquals(a / 0.25, auproOfTable(t, 0.25), 1e-4);
  assertEquals((curve.x as number[]).length, pro.fpr.length);
});

Deno.test("scoreHistogramFigure() normalises each class to a density and marks the threshold", () => {
  const h = scoreHistogram([Float32Array.of(2, 2, 3)], [Float32Array.of(0, 1, 1, 2)], { bins: 3, range: [0, 3] });
  const fig = scoreHistogramFigure(h, { threshold: 2 });
  assertPlainJson(fig);
  const [background, lesion] = fig.data;
  // bin width 1: densities are fractions; empty bins are null (log axis).
  assertEquals(background.y, [0.25, 0.5, 0.25]);
  assertEquals(lesion.y, [null, null, 1]);
  assertEquals((fig.layout.shapes as { x0: number }[])[0].x0, 2);
  assertEquals((fig.layout.yaxis as { type: string }).type, "log");
});

Deno.test("caseBarsFigure() draws one trace per metric, gaps for null, and reference lines", () => {
  const fig = caseBarsFigure(
    [{ id: "a", values: { auroc: 0.91234567, dice: null } }, { id: "b", values: { auroc: 0.5, dice: 0.2 } }],
    { metrics: { auroc: "AUROC", dice: "Dice" }, reference: { auroc: 0.8, dice: null } },
  );
  assertPlainJson(fig);
  assertEquals(fig.data.map((t) => t.name), ["AUROC", "Dice"]);
  assertEquals(fig.data[0].y, [0.91235, 0.5]);
  assertEquals(fig.data[1].y, [null, 0.2]);
  assertEquals((fig.layout.shapes as unknown[]).length, 1);
});

Deno.test("parseTrainingLog() reads JSON lines, drops a torn last line and names the file on bad lines", () => {
  const text = '{"step":1,"loss":3}\n\n{"step":2,"loss":2,"lr":0.001,"seconds":1.5}\n{"step":3,"lo';
  assertEquals(parseTrainingLog(text, "run/log.jsonl"), [{ step: 1, loss: 3 }, {
    step: 2,
    loss: 2,
    lr: 0.001,
    seconds: 1.5,
  }]);
  assertThrows(
    () => parseTrainingLog('{"step":1}\nnot json\n{"step":2}\n', "run/log.jsonl"),
    SyntaxError,
    'Cannot parse training log "run/log.jsonl": line 2',
  );
  assertThrows(() => parseTrainingLog("[1, 2]\n{}\n", "x.jsonl"), SyntaxError, "line 1 is an array");
});

Deno.test("trainingCurvesFigure() puts each field in its own panel with one line per run", () => {
  const records = (scale: number) =>
    Array.from({ length: 5 }, (_, s) => ({ step: s + 1, loss: scale / (s + 1), lr: 1e-3 * (s + 1), seconds: 2 }));
  const fig = trainingCurvesFigure([{ name: "a", records: records(1) }, { name: "b", records: records(2) }]);
  assertPlainJson(fig);
  assertEquals(fig.data.map((t) => [t.name, t.xaxis, t.yaxis]), [
    ["a", "x", "y"],
    ["b", "x", "y"],
    ["a", "x2", "y2"],
    ["b", "x2", "y2"],
  ]);
  assertEquals((fig.layout.yaxis2 as { type: string }).type, "log"); // lr
  assertEquals((fig.layout.yaxis as { title: { text: string } }).title.text, "loss");
  assertEquals(fig.data[2].y, [0.001, 0.002, 0.003, 0.004, 0.005]);
  assertEquals(fig.layout.grid, { rows: 1, columns: 2, pattern: "independent" });
});
