import { assert, assertEquals, assertLessOrEqual } from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import {
  collectFeatures,
  conditionDim,
  createDensityModel,
  densityFitConfig,
  descriptorDim,
  type FeatureExtractor,
  fitDensity,
  samplePool,
} from "../../src/density/mod.ts";
import { anomalyMap, finishAnomalyMap, scoreRows, slidingWindow, windowInputs } from "../../src/inference/mod.ts";
import { readVolume, sameGrid } from "../../src/io/mod.ts";
import { DenseModel } from "../../src/models/mod.ts";
import { initBackend } from "../../src/nn/mod.ts";
import { preprocessCt, restoreToOriginal } from "../../src/preprocess/mod.ts";
import { createTrainingScan } from "../../src/ssl/mod.ts";
import { CT_DIR } from "../_support/python.ts";

const SPACING = [6, 6, 6] as const;

async function fittedModels(conditionKind: "masked" | "none" | "positional") {
  await initBackend("cpu");
  const ct = await readVolume(`${CT_DIR}/cip_ct-64_chest.nii.gz`, { unit: "HU" });
  const pre = preprocessCt(ct, { spacingMm: SPACING });
  const extractor: FeatureExtractor = {
    descriptor: new DenseModel("descriptor", "tiny", new Rng(1)),
    condition: conditionKind === "masked" ? new DenseModel("condition", "tiny", new Rng(2)) : null,
    conditionKind,
    positionalDim: 12,
  };
  const pool = await collectFeatures([createTrainingScan(pre, "cip")], extractor, new Rng(3), {
    windowVox: [16, 16, 16],
    windowsPerScan: 4,
    samplesPerWindow: 128,
  });
  assertEquals(pool.count, 512);
  assertEquals(pool.dy, descriptorDim(extractor));
  assertEquals(pool.dc, conditionDim(extractor));
  const kind = conditionKind === "none" ? "gaussian-uncond" : "flow";
  const density = createDensityModel(
    kind === "flow" ? { kind, dy: pool.dy, dc: pool.dc, blocks: 2, hiddenDim: 16 } : { kind, dy: pool.dy },
  );
  await fitDensity(density, (_s, r, bs) => samplePool(pool, r, bs), densityFitConfig({ steps: 3, batchSize: 128 }));
  return {
    ct,
    pre,
    models: { extractor, density, windowVox: [16, 16, 16] as const, preprocess: { spacingMm: SPACING } },
  };
}

for (const conditionKind of ["none", "masked", "positional"] as const) {
  Deno.test(`anomalyMap() (${conditionKind}) returns a finite map on the input's own grid, body-masked`, async () => {
    const { ct, pre, models } = await fittedModels(conditionKind);
    try {
      // masked: also with the condition network on a coarser grid (its maps brought back onto the image's grid).
      const variants = conditionKind === "masked" ? [null, [12, 12, 12] as const] : [null];
      const plain: Record<string, Float32Array> = {};
      for (
        const [scoreMode, conditionSpacingMm] of variants.flatMap((v) =>
          (["window", "features"] as const).map((m) => [m, v] as const)
        )
      ) {
        const map = await anomalyMap(ct, { ...models, conditionSpacingMm }, { scoreMode, overlap: 0.5, batchSize: 2 });
        if (conditionSpacingMm === null) plain[scoreMode] = map.data;
        else {assert(
            map.data.some((v, i) => Math.abs(v - plain[scoreMode][i]) > 1e-3),
            "a coarser condition changes the map",
          );}
        assert(sameGrid(map, ct, 1e-6), `${scoreMode}: the map must overlay the LPS input exactly`);
        assertEquals(map.unit, "score");
        assert(map.data.every(Number.isFinite));
        // Outside the body the map holds the lowest body score: restoring the body mask (as a fraction) finds
        // voxels entirely outside, and there the value is the global minimum.
        const bodyFraction = restoreToOriginal(
          { ...pre.bodyMask, data: Float32Array.from(pre.bodyMask.data), unit: "other" },
          pre.original,
        );
        let min = Infinity;
        for (const v of map.data) min = Math.min(min, v);
        let outside = 0;
        for (let v = 0; v < map.data.length; v++) {
          if (bodyFraction.data[v] === 0) {
            assertLessOrEqual(Math.abs(map.data[v] - min), 1e-4 * Math.max(1, Math.abs(min)));
            outside++;
          }
        }
        assert(outside > 0);
      }
      // Window scores are computed for body voxels only; the straightforward way, scoring every voxel of every
      // window, must give the same map (outside the body both hold the lowest body score).
      const { inputs, features } = windowInputs(pre.image, models.extractor, models.windowVox);
      const dy = descriptorDim(models.extractor);
      const every = await slidingWindow(inputs, async (windows, n) => {
        const f = await features(windows, n);
        return await scoreRows(models.density, f.y, f.c, f.y.length / dy, 65536);
      }, { windowVox: models.windowVox, overlap: 0.5, batchSize: 2 });
      const reference = finishAnomalyMap(every, pre);
      for (let v = 0; v < reference.data.length; v++) {
        assertLessOrEqual(
          Math.abs(plain.window[v] - reference.data[v]),
          1e-4 * Math.max(1, Math.abs(reference.data[v])),
        );
      }
      if (conditionKind === "masked") {
        // Test-time checkerboard masking of the condition network: another finite map on the input's grid.
        const extractor = { ...models.extractor, conditionMasking: "checkerboard" as const };
        const map = await anomalyMap(ct, { ...models, extractor }, { overlap: 0.5, batchSize: 2 });
        assert(sameGrid(map, ct, 1e-6) && map.data.every(Number.isFinite));
        assert(map.data.some((v, i) => Math.abs(v - plain.window[i]) > 1e-3), "masking changes the map");
      }
    } finally {
      models.extractor.descriptor.dispose();
      models.extractor.condition?.dispose();
      models.density.dispose();
    }
  });
}
