import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { generatePhantom, Rng } from "../../src/data/mod.ts";
import { collectFeatures, type FeatureExtractor } from "../../src/density/mod.ts";
import { createVolume, type Vec3 } from "../../src/io/mod.ts";
import { DenseModel } from "../../src/models/mod.ts";
import { preprocessCt } from "../../src/preprocess/mod.ts";
import { createTrainingScan } from "../../src/ssl/mod.ts";
import { useCpu } from "./_fixtures.ts";

const OPTIONS = { windowVox: [16, 16, 16] as Vec3, windowsPerScan: 3, samplesPerWindow: 64 };

Deno.test("collectFeatures() with precomputed condition volumes reads c at each sampled body voxel", async () => {
  await useCpu();
  const ext: FeatureExtractor = {
    descriptor: new DenseModel("descriptor", "tiny", new Rng(1)),
    condition: new DenseModel("condition", "tiny", new Rng(2)),
    conditionKind: "masked",
    positionalDim: 0,
  };
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
