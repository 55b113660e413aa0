import { assert, assertEquals, assertLessOrEqual, assertRejects, assertStringIncludes } from "@std/assert";
import { generatePhantom, Rng } from "../../src/data/mod.ts";
import {
  checkerboardMask,
  collectFeatures,
  concatPool,
  type FeatureExtractor,
  windowFeatures,
} from "../../src/density/mod.ts";
import { createVolume, type Vec3 } from "../../src/io/mod.ts";
import { DenseModel } from "../../src/models/mod.ts";
import { tf } from "../../src/nn/mod.ts";
import { preprocessCt } from "../../src/preprocess/mod.ts";
import { createTrainingScan } from "../../src/ssl/mod.ts";
import { useCpu } from "./_fixtures.ts";

const OPTIONS = { windowVox: [16, 16, 16] as Vec3, windowsPerScan: 3, samplesPerWindow: 64 };

/** Untrained tiny descriptor and condition networks with the `masked` condition (caller disposes both). */
function maskedExtractor(conditionMasking: "checkerboard" | null = null): FeatureExtractor {
  return {
    descriptor: new DenseModel("descriptor", "tiny", new Rng(1)),
    condition: new DenseModel("condition", "tiny", new Rng(2)),
    conditionKind: "masked",
    positionalDim: 0,
    conditionMasking,
  };
}

Deno.test("concatPool() concatenates the rows of per-scan chunks in order", () => {
  const pool = concatPool(
    [
      { y: Float32Array.of(1, 2), c: Float32Array.of(10), count: 1 },
      { y: Float32Array.of(3, 4, 5, 6), c: Float32Array.of(20, 30), count: 2 },
    ],
    2,
    1,
  );
  assertEquals(pool.count, 3);
  assertEquals([...pool.y], [1, 2, 3, 4, 5, 6]);
  assertEquals([...pool.c!], [10, 20, 30]);
  const bare = concatPool([{ y: Float32Array.of(1), c: null, count: 1 }], 1, 0);
  assertEquals(bare.c, null);
});

Deno.test("collectFeatures() with precomputed condition volumes reads c at each sampled body voxel", async () => {
  await useCpu();
  const ext = maskedExtractor();
  try {
    const { ct } = generatePhantom(3, { shape: [64, 64, 40], spacingMm: [5, 5, 7] });
    const scan = createTrainingScan(preprocessCt(ct, { spacingMm: [6, 6, 8] }), "p3");
    const n = scan.image.data.length;
    // Channel d holds (d + 1) × the voxel's linear index: a row's c says which voxel it came from.
    const volumes = Array.from(
      { length: 32 },
      (_, d) =>
        createVolume(
          Float32Array.from({ length: n }, (_, s) => (d + 1) * s),
          scan.image.shape,
          scan.image.affine,
          "other",
        ),
    );
    const pre = await collectFeatures([scan], ext, new Rng(5), { ...OPTIONS, conditionVolumes: [volumes] });
    const plain = await collectFeatures([scan], ext, new Rng(5), OPTIONS);
    assertEquals([pre.count, pre.dy, pre.dc], [192, 32, 32]);
    assertEquals(pre.y, plain.y, "the descriptor rows and the voxel draws are unchanged");
    assert(pre.c!.some((v, i) => v !== plain.c![i]), "c comes from the volumes, not the network");
    for (let r = 0; r < pre.count; r++) {
      const s = pre.c![32 * r];
      assert(Number.isInteger(s) && scan.bodyMask.data[s] === 1, `row ${r}: voxel ${s} is a body voxel`);
      assertEquals(pre.c![32 * r + 5], 6 * s);
    }
    let e = await assertRejects(() => collectFeatures([scan], ext, new Rng(5), { ...OPTIONS, conditionVolumes: [] }));
    assertStringIncludes(e.message, "0 sets of condition volumes for 1 scans");
    e = await assertRejects(() =>
      collectFeatures([scan], ext, new Rng(5), { ...OPTIONS, conditionVolumes: [volumes.slice(1)] })
    );
    assertStringIncludes(e.message, "the condition volumes of scan 0 are 31 of");
    const none = { ...ext, condition: null, conditionKind: "none" as const };
    e = await assertRejects(() =>
      collectFeatures([scan], none, new Rng(5), { ...OPTIONS, conditionVolumes: [volumes] })
    );
    assertStringIncludes(e.message, 'for the "none" condition: expected "masked"');
  } finally {
    ext.descriptor.dispose();
    ext.condition!.dispose();
  }
});

Deno.test("checkerboardMask() hides alternate quarter-window blocks", () => {
  const m = checkerboardMask([32, 16, 8]); // blocks 8×4×2
  assertEquals(m.length, 32 * 16 * 8);
  const at = (i: number, j: number, k: number) => m[i + 32 * (j + 16 * k)];
  assertEquals([at(0, 0, 0), at(7, 3, 1), at(8, 0, 0), at(8, 4, 0), at(8, 4, 2), at(31, 15, 7)], [1, 1, 0, 1, 0, 0]);
  assertEquals(m.reduce((a, v) => a + v, 0), m.length / 2);
  assertEquals(checkerboardMask([3, 3, 3]).length, 27, "windows smaller than 4 voxels: blocks of one voxel");
});

Deno.test("windowFeatures() with checkerboard masking gives each voxel g(x) with its own block hidden", async () => {
  await useCpu();
  const ext = maskedExtractor("checkerboard");
  try {
    const w: Vec3 = [16, 16, 16];
    const rng = new Rng(4);
    const windows = Float32Array.from({ length: 2 * 16 ** 3 }, () => rng.uniform(0, 1));
    const masked = await windowFeatures(ext, windows, 2, w);
    const plain = await windowFeatures({ ...ext, conditionMasking: null }, windows, 2, w);
    assertEquals(masked.y, plain.y, "the descriptor is untouched");
    const mask = checkerboardMask(w);
    const [even, odd] = tf.tidy(() => {
      const x = tf.tensor5d(windows, [2, 16, 16, 16, 1]);
      const m = tf.tile(tf.tensor5d(mask, [1, 16, 16, 16, 1]), [2, 1, 1, 1, 1]);
      return [ext.condition!.apply(x, m).dataSync(), ext.condition!.apply(x, tf.sub(1, m) as tf.Tensor5D).dataSync()];
    });
    let maxDiff = 0, changed = 0;
    for (let v = 0; v < 2 * 16 ** 3; v++) {
      const want = mask[v % 16 ** 3] === 1 ? even : odd;
      for (let d = 0; d < 32; d += 5) {
        maxDiff = Math.max(maxDiff, Math.abs(masked.c![32 * v + d] - want[32 * v + d]));
        if (Math.abs(masked.c![32 * v + d] - plain.c![32 * v + d]) > 1e-4) changed++;
      }
    }
    assertLessOrEqual(maxDiff, 1e-5);
    assert(changed > 0, "hiding blocks changes the condition");
  } finally {
    ext.descriptor.dispose();
    ext.condition!.dispose();
  }
});
