import { assert, assertAlmostEquals, assertEquals, assertGreater, assertLess, assertRejects } from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import {
  createDensityModel,
  type DensityBatch,
  densityFitConfig,
  type DensityModel,
  type DensitySampler,
  type DensityStep,
  fitDensity,
  GaussianDensity,
} from "../../src/density/mod.ts";
import { tf } from "../../src/nn/mod.ts";
import { TrainingDivergedError } from "../../src/ssl/mod.ts";
import { readJsonl } from "../../src/train/mod.ts";
import { tempDir } from "../_support/python.ts";
import { type KnownGaussian, knownLogProb, mean, randomKnown, sampleKnown, useCpu } from "./_fixtures.ts";

/** Rows of the known Gaussian, drawn only from the step's generator (so resume sees the same data). */
function knownSampler(g: KnownGaussian): DensitySampler {
  return (_step, rng, batchSize) => sampleKnown(g, batchSize, rng);
}

/** KL(p‖q) per dimension estimated on held-out rows: mean of log p − log q, nats. */
function klPerDim(model: DensityModel, g: KnownGaussian, held: DensityBatch): number {
  const truth = knownLogProb(g, held);
  const logProb = tf.tidy(() =>
    model.logProb(
      tf.tensor2d(held.y, [held.count, g.dy]),
      model.dc > 0 ? tf.tensor2d(held.c!, [held.count, g.dc]) : null,
    ).dataSync()
  );
  return mean(Array.from(truth, (t, k) => t - logProb[k])) / g.dy;
}

// Tolerances of the recovery tests: the held-out KL estimate per dimension has a sampling error of ~1e-3 (4000
// paired rows, per-row spread of log p − log q ≲ 0.2 nats); the training noise (σ = 0.01 against conditional
// stds ≥ 0.3) biases q by < 1e-3 nats/dim. What is left is optimisation error; these short runs reach 0.001–0.005,
// so 0.05 nats/dim fails only a model that has not learnt the conditional mean or covariance (the marginal fits
// are 0.2–1.3 nats/dim worse), and a KL below −0.01 would mean q is not normalised.

Deno.test("fitDensity() recovers a conditional Gaussian's log-density with a flow", async () => {
  await useCpu();
  const g = randomKnown(4, 3, 1);
  const flow = createDensityModel({ kind: "flow", dy: 4, dc: 3, blocks: 4, hiddenDim: 64 });
  const held = sampleKnown(g, 4000, new Rng(999));
  const config = densityFitConfig({ steps: 150, batchSize: 512, peakLr: 3e-3, checkpointEvery: 50 });
  const run = await fitDensity(flow, knownSampler(g), config, { monitorBatch: held });
  assertEquals(run.monitor.map((m) => m.step), [0, 50, 100, 150]);
  assertLess(run.monitor.at(-1)!.nll, run.monitor[0].nll - 1);
  const kl = klPerDim(flow, g, held);
  assertLess(kl, 0.05, `KL ${kl} nats/dim`);
  assertGreater(kl, -0.01);
  flow.dispose();
});

Deno.test("fitDensity() recovers a heteroscedastic conditional Gaussian with the gaussian MLP", async () => {
  await useCpu();
  const g = randomKnown(4, 3, 2, 0.5);
  g.l.fill(0);
  for (let i = 0; i < 4; i++) g.l[i * 4 + i] = 0.3 + 0.2 * i; // diagonal: what the model can represent
  const model = new GaussianDensity(4, 3, { hiddenDim: 64 });
  const held = sampleKnown(g, 4000, new Rng(998));
  const config = densityFitConfig({ steps: 300, batchSize: 512, peakLr: 3e-3 });
  await fitDensity(model, knownSampler(g), config);
  const kl = klPerDim(model, g, held);
  assertLess(kl, 0.05, `KL ${kl} nats/dim`);
  assertGreater(kl, -0.01);
  model.dispose();
});

Deno.test("fitDensity() recovers an unconditional Gaussian with gaussian-uncond to sampling error", async () => {
  await useCpu();
  const g = randomKnown(4, 0, 3);
  const model = createDensityModel({ kind: "gaussian-uncond", dy: 4 });
  const held = sampleKnown(g, 4000, new Rng(997));
  const config = densityFitConfig({ steps: 20, batchSize: 4096, noiseStd: 0 });
  const run = await fitDensity(model, knownSampler(g), config);
  assertEquals(run.history.map((r) => r.rows), Array(20).fill(4096));
  assertEquals(run.history[0].loss, null);
  // 81,920 rows: the fitted Gaussian's expected KL is (d(d+3)/4)/n ≈ 9e-5 nats in all; the held-out estimate's
  // sampling error is ~1e-4 per dimension.
  const kl = klPerDim(model, g, held);
  assertLess(Math.abs(kl), 2e-3, `KL ${kl} nats/dim`);
  model.dispose();
});

/** A small flow and config for the loop-mechanics tests. */
function smallFlow(): DensityModel {
  return createDensityModel({ kind: "flow", dy: 4, dc: 3, blocks: 2, hiddenDim: 16 });
}
const SMALL = densityFitConfig({ steps: 6, batchSize: 64, checkpointEvery: 3, seed: 5 });

Deno.test("fitDensity() resumed from a checkpoint gives the same later losses and weights as an uninterrupted run", async () => {
  await useCpu();
  const { dir, cleanup } = await tempDir();
  const sampler = knownSampler(randomKnown(4, 3, 4));
  try {
    const full = smallFlow();
    await fitDensity(full, sampler, SMALL, { out: `${dir}/full` });
    const part = smallFlow();
    const stopped = await fitDensity(part, sampler, SMALL, { out: `${dir}/part`, stopAfterStep: 3 });
    assertEquals(stopped.step, 3);
    part.dispose();
    const resumedModel = smallFlow();
    const resumed = await fitDensity(resumedModel, sampler, { ...SMALL, steps: 2 }, {
      out: `${dir}/part`,
      resume: true,
    });
    assertEquals(resumed.step, 6); // the saved config's 6 steps (a resume may only raise the count)
    assertEquals(resumed.history.map((r) => r.step), [4, 5, 6]);
    const a = await readJsonl<DensityStep>(`${dir}/full/log.jsonl`);
    const b = await readJsonl<DensityStep>(`${dir}/part/log.jsonl`);
    assertEquals(b.map((r) => r.step), [1, 2, 3, 4, 5, 6]);
    for (let i = 0; i < 6; i++) {
      assertAlmostEquals(b[i].loss!, a[i].loss!, 1e-6 * Math.abs(a[i].loss!), `step ${i + 1}`);
      assertEquals(b[i].lr, a[i].lr);
    }
    const wa = await full.getWeights(), wb = await resumedModel.getWeights();
    for (const [name, t] of wa) {
      const other = wb.get(name)!.values;
      for (let i = 0; i < t.values.length; i++) assertAlmostEquals(other[i], t.values[i], 1e-6, name);
    }
    const saved = JSON.parse(await Deno.readTextFile(`${dir}/full/config.json`));
    assertEquals(saved.config.seed, 5);
    assertEquals(saved.config.model.kind, "flow");
    assertEquals(saved.backend, "cpu");
    full.dispose();
    resumedModel.dispose();
    const other = createDensityModel({ kind: "gaussian", dy: 4, dc: 3 });
    await assertRejects(
      () => fitDensity(other, sampler, SMALL, { out: `${dir}/part`, resume: true }),
      RangeError,
      "its model is",
    );
    other.dispose();
  } finally {
    await cleanup();
  }
});

Deno.test("fitDensity() resumes a gaussian-uncond stream exactly", async () => {
  await useCpu();
  const { dir, cleanup } = await tempDir();
  const sampler = knownSampler(randomKnown(3, 0, 5));
  const config = densityFitConfig({ steps: 4, batchSize: 100, checkpointEvery: 1 });
  try {
    const full = createDensityModel({ kind: "gaussian-uncond", dy: 3 });
    await fitDensity(full, sampler, config);
    const part = createDensityModel({ kind: "gaussian-uncond", dy: 3 });
    await fitDensity(part, sampler, config, { out: dir, stopAfterStep: 2 });
    part.dispose();
    const resumed = createDensityModel({ kind: "gaussian-uncond", dy: 3 });
    await fitDensity(resumed, sampler, config, { out: dir, resume: true });
    assertEquals(await resumed.getWeights(), await full.getWeights());
    full.dispose();
    resumed.dispose();
  } finally {
    await cleanup();
  }
});

Deno.test("fitDensity() stops on a NaN loss with a clear error and keeps the last good checkpoint", async () => {
  await useCpu();
  const { dir, cleanup } = await tempDir();
  const sampler = knownSampler(randomKnown(4, 3, 6));
  try {
    const flow = smallFlow();
    const e = await assertRejects(
      () => fitDensity(flow, sampler, SMALL, { out: `${dir}/run`, injectNanAtStep: 5 }),
      TrainingDivergedError,
      "loss is NaN",
    );
    assertEquals(e.step, 5);
    assertEquals(e.lastCheckpointStep, 3);
    assert(e.message.includes("last good checkpoint is step 3"));
    flow.dispose();
    const resumedModel = smallFlow();
    const resumed = await fitDensity(resumedModel, sampler, SMALL, { out: `${dir}/run`, resume: true });
    assertEquals(resumed.step, 6);
    await assertRejects(
      () => fitDensity(resumedModel, sampler, SMALL, { out: `${dir}/run` }),
      RangeError,
      "already holds",
    );
    resumedModel.dispose();
  } finally {
    await cleanup();
  }
});

Deno.test("fitDensity() keeps tf.memory().numTensors constant across steps and frees its optimizer", async () => {
  await useCpu();
  for (const kind of ["flow", "gaussian"] as const) {
    const model = createDensityModel({ kind, dy: 4, dc: 3, hiddenDim: 16 });
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await fitDensity(model, knownSampler(randomKnown(4, 3, 7)), { ...SMALL, steps: 5 }, {
      onStep: () => counts.push(tf.memory().numTensors),
      monitorBatch: sampleKnown(randomKnown(4, 3, 7), 50, new Rng(1)),
    });
    assertEquals(counts, Array(5).fill(counts[0]), `${kind}: tensor counts per step ${counts}`);
    assertEquals(tf.memory().numTensors, before, kind);
    model.dispose();
  }
});

Deno.test("fitDensity() names the step and row of a bad batch", async () => {
  await useCpu();
  const flow = smallFlow();
  const g = randomKnown(4, 3, 8);
  const nanAtStep2: DensitySampler = (step, rng, n) => {
    const batch = sampleKnown(g, n, rng);
    if (step === 1) batch.y[4 * 7 + 2] = NaN;
    return batch;
  };
  await assertRejects(
    () => fitDensity(flow, nanAtStep2, SMALL),
    RangeError,
    "batch of step 2: y row 7 column 2 is NaN",
  );
  const short: DensitySampler = (_step, rng, n) => ({ ...sampleKnown(g, n, rng), c: null });
  await assertRejects(() => fitDensity(flow, short, SMALL), RangeError, "c has no values: expected 64×3");
  flow.dispose();
});
