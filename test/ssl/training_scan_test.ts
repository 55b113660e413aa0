import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { join } from "node:path";
import { Rng } from "../../src/data/mod.ts";
import { axcodesOf, createVolume, VolumeReadError, writeVolume } from "../../src/io/mod.ts";
import { createTrainingScan, loadTrainingScan, sampleBatch, ScanCache } from "../../src/ssl/mod.ts";
import { CT_DIR, tempDir } from "../_support/python.ts";
import { rasAffine } from "./_fixtures.ts";

const SMALL_CT = `${CT_DIR}/totalseg_example_ct_sm_3mm.nii.gz`; // 122×101×30 at 3 mm, RAS

Deno.test("loadTrainingScan() reads and preprocesses a real CT at METHOD's spacing, ready for sampling", async () => {
  const scan = await loadTrainingScan(SMALL_CT);
  assertEquals(scan.id, SMALL_CT);
  assertEquals(axcodesOf(scan.image.affine), "RAS");
  [1, 1, 1.5].forEach((s, d) => assertAlmostEquals(scan.image.spacingMm[d], s, 1e-9));
  assertEquals([scan.image.unit, scan.bodyMask.unit], ["unit", "label"]);
  assertEquals([scan.bodyMask.shape, scan.bodyMask.affine], [scan.image.shape, scan.image.affine]);
  assert(scan.image.data.every((v) => v >= 0 && v <= 1));
  const body = scan.bodyMask.data.reduce((s, v) => s + v, 0);
  assertEquals(scan.bodyVoxelCount, body);
  assert(body > 0.3 * scan.bodyMask.data.length, `${body} body voxels`);
  assertEquals(Object.keys(scan).sort(), ["bodyMask", "bodyVoxelCount", "id", "image"]); // no HU copy kept
  const batch = sampleBatch([scan], new Rng(1), { batchSize: 2, cropVox: [32, 32, 32], maxPairs: 128 });
  assertEquals(batch.pairCount, 256);
});

Deno.test("loadTrainingScan() takes the preprocessing spacing as an option", async () => {
  const scan = await loadTrainingScan(SMALL_CT, { spacingMm: [3, 3, 3] });
  [3, 3, 3].forEach((s, d) => assertAlmostEquals(scan.image.spacingMm[d], s, 1e-9));
});

Deno.test("loadTrainingScan() names the file when it cannot be read or has no body", async () => {
  await assertRejects(() => loadTrainingScan("/nonexistent/ct.nii.gz"), VolumeReadError, "/nonexistent/ct.nii.gz");
  const { dir, cleanup } = await tempDir();
  try {
    const path = join(dir, "air.nii.gz");
    const air = createVolume(new Int16Array(8 * 8 * 4).fill(-1000), [8, 8, 4], rasAffine([2, 2, 3], [0, 0, 0]), "HU");
    await writeVolume(path, air);
    const error = await assertRejects(() => loadTrainingScan(path), RangeError);
    assertStringIncludes(error.message, `Cannot load training scan "${path}": `);
    assert(error.cause instanceof Error);
  } finally {
    await cleanup();
  }
});

Deno.test("createTrainingScan() rejects an empty body mask and mismatched grids", () => {
  const affine = rasAffine([1, 1, 1], [0, 0, 0]);
  const image = createVolume(new Float32Array(64), [4, 4, 4], affine, "unit");
  const empty = createVolume(new Uint8Array(64), [4, 4, 4], affine, "label");
  assertThrows(
    () => createTrainingScan({ image, bodyMask: empty }, "x"),
    RangeError,
    '"x" for training: its body mask is empty',
  );
  const other = createVolume(new Uint8Array(64).fill(1), [4, 4, 4], rasAffine([1, 1, 2], [0, 0, 0]), "label");
  assertThrows(() => createTrainingScan({ image, bodyMask: other }, "y"), RangeError, "different grids");
  const scan = createTrainingScan(
    { image, bodyMask: createVolume(new Uint8Array(64).fill(1), [4, 4, 4], affine) },
    "z",
  );
  assertEquals(scan.bodyVoxelCount, 64);
});

Deno.test("ScanCache loads each path once, drops the least recently used, and forgets failures", async () => {
  const cache = new ScanCache({ maxScans: 1, spacingMm: [3, 3, 3] });
  const first = cache.get(SMALL_CT);
  assert(cache.get(SMALL_CT) === first, "concurrent requests share one load");
  const scan = await first;
  assert((await cache.get(SMALL_CT)) === scan);
  [3, 3, 3].forEach((s, d) => assertAlmostEquals(scan.image.spacingMm[d], s, 1e-9));
  const missing = "/nonexistent/ct.nii.gz";
  await assertRejects(() => cache.get(missing), VolumeReadError);
  assertEquals([cache.has(missing), cache.has(SMALL_CT), cache.size], [false, false, 0]); // evicted, then forgotten
  // Recency: with room for two, touching A before loading C drops B.
  const lru = new ScanCache({ maxScans: 2, spacingMm: [3, 3, 3] });
  const [a, b, c] = ["", "./", "././"].map((dot) => `${CT_DIR}/${dot}totalseg_example_ct_sm_3mm.nii.gz`);
  await lru.get(a);
  await lru.get(b);
  await lru.get(a);
  await lru.get(c);
  assertEquals([lru.has(a), lru.has(b), lru.has(c), lru.size], [true, false, true, 2]);
  lru.clear();
  assertEquals(lru.size, 0);
  assertThrows(() => new ScanCache({ maxScans: 0 }), RangeError, "maxScans 0");
});
