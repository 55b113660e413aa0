import { assertEquals, assertThrows } from "@std/assert";
import { scoreHistogram } from "../../src/metrics/mod.ts";
import { Rng } from "../../src/data/mod.ts";
import { runPython } from "../_support/python.ts";

Deno.test("scoreHistogram() equals numpy.histogram on shared bins", async () => {
  const rng = new Rng(61);
  const lesion = Float32Array.from({ length: 500 }, () => rng.normal(2, 1));
  const background = Float32Array.from({ length: 3000 }, () => rng.normal(0, 1));
  const h = scoreHistogram([lesion.subarray(0, 200), lesion.subarray(200)], [background], { bins: 37 });
  const ref = await runPython<{ edges: number[]; lesion: number[]; background: number[] }>(
    `
import sys, json, numpy as np
l = np.array(json.loads(sys.argv[1]), dtype=np.float32); b = np.array(json.loads(sys.argv[2]), dtype=np.float32)
edges = np.histogram_bin_edges(np.concatenate([l, b]).astype(np.float64), bins=37)
print(json.dumps({"edges": edges.tolist(), "lesion": np.histogram(l, edges)[0].tolist(),
  "background": np.histogram(b, edges)[0].tolist()}))
`,
    [JSON.stringify(Array.from(lesion)), JSON.stringify(Array.from(background))],
  );
  assertEquals(Array.from(h.lesion), ref.lesion);
  assertEquals(Array.from(h.background), ref.background);
  for (let e = 0; e < ref.edges.length; e++) {
    if (Math.abs(h.edges[e] - ref.edges[e]) > 1e-9) throw new Error(`edge ${e}`);
  }
});

Deno.test("scoreHistogram() clamps to a given range and handles a single value", () => {
  const h = scoreHistogram([Float32Array.of(5)], [Float32Array.of(-5, 0.5)], { bins: 2, range: [0, 1] });
  assertEquals([Array.from(h.lesion), Array.from(h.background)], [[0, 1], [1, 1]]);
  const one = scoreHistogram([Float32Array.of(3)], [Float32Array.of(3)], { bins: 4 });
  assertEquals([one.edges[0], one.edges[4]], [2.5, 3.5]);
  assertThrows(() => scoreHistogram([], [], { bins: 0 }), RangeError, "0 bins");
  assertThrows(() => scoreHistogram([], [], { range: [1, 1] }), RangeError, "range [1, 1]");
});
