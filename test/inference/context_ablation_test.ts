import { assert, assertEquals, assertGreater, assertLess, assertRejects, assertStringIncludes } from "@std/assert";
import { generatePhantom, Rng, TISSUES } from "../../src/data/mod.ts";
import {
  ABLATION_CELLS,
  ablationCellName,
  ablationRows,
  contextAblationMaps,
  featureMaps,
  fitContextAblation,
} from "../../src/inference/mod.ts";
import { createVolume, sameGrid, type Vec3 } from "../../src/io/mod.ts";
import { auroc } from "../../src/metrics/mod.ts";
import { initBackend, tf } from "../../src/nn/mod.ts";
import { bodyMask, resampleMaskToGrid } from "../../src/preprocess/mod.ts";
import { untrainedRunModels } from "./_fixtures.ts";

const GRID = { shape: [96, 96, 64] as Vec3, spacingMm: [3.5, 3.5, 5] as Vec3 };

Deno.test("ablationRows() gives every y and c at the same body voxels of the run's grid", async () => {
  await initBackend("cpu");
  const models = untrainedRunModels();
  try {
    const { ct, tissue } = generatePhantom(5, GRID);
    const rows = await ablationRows({ ct, tissue }, models, { overlap: 0.25 });
    const { pre } = rows;
    const body = pre.bodyMask.data;
    assertEquals(rows.count, body.reduce((s, v) => s + v, 0));
    assertEquals([rows.dy, rows.dc, rows.labels], [32, 32, TISSUES.length]);
    assertEquals(rows.hu.length, 2 * rows.count);
    assertEquals(rows.descriptor.length, 32 * rows.count);
    assertEquals(rows.condition.length, 32 * rows.count);
    assertEquals(rows.tissue.length, TISSUES.length * rows.count);
    const labels = resampleMaskToGrid(tissue, pre.image).data;
    const maps = await featureMaps(pre, models, { overlap: 0.25, batchSize: 1 });
    let own = 0;
    for (let r = 0; r < rows.count; r++) {
      const v = rows.voxels[r];
      assert(body[v] === 1 && (r === 0 || v > rows.voxels[r - 1]), "rows are the body voxels in index order");
      // y = HU: the run's resampled HU, clipped to [−1000, 300], in units of 100 HU.
      assertEquals(rows.hu[2 * r], Math.fround(Math.min(300, Math.max(-1000, pre.hu.data[v])) / 100));
      // The networks' rows are the blended feature maps at the voxel (descriptor first, then condition).
      assertEquals(rows.descriptor[32 * r + 7], maps.channels[7].data[v]);
      assertEquals(rows.condition[32 * r + 3], maps.channels[32 + 3].data[v]);
      let sum = 0, best = 0;
      for (let l = 0; l < rows.labels; l++) {
        const x = rows.tissue[r * rows.labels + l];
        sum += x;
        if (x > rows.tissue[r * rows.labels + best]) best = l;
      }
      assertLess(Math.abs(sum - 1), 1e-5, "smoothed one-hot rows sum to 1");
      assertEquals(rows.label[r], labels[v], "the hard label is the resampled tissue label");
      if (best === labels[v]) own++;
    }
    assertGreater(own / rows.count, 0.5, "a voxel's own tissue dominates its context in most voxels");

    // A seeded draw of `take` voxels picks rows of the full set, the same ones for the same seed.
    const take = 500;
    const a = await ablationRows({ ct, tissue }, models, { overlap: 0.25, take, rng: new Rng(9) });
    const b = await ablationRows({ ct, tissue }, models, { overlap: 0.25, take, rng: new Rng(9) });
    assertEquals(a.count, take);
    assertEquals(a.voxels, b.voxels);
    assertEquals(new Set(a.voxels).size, take, "drawn without replacement");
    const rowOf = new Map(Array.from(rows.voxels, (v, r) => [v, r]));
    for (let r = 0; r < take; r++) {
      const full = rowOf.get(a.voxels[r]);
      assert(full !== undefined, "a drawn voxel is a body voxel");
      assertEquals(a.hu.subarray(2 * r, 2 * r + 2), rows.hu.subarray(2 * full, 2 * full + 2));
      assertEquals(a.descriptor.subarray(32 * r, 32 * r + 32), rows.descriptor.subarray(32 * full, 32 * full + 32));
      assertEquals(
        a.tissue.subarray(r * a.labels, (r + 1) * a.labels),
        rows.tissue.subarray(full * a.labels, (full + 1) * a.labels),
      );
    }
  } finally {
    models.dispose();
  }
});

Deno.test("ablationRows() needs a masked condition model and labels on the CT's grid", async () => {
  await initBackend("cpu");
  const { ct, tissue } = generatePhantom(6, { shape: [24, 24, 16], spacingMm: [14, 14, 20] });
  const none = untrainedRunModels("none");
  const masked = untrainedRunModels();
  try {
    let e = await assertRejects(() => ablationRows({ ct, tissue }, none), TypeError);
    assertStringIncludes(e.message, 'the run\'s condition is "none": expected "masked"');
    const shifted = createVolume(
      tissue.data,
      tissue.shape,
      tissue.affine.map((v, i) => (i === 3 ? v + 5 : v)),
      "label",
    );
    e = await assertRejects(() => ablationRows({ ct, tissue: shifted }, masked), TypeError);
    assertStringIncludes(e.message, "are on different grids");
    e = await assertRejects(() => fitContextAblation([], masked), RangeError);
    assertStringIncludes(e.message, "no training scans");
    e = await assertRejects(() => fitContextAblation([{ ct, tissue }], masked, { cells: [] }), RangeError);
    assertStringIncludes(e.message, "no cells");
    e = await assertRejects(() => fitContextAblation([{ ct, tissue: shifted }], masked), TypeError);
    assertStringIncludes(e.message, "Cannot fit the context ablation on training scan 0:");
  } finally {
    none.dispose();
    masked.dispose();
  }
});

Deno.test("fitContextAblation() fits every cell; its hu_tissue cell (the oracle) ranks lesions above raw HU", async () => {
  await initBackend("cpu");
  const models = untrainedRunModels("masked", GRID.spacingMm); // the context oracle's test grid
  const train = [100, 101, 102].map((s) => generatePhantom(s, GRID));
  const test = [200, 201].map((s) => generatePhantom(s, { ...GRID, lesionRate: 1 }));
  try {
    // Every cell, briefly: the widths of each density follow its y and c.
    // The fit's batchSize (rows per step) must not become the window batch of the feature maps (default 1).
    const progress: number[] = [];
    const all = await fitContextAblation(train.slice(0, 1), models, {
      steps: 5,
      rowsPerScan: 3000,
      batchSize: 256,
      onWindows: (done) => progress.push(done),
    });
    assert(progress.length > 1 && progress.every((d, i) => d === i + 1), `one window per call: ${progress}`);
    try {
      assertEquals([...all.densities.keys()], ABLATION_CELLS.map(ablationCellName));
      assertEquals([all.scans, all.rows], [1, 3000]);
      const widths = [...all.densities.values()].map((d) => [d.dy, d.dc]);
      assertEquals(widths, [[2, TISSUES.length], [2, 32], [2, 0], [32, TISSUES.length], [32, 32], [32, 0]]);
      const before = tf.memory().numTensors;
      const maps = await contextAblationMaps(all, test[0], models);
      assertEquals(tf.memory().numTensors, before, "scoring leaks no tensors");
      assertEquals([...maps.keys()], ABLATION_CELLS.map(ablationCellName));
      for (const [name, map] of maps) {
        assert(sameGrid(map, test[0].ct) && map.unit === "score", `${name}: on the CT's own grid`);
        assert(map.data.every(Number.isFinite), `${name}: finite`);
      }
    } finally {
      for (const d of all.densities.values()) d.dispose();
    }

    // The oracle cell alone, long enough to be judged (as the context oracle's own test: 1000 steps).
    const oracle = await fitContextAblation(train, models, {
      cells: [{ y: "hu", c: "tissue" }],
      steps: 1000,
      rowsPerScan: 20000,
    });
    try {
      assertEquals([...oracle.densities.keys()], ["hu_tissue"]);
      const scores: number[] = [], hu: number[] = [], labels: number[] = [];
      for (const p of test) {
        const map = (await contextAblationMaps(oracle, p, models)).get("hu_tissue")!;
        const body = bodyMask(p.ct).data;
        for (let q = 0; q < body.length; q++) {
          if (!body[q]) continue;
          scores.push(map.data[q]);
          hu.push(p.ct.data[q]);
          labels.push(p.lesions.data[q]);
        }
      }
      const y = Uint8Array.from(labels);
      const aOracle = auroc(Float64Array.from(scores), y), aHu = auroc(Float64Array.from(hu), y);
      assertGreater(aOracle, aHu + 0.1, `hu_tissue AUROC ${aOracle} vs raw HU ${aHu}`);
      assertGreater(aOracle, 0.8, `hu_tissue AUROC ${aOracle}`);
    } finally {
      for (const d of oracle.densities.values()) d.dispose();
    }
  } finally {
    models.dispose();
  }
});
