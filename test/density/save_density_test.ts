import { assertEquals, assertRejects } from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import {
  createDensityModel,
  densityFitConfig,
  type DensityModel,
  type DensityModelRequest,
  fitDensity,
  loadDensity,
  saveDensity,
} from "../../src/density/mod.ts";
import { tf } from "../../src/nn/mod.ts";
import { CheckpointError, saveCheckpoint } from "../../src/train/mod.ts";
import { tempDir } from "../_support/python.ts";
import { randomKnown, sampleKnown, useCpu } from "./_fixtures.ts";

const REQUESTS: DensityModelRequest[] = [
  { kind: "flow", dy: 4, dc: 3, blocks: 3, hiddenDim: 16, seed: 2 },
  { kind: "gaussian", dy: 4, dc: 3, hiddenDim: 16, hiddenLayers: 1 },
  { kind: "gaussian-uncond", dy: 4, shrinkage: 0.1 },
];

function logProbOf(model: DensityModel, y: Float32Array, c: Float32Array, count: number): Float32Array {
  return tf.tidy(() =>
    model.logProb(tf.tensor2d(y, [count, model.dy]), model.dc > 0 ? tf.tensor2d(c, [count, model.dc]) : null)
      .dataSync() as Float32Array
  );
}

Deno.test("loadDensity() of saveDensity() and of a run's checkpoint gives identical logProb for every kind", async () => {
  await useCpu();
  const { dir, cleanup } = await tempDir();
  const g = randomKnown(4, 3, 1);
  const held = sampleKnown(g, 100, new Rng(2));
  const config = densityFitConfig({ steps: 3, batchSize: 128, checkpointEvery: 10 });
  try {
    for (const request of REQUESTS) {
      const before = tf.memory().numTensors;
      const model = createDensityModel(request);
      await fitDensity(model, (_s, rng, n) => sampleKnown(g, n, rng), config, { out: `${dir}/${request.kind}` });
      const want = logProbOf(model, held.y, held.c!, held.count);
      await saveDensity(`${dir}/${request.kind}.bin`, model, { config, step: 3 });
      for (const path of [`${dir}/${request.kind}.bin`, `${dir}/${request.kind}/checkpoint.bin`]) {
        const { model: loaded, meta } = await loadDensity(path);
        assertEquals(meta.model, model.toJSON());
        assertEquals(meta.config, config);
        assertEquals(meta.step, 3);
        assertEquals(logProbOf(loaded, held.y, held.c!, held.count), want, `${request.kind}: ${path}`);
        loaded.dispose();
      }
      model.dispose();
      assertEquals(tf.memory().numTensors, before, request.kind);
    }
  } finally {
    await cleanup();
  }
});

Deno.test("loadDensity() names the file when it is not a density model", async () => {
  await useCpu();
  const { dir, cleanup } = await tempDir();
  try {
    await saveCheckpoint(`${dir}/other.bin`, { meta: { step: 1 }, tensors: new Map() });
    await assertRejects(() => loadDensity(`${dir}/other.bin`), CheckpointError, `"${dir}/other.bin": format is`);
    const flow = createDensityModel({ kind: "flow", dy: 4, dc: 3, blocks: 2, hiddenDim: 8 });
    await saveDensity(`${dir}/flow.bin`, flow);
    const bytes = await Deno.readFile(`${dir}/flow.bin`);
    await Deno.writeFile(`${dir}/cut.bin`, bytes.subarray(0, bytes.length - 100));
    await assertRejects(() => loadDensity(`${dir}/cut.bin`), CheckpointError, "truncated");
    await assertRejects(() => loadDensity(`${dir}/missing.bin`), CheckpointError, "missing.bin");
    flow.dispose();
  } finally {
    await cleanup();
  }
});
