import { assertAlmostEquals, assertEquals, assertLess, assertThrows } from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import { GaussianDensity } from "../../src/density/mod.ts";
import { tf } from "../../src/nn/mod.ts";
import { randomizeWeights, useCpu } from "./_fixtures.ts";

/** A Dy = 2, Dc = 3 conditional Gaussian with random weights and a non-trivial standardisation. */
async function randomGaussian(seed: number, dc = 3): Promise<GaussianDensity> {
  const model = new GaussianDensity(2, dc, { hiddenDim: 16, seed });
  const rng = new Rng(seed + 100);
  model.initFromData({
    y: Float32Array.from({ length: 64 * 2 }, () => rng.normal(0.5, 2)),
    c: dc > 0 ? Float32Array.from({ length: 64 * dc }, () => rng.normal(-1, 0.5)) : null,
    count: 64,
  });
  await randomizeWeights(model, seed + 200);
  return model;
}

Deno.test("GaussianDensity.logProb() integrates to 1 over a 2D grid", async () => {
  await useCpu();
  const before = tf.memory().numTensors;
  const model = await randomGaussian(1);
  const c = tf.tensor2d([[0.3, -0.7, 1.1]]);
  const { mean, std } = tf.tidy(() => {
    const out = model.meanStd(c);
    return { mean: out.mean.dataSync(), std: out.std.dataSync() };
  });
  // A box of ±8 std around the mean, 401² midpoints.
  const n = 401;
  const lo = [mean[0] - 8 * std[0], mean[1] - 8 * std[1]];
  const dx = [16 * std[0] / n, 16 * std[1] / n];
  const y = new Float32Array(n * n * 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      y[(i * n + j) * 2] = lo[0] + (i + 0.5) * dx[0];
      y[(i * n + j) * 2 + 1] = lo[1] + (j + 0.5) * dx[1];
    }
  }
  const logProb = tf.tidy(() =>
    model.logProb(tf.tensor2d(y, [n * n, 2]), tf.tile(c, [n * n, 1]) as tf.Tensor2D).dataSync()
  );
  let total = 0;
  for (let i = 0; i < n * n; i++) total += Math.exp(logProb[i]) * dx[0] * dx[1];
  assertAlmostEquals(total, 1, 0.01);
  c.dispose();
  model.dispose();
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("GaussianDensity.logProb() equals the diagonal normal log-density of meanStd()", async () => {
  await useCpu();
  for (const dc of [3, 0]) {
    const model = await randomGaussian(2, dc);
    const rng = new Rng(3);
    const k = 40;
    const y = tf.tensor2d(Float32Array.from({ length: k * 2 }, () => rng.normal(0.5, 2)), [k, 2]);
    const c = dc > 0 ? tf.tensor2d(Float32Array.from({ length: k * dc }, () => rng.normal(-1, 0.5)), [k, dc]) : null;
    const logProb = tf.tidy(() => model.logProb(y, c).dataSync());
    const { mean, std } = tf.tidy(() => {
      const out = model.meanStd(c, k);
      return { mean: out.mean.dataSync(), std: out.std.dataSync() };
    });
    const yv = y.dataSync();
    for (let r = 0; r < k; r++) {
      let expected = 0;
      for (let j = 0; j < 2; j++) {
        const u = (yv[r * 2 + j] - mean[r * 2 + j]) / std[r * 2 + j];
        expected += -0.5 * u * u - Math.log(std[r * 2 + j]) - 0.5 * Math.log(2 * Math.PI);
      }
      assertAlmostEquals(logProb[r], expected, 1e-4 * (1 + Math.abs(expected)), `dc ${dc} row ${r}`);
    }
    tf.dispose([y, c ?? []]);
    model.dispose();
  }
});

Deno.test("GaussianDensity() keeps the std within its soft clamp", async () => {
  await useCpu();
  const model = new GaussianDensity(2, 0, { logStdClamp: 1 });
  const weights = await model.getWeights();
  weights.set("log_std/b", { shape: [2], values: new Float32Array([50, -50]) });
  model.setWeights(weights);
  const std = tf.tidy(() => model.meanStd(null).std.dataSync());
  assertLess(Math.abs(std[0] - Math.E), 1e-5);
  assertLess(Math.abs(std[1] - 1 / Math.E), 1e-5);
  model.dispose();
});

Deno.test("GaussianDensity() rejects bad dimensions, options and inputs", async () => {
  await useCpu();
  assertThrows(() => new GaussianDensity(0, 3), RangeError, "dy 0");
  assertThrows(() => new GaussianDensity(2, 3, { logStdClamp: -1 }), RangeError, "logStdClamp -1");
  const model = new GaussianDensity(2, 3, { hiddenDim: 4 });
  const y = tf.zeros([5, 2]) as tf.Tensor2D;
  assertThrows(() => model.logProb(y, null), TypeError, "expected [5, 3]");
  assertThrows(
    () => model.initFromData({ y: new Float32Array(10), c: new Float32Array(14), count: 5 }),
    RangeError,
    "c has 14 values: expected 5×3",
  );
  y.dispose();
  model.dispose();
});
