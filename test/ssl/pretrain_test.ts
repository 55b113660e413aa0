import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertGreater,
  assertLess,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { generatePhantom, Rng } from "../../src/data/mod.ts";
import { writeVolume } from "../../src/io/mod.ts";
import { readJsonl } from "../../src/train/mod.ts";
import {
  listScans,
  pretrain,
  pretrainConfig,
  type PretrainStep,
  sampleBatch,
  ScanCache,
  TrainingDivergedError,
} from "../../src/ssl/mod.ts";
import { tempDir } from "../_support/python.ts";

/** Writes `n` small phantoms (coarse grid, fast to preprocess) and returns the folder. */
async function phantomFolder(dir: string, n: number): Promise<string> {
  for (let i = 0; i < n; i++) {
    const ph = generatePhantom(100 + i, { shape: [80, 64, 48], spacingMm: [4.5, 4.5, 6] });
    await writeVolume(`${dir}/phantoms/p${i}.nii.gz`, ph.ct);
    await writeVolume(`${dir}/phantoms/p${i}_lesions.nii.gz`, ph.lesions);
  }
  return `${dir}/phantoms`;
}

/** Small, fast settings shared by the tests: 16³ crops at 3–5 mm from scans preprocessed to 3 mm. */
function smallConfig(data: string, extra: Record<string, unknown> = {}) {
  return pretrainConfig({
    model: "descriptor",
    size: "tiny",
    data,
    steps: 6,
    seed: 11,
    batchSize: 2,
    cropVox: [16, 16, 16],
    maxPairs: 128,
    projectorDim: 64,
    minSpacingMm: [3, 3, 3],
    maxSpacingMm: [5, 5, 6],
    preprocessSpacingMm: [3, 3, 3],
    checkpointEvery: 3,
    backend: "cpu",
    ...extra,
  });
}

Deno.test("pretrain() resumed from a checkpoint gives the same later losses as an uninterrupted run", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const data = await phantomFolder(dir, 2);
    const full = await pretrain(smallConfig(data), { out: `${dir}/full` });
    full.dispose();
    const part = await pretrain(smallConfig(data), { out: `${dir}/part`, stopAfterStep: 3 });
    assertEquals(part.step, 3);
    part.dispose();
    const resumed = await pretrain(smallConfig(data), { out: `${dir}/part`, resume: true });
    assertEquals(resumed.step, 6);
    assertEquals(resumed.history.map((r) => r.step), [4, 5, 6]);
    resumed.dispose();
    const a = await readJsonl<PretrainStep>(`${dir}/full/log.jsonl`);
    const b = await readJsonl<PretrainStep>(`${dir}/part/log.jsonl`);
    assertEquals(b.map((r) => r.step), [1, 2, 3, 4, 5, 6]);
    for (let i = 0; i < 6; i++) {
      assertAlmostEquals(b[i].loss, a[i].loss, 1e-5 * Math.abs(a[i].loss), `step ${i + 1}`);
      assertEquals(b[i].lr, a[i].lr);
    }
    const saved = JSON.parse(await Deno.readTextFile(`${dir}/full/config.json`));
    assertEquals(saved.config.seed, 11);
    assertEquals(saved.backend, "cpu");
  } finally {
    await cleanup();
  }
});

Deno.test("pretrain() stops on a NaN loss with a clear error and keeps the last good checkpoint", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const data = await phantomFolder(dir, 1);
    const e = await assertRejects(
      () => pretrain(smallConfig(data), { out: `${dir}/run`, injectNanAtStep: 5 }),
      TrainingDivergedError,
      "loss is NaN",
    );
    assertEquals(e.step, 5);
    assertEquals(e.lastCheckpointStep, 3);
    assert(e.message.includes("last good checkpoint is step 3"));
    const resumed = await pretrain(smallConfig(data, { steps: 4 }), { out: `${dir}/run`, resume: true });
    assertEquals(resumed.step, 6); // the saved config's 6 steps (a resume may only raise the count)
    resumed.dispose();
    await assertRejects(() => pretrain(smallConfig(data), { out: `${dir}/run` }), RangeError, "already holds");
  } finally {
    await cleanup();
  }
});

Deno.test("pretrain() on phantoms lowers the VICReg loss on a fixed batch and the descriptors do not collapse", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const data = await phantomFolder(dir, 3);
    // A held-out batch drawn once with its own seed: the loss on it is free of batch-to-batch noise.
    const cache = new ScanCache({ spacingMm: [3, 3, 3] });
    const scans = await Promise.all((await listScans(data)).map((p) => cache.get(p)));
    const monitorBatch = sampleBatch(scans, new Rng(999), {
      batchSize: 4,
      cropVox: [16, 16, 16],
      maxPairs: 128,
      minSpacingMm: [3, 3, 3],
      maxSpacingMm: [5, 5, 6],
    });
    const run = await pretrain(smallConfig(data, { steps: 60, checkpointEvery: 10, peakLr: 3e-3 }), { monitorBatch });
    const h = run.history, m = run.monitor;
    run.dispose();
    assertEquals(m.map((r) => r.step), [0, 10, 20, 30, 40, 50, 60]);
    assertLess(
      m.at(-1)!.total,
      0.95 * m[0].total,
      `monitor loss ${m[0].total.toFixed(3)} → ${m.at(-1)!.total.toFixed(3)}`,
    );
    // The variance hinge is what collapse would raise: it must fall.
    assertLess(m.at(-1)!.parts[1], m[0].parts[1]);
    // Collapse drives every descriptor dimension's spread across voxels to 0 (float32 noise, ~1e-7 here). Ask the
    // mean spread not to shrink below half its initial value and no dimension to fall under 1e-3 (the initial
    // spreads are ~1e-2, set by the head's 0.02-std init after a LayerNorm).
    assertGreater(h.at(-1)!.embeddingStdMean, 0.5 * h[0].embeddingStdMean);
    assertGreater(h.at(-1)!.embeddingStdMin, 1e-3);
  } finally {
    await cleanup();
  }
});

Deno.test("pretrain() of the condition model masks its crops with maskRatio (0 = the unmasked batch)", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const data = await phantomFolder(dir, 2);
    const firstLoss = async (maskRatio: number, out: string) => {
      const run = await pretrain(smallConfig(data, { model: "condition", steps: 1, maskRatio }), { out });
      run.dispose();
      return run.history[0].loss;
    };
    const unmasked = await firstLoss(0, `${dir}/r0`);
    // Same seed, same crops: only the masks differ, so the first loss moves with the ratio and repeats without it.
    assertEquals(await firstLoss(0, `${dir}/r0b`), unmasked);
    assert(await firstLoss(0.6, `${dir}/r6`) !== unmasked);
    assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/r6/config.json`)).config.maskRatio, 0.6);
  } finally {
    await cleanup();
  }
});

Deno.test("pretrainConfig() defaults to no CLAHE and full-strength augmentations, and rejects bad values", () => {
  const c = pretrainConfig({ model: "descriptor", size: "tiny", data: "x" });
  assertEquals(c.clahe, null);
  assertEquals(c.augmentStrength, 1);
  assertEquals(pretrainConfig({ model: "descriptor", size: "tiny", data: "x", clahe: {} }).clahe, {});
  for (const augmentStrength of [-0.5, 1.5, NaN]) {
    assertThrows(
      () => pretrainConfig({ model: "descriptor", size: "tiny", data: "x", augmentStrength }),
      RangeError,
      "augmentStrength",
    );
  }
  for (const clipLimit of [0, 2, NaN]) {
    assertThrows(
      () => pretrainConfig({ model: "descriptor", size: "tiny", data: "x", clahe: { clipLimit } }),
      RangeError,
      "clahe.clipLimit",
    );
  }
  assertEquals(c.maskRatio, 0.6);
  for (const maskRatio of [-0.1, 1.5, NaN]) {
    assertThrows(
      () => pretrainConfig({ model: "condition", size: "tiny", data: "x", maskRatio }),
      RangeError,
      "maskRatio",
    );
  }
  const wide = pretrainConfig({ model: "condition", size: "tiny", data: "x", maxSpacingMm: [8, 8, 12] });
  assertEquals([wide.minSpacingMm, wide.maxSpacingMm], [[1, 1, 1.5], [8, 8, 12]]);
  for (
    const [minSpacingMm, maxSpacingMm, hint] of [
      [[2, 2, 3], [1, 1, 1.5], "expected each axis ≥ minSpacingMm"],
      [[0, 1, 1.5], [2, 2, 3], "minSpacingMm"],
      [[1, 1, 1.5], [2, NaN, 3], "maxSpacingMm"],
    ] as [[number, number, number], [number, number, number], string][]
  ) {
    assertThrows(
      () => pretrainConfig({ model: "descriptor", size: "tiny", data: "x", minSpacingMm, maxSpacingMm }),
      RangeError,
      hint,
    );
  }
});
