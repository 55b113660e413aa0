import { assert, assertEquals, assertGreater, assertRejects } from "@std/assert";
import { deriveSeed, generatePhantom, Rng, TISSUE, TISSUES } from "../../src/data/mod.ts";
import { ablationRows } from "../../src/inference/mod.ts";
import type { Vec3 } from "../../src/io/mod.ts";
import { fitLinearProbe, probePredict, probeReport } from "../../src/metrics/mod.ts";
import { tissueProbe } from "../../src/metrics/tissue_probe.ts";
import { initBackend } from "../../src/nn/mod.ts";
import { untrainedRunModels } from "../inference/_fixtures.ts";

const GRID = { shape: [96, 96, 64] as Vec3, spacingMm: [3.5, 3.5, 5] as Vec3 };

Deno.test("tissueProbe() fits a linear probe per feature set on training scans and scores held-out ones", async () => {
  await initBackend("cpu");
  const models = untrainedRunModels();
  try {
    const train = [generatePhantom(11, GRID), generatePhantom(12, GRID)];
    const test = [generatePhantom(13, GRID)];
    const rowsPerScan = 1500, seed = 4;
    const seen: string[] = [];
    const result = await tissueProbe(train, test, models, {
      rowsPerScan,
      seed,
      onScan: (set, scans, rows) => seen.push(`${set} ${scans} ${rows}`),
    });
    assertEquals(seen, ["train 1 1500", "train 2 3000", "test 1 1500"]);
    assertEquals([result.trainScans, result.testScans, result.trainRows, result.testRows], [2, 1, 3000, 1500]);
    assertEquals([...result.probes.keys()], ["hu", "descriptor", "condition", "hu+condition"]);
    assertEquals(result.tissues, TISSUES);

    // The hu probe is the composition of the ablation's rows (same seeded draws), fitLinearProbe and probeReport.
    const rowsOf = (pairs: typeof train, set: string) =>
      Promise.all(
        pairs.map((p, s) => ablationRows(p, models, { take: rowsPerScan, rng: new Rng(deriveSeed(seed, set, s)) })),
      );
    const [tr, te] = [await rowsOf(train, "train"), await rowsOf(test, "test")];
    const cat = (parts: Float32Array[]) => Float32Array.from(parts.flatMap((p) => Array.from(p)));
    const lab = (parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));
    const probe = fitLinearProbe(cat(tr.map((r) => r.hu)), lab(tr.map((r) => r.label)), 2, TISSUES.length);
    const expected = probeReport(probePredict(probe, cat(te.map((r) => r.hu))), lab(te.map((r) => r.label)), 27);
    const hu = result.probes.get("hu")!;
    assertEquals(hu.test, expected);
    assertEquals(hu.dim, 2);
    assertEquals(result.probes.get("condition")!.dim, 32);

    // hu+condition has the columns of hu then condition, row by row.
    const both = fitLinearProbe(
      Float32Array.from(tr.flatMap((t) =>
        Array.from({ length: t.count }, (_, r) => [
          ...t.hu.subarray(2 * r, 2 * r + 2),
          ...t.condition.subarray(32 * r, 32 * r + 32),
        ]).flat()
      )),
      lab(tr.map((r) => r.label)),
      34,
      TISSUES.length,
    );
    assertEquals(result.probes.get("hu+condition")!.iterations, both.iterations);
    assertEquals(result.probes.get("hu+condition")!.dim, 34);
    assertEquals(hu.test.support.reduce((a, b) => a + b, 0), 1500);

    // Physics, not plumbing: lung (≈ −850 HU) is unmistakable by intensity alone, and the probe beats chance.
    assert(hu.test.support[TISSUE.lung] > 50, "the test rows hold lung voxels");
    assertGreater(hu.test.recall[TISSUE.lung]!, 0.9);
    const present = hu.test.recall.filter((r) => r !== null).length;
    assertGreater(hu.test.balancedAccuracy, 2 / present);
  } finally {
    models.dispose();
  }
});

Deno.test("tissueProbe() names the empty set and rejects bad options", async () => {
  await initBackend("cpu");
  const models = untrainedRunModels();
  try {
    const train = [generatePhantom(11, { shape: [48, 48, 32], spacingMm: [7, 7, 10] })];
    await assertRejects(() => tissueProbe(train, [], models, { rowsPerScan: 200 }), RangeError, "no test scans");
    await assertRejects(() => tissueProbe(train, train, models, { rowsPerScan: 0 }), RangeError, "rowsPerScan is 0");
    await assertRejects(() => tissueProbe(train, train, models, { features: [] }), RangeError, "no feature sets");
    await assertRejects(
      () => tissueProbe(train, train, models, { features: ["hu+oops"] }),
      RangeError,
      `"oops" is not a feature set`,
    );
  } finally {
    models.dispose();
  }
});
