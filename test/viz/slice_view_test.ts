import { assert, assertEquals, assertThrows } from "@std/assert";
import { extractSlices, sliceFigure } from "../../src/viz/mod.ts";
import { createVolume, reorient, type Vec3, type Volume } from "../../src/io/mod.ts";

const SHAPE: Vec3 = [12, 10, 8];
const AFFINE = [2, 0, 0, -11, 0, 2, 0, -9, 0, 0, 3, -10, 0, 0, 0, 1];
const at = (i: number, j: number, k: number) => i + 12 * (j + 10 * k);

/** Scores: 1 in a lesion at (9, 6, 4) and its i-neighbour, 5 at a lone non-lesion voxel; CT brighter with i. */
function volumes() {
  const scores = new Float32Array(960), labels = new Uint8Array(960), ct = new Int16Array(960);
  labels[at(9, 6, 4)] = labels[at(8, 6, 4)] = 1;
  scores[at(9, 6, 4)] = 3;
  scores[at(8, 6, 4)] = 2;
  scores[at(1, 1, 1)] = 5;
  for (let p = 0; p < 960; p++) ct[p] = -1000 + 100 * (p % 12);
  return {
    scores: createVolume(scores, SHAPE, AFFINE, "score"),
    labels: createVolume(labels, SHAPE, AFFINE, "label"),
    ct: createVolume(ct, SHAPE, AFFINE, "HU") as Volume,
  };
}

Deno.test("extractSlices() centres on the highest-scoring lesion voxel and spaces slices by spanMm", () => {
  const stack = extractSlices(volumes());
  assertEquals(stack.centerRas, [9, 6, 4]);
  // 11 slices over 60 mm at 3 mm: every 2nd slice, clipped to the 8 slices there are.
  assertEquals(stack.indices, [0, 2, 4, 6]);
  assertEquals(stack.initial, 2);
  // Without labels: the hottest voxel.
  const { scores } = volumes();
  assertEquals(extractSlices({ scores }).centerRas, [1, 1, 1]);
  assertEquals(extractSlices({ scores }, { center: [3, 4, 5], count: 1 }).indices, [5]);
});

Deno.test("extractSlices() lays slices out radiologically: patient right on the left, anterior and superior on top", () => {
  const axial = extractSlices(volumes(), { axis: "axial" });
  assertEquals([axial.width, axial.height, axial.pixelMm], [12, 10, [2, 2]]);
  const q = axial.initial;
  // Column c shows i = 11 − c, row r shows j = 9 − r.
  assertEquals(axial.scores[q][(9 - 6) * 12 + (11 - 9)], 3);
  assertEquals(axial.lesion[q][(9 - 6) * 12 + (11 - 8)], 1);
  const grey = axial.ct[q]!;
  assert(grey[0] > grey[11], "higher i (patient right) is brighter and drawn on the left");
  assertEquals(grey[0], Math.round(255 * (1100 / 1300))); // i = 11: 100 HU in the [−1000, 300] window
  const coronal = extractSlices(volumes(), { axis: "coronal" });
  assertEquals([coronal.width, coronal.height, coronal.pixelMm, coronal.indices.includes(6)], [12, 8, [2, 3], true]);
  assertEquals(coronal.scores[coronal.initial][(7 - 4) * 12 + (11 - 9)], 3); // row r shows k = 7 − r
  const sagittal = extractSlices(volumes(), { axis: "sagittal" });
  assertEquals([sagittal.width, sagittal.height], [10, 8]);
  assertEquals(sagittal.scores[sagittal.initial][(7 - 4) * 10 + (9 - 6)], 3); // column c shows j = 9 − c
});

Deno.test("extractSlices() max-pools scores and lesions when downsampling", () => {
  const stack = extractSlices(volumes(), { maxSizePx: 8 }); // factor 2
  assertEquals([stack.width, stack.height, stack.pixelMm], [6, 5, [4, 4]]);
  const q = stack.initial;
  // i = 9, 8 → columns (11 − 9) / 2 = 1 and (11 − 8) / 2 = 1; j = 6 → row (9 − 6) / 2 = 1.
  assertEquals(stack.scores[q][1 * 6 + 1], 3);
  assertEquals(stack.lesion[q].reduce((s, v) => s + v, 0), 1);
});

Deno.test("extractSlices() reorients other layouts to RAS and maps the given centre", () => {
  const ras = volumes();
  const lps = { scores: reorient(ras.scores, "LPS"), labels: reorient(ras.labels, "LPS"), ct: reorient(ras.ct, "LPS") };
  const a = extractSlices(ras, { center: [9, 6, 4] });
  const b = extractSlices(lps, { center: [12 - 1 - 9, 10 - 1 - 6, 4] }); // the same voxel in LPS indices
  assertEquals(b.centerRas, [9, 6, 4]);
  assertEquals(b.scores, a.scores);
  assertEquals(b.ct, a.ct);
  assertEquals(extractSlices(lps).centerRas, [9, 6, 4]);
});

Deno.test("extractSlices() throws RangeError on mismatched grids and bad options", () => {
  const v = volumes();
  const other = createVolume(new Uint8Array(960), SHAPE, AFFINE.map((x, e) => (e === 3 ? x + 1 : x)), "label");
  assertThrows(() => extractSlices({ scores: v.scores, labels: other }), RangeError, "labels grid");
  assertThrows(() => extractSlices(v, { axis: "oblique" as "axial" }), RangeError, 'along "oblique"');
  assertThrows(() => extractSlices(v, { center: [12, 0, 0] }), RangeError, "outside the volume");
  assertThrows(() => extractSlices(v, { count: 0 }), RangeError);
  assertThrows(() => extractSlices(v, { windowHu: [300, -1000] }), RangeError, "window");
});

Deno.test("sliceFigure() has one frame per slice, a slider, transparent scores below the threshold and outlines", () => {
  const stack = extractSlices(volumes());
  const fig = sliceFigure(stack, { threshold: 2.5 });
  assertEquals(JSON.parse(JSON.stringify(fig)), fig);
  assertEquals(fig.frames!.map((f) => f.name), ["k0", "k2", "k4", "k6"]);
  assertEquals(fig.data, fig.frames![2].data);
  const [image, heatmap, outline] = fig.data;
  assertEquals(image.type, "image");
  assert(String(image.source).startsWith("data:image/png;base64,iVBORw0KGgo"));
  const z = heatmap.z as (number | null)[][];
  assertEquals(z.flat().filter((v) => v !== null), [3]); // only the voxel ≥ 2.5
  assertEquals([heatmap.zmin, heatmap.zmax, heatmap.dx, heatmap.dy], [2.5, 3, 2, 2]);
  // Two lesion pixels side by side: 6 outer edges, each "x0, x1, null".
  assertEquals((outline.x as unknown[]).length, 6 * 3);
  const slider = (fig.layout.sliders as { active: number; steps: { label: string }[] }[])[0];
  assertEquals([slider.active, slider.steps.map((s) => s.label)], [2, ["0", "2", "4", "6"]]);
  // Without a CT: no image trace.
  const { scores, labels } = volumes();
  assertEquals(sliceFigure(extractSlices({ scores, labels })).data.map((t) => t.type), ["heatmap", "scatter"]);
});
