import { assertEquals } from "@std/assert";
import { auproKey, casesCsv, evaluationJson, SegmentationEvaluator } from "../../src/metrics/mod.ts";
import { runPython } from "../_support/python.ts";

/** Two 4×4×2 cases: one with a lesion whose scores separate it perfectly, one lesion-free. */
function evaluation() {
  const ev = new SegmentationEvaluator({ connectivity: 26, fprLimit: 0.25 });
  const n = 32;
  const labels = new Uint8Array(n);
  labels[5] = labels[6] = 1;
  const scores = Float32Array.from(labels, (l, v) => (l ? 10 + v : v / 100));
  ev.add({ id: 'a,"b"', scores, labels, shape: [4, 4, 2] });
  ev.add({ id: "free", scores: new Float32Array(n).fill(0.5), labels: new Uint8Array(n), shape: [4, 4, 2] });
  return ev.compute({ samples: 50, seed: 1 }).metrics;
}

Deno.test("auproKey names the AUPRO entry after its limit", () => {
  assertEquals([auproKey(0.3), auproKey(0.25), auproKey(1)], ["aupro_0_3", "aupro_0_25", "aupro_1"]);
});

Deno.test("evaluationJson carries the pooled metrics, the region mode and each lesion's peak", () => {
  const m = evaluation();
  const sources = { pred: "p", gt: "g", roi: null, images: "ct", region: "body" };
  const peaks = new Map([['a,"b"', [{ voxel: [1, 1, 0], mm: [1.5, 1.5, 0] }]]]);
  const json = JSON.parse(JSON.stringify(evaluationJson(m, sources, peaks, 1.23456)));
  assertEquals(json.region_mode, "body");
  assertEquals(evaluationJson(m, { ...sources, images: null }).region_mode, "volume");
  assertEquals(evaluationJson(m, { ...sources, roi: "r" }).region_mode, "roi");
  assertEquals(json.auroc.pooled, 1); // lesion scores ≥ 10, background < 1
  assertEquals(json.aupro_0_25.pooled, m.aupro);
  assertEquals(json.eval_seconds, 1.235);
  assertEquals(json.cases.map((c: { case: string }) => c.case), ['a,"b"', "free"]);
  assertEquals(json.cases[0].lesion_list, [{
    voxels: 2,
    max_score: 16,
    peak_voxel: [1, 1, 0],
    peak_mm: [1.5, 1.5, 0],
  }]);
  assertEquals(json.cases[1].auroc, null); // lesion-free: undefined, written as null
});

Deno.test("casesCsv parses back with Python's csv module to the case metrics", async () => {
  const m = evaluation();
  const text = casesCsv(m);
  const rows = await runPython<string[][]>(
    "import csv, io, json, sys; print(json.dumps(list(csv.reader(io.StringIO(sys.argv[1], newline='')))))",
    [text],
  );
  assertEquals(rows[0], [
    "case",
    "auroc",
    "aupro_0_25",
    "dice_at_global_threshold",
    "dice_best",
    "threshold_best",
    "lesions",
    "lesions_detected",
    "lesion_voxels",
    "region_voxels",
    "notes",
  ]);
  assertEquals(rows.length, 3);
  const [a, free] = [rows[1], rows[2]];
  assertEquals(a.slice(0, 2), ['a,"b"', "1"]); // quoted id survives the round trip
  assertEquals([a[3], a[4]], ["1", "1"]); // perfect separation: Dice 1 at the global and the case's own best threshold
  assertEquals(a.slice(6, 10), ["1", "1", "2", "32"]);
  assertEquals(free.slice(1, 3), ["", ""]); // undefined metrics are empty fields
  assertEquals(free[10], m.cases[1].notes.join("; "));
});
