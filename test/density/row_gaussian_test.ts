import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import { drawWithoutReplacement, type FeaturePool, fitRowGaussian, gatherRows } from "../../src/density/mod.ts";
import { tf } from "../../src/nn/mod.ts";
import { useCpu } from "./_fixtures.ts";

Deno.test("drawWithoutReplacement() draws distinct indices in range, reproducibly per seed", () => {
  const a = drawWithoutReplacement(1000, 300, new Rng(4));
  assertEquals(a.length, 300);
  assertEquals(new Set(a).size, 300);
  assert(a.every((v) => v < 1000));
  assertEquals(a, drawWithoutReplacement(1000, 300, new Rng(4)));
  const all = drawWithoutReplacement(50, 50, new Rng(1));
  assertEquals([...all].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i), "take = n is a permutation");
  assertEquals(drawWithoutReplacement(5, 0, new Rng(1)).length, 0);
  assertStringIncludes(assertThrows(() => drawWithoutReplacement(5, 6, new Rng(1)), RangeError).message, "[0, 5]");
  assertThrows(() => drawWithoutReplacement(5, 1.5, new Rng(1)), RangeError);
});

Deno.test("gatherRows() moves whole rows", () => {
  const values = Float32Array.from({ length: 12 }, (_, i) => i); // 4 rows of 3
  assertEquals([...gatherRows(values, 3, [2, 0, 2])], [6, 7, 8, 0, 1, 2, 6, 7, 8]);
});

/** Mean log q over `count` fresh rows. */
function meanLogProb(model: { logProb: (y: tf.Tensor2D, c: tf.Tensor2D | null) => tf.Tensor1D }, pool: FeaturePool) {
  return tf.tidy(() => {
    const y = tf.tensor2d(pool.y, [pool.count, pool.dy]);
    const c = pool.c ? tf.tensor2d(pool.c, [pool.count, pool.dc]) : null;
    return tf.mean(model.logProb(y, c)).dataSync()[0];
  });
}

Deno.test("fitRowGaussian() recovers known Gaussians: unconditional and y = c + noise", async () => {
  await useCpu();
  const rng = new Rng(11);
  const n = 20000;
  // Unconditional: y ~ N((3, −1), diag(2², 0.5²)); E[log q] = −Σ_d (½ log(2πe) + log σ_d) = −2.8379.
  const sample = (count: number) => {
    const y = new Float32Array(2 * count);
    for (let r = 0; r < count; r++) {
      y[2 * r] = rng.normal(3, 2);
      y[2 * r + 1] = rng.normal(-1, 0.5);
    }
    return { y, c: null, count, dy: 2, dc: 0 } as FeaturePool;
  };
  const u = await fitRowGaussian(sample(n), { steps: 400, batchSize: 1024, hidden: 16, noiseStd: 0 });
  try {
    assertEquals([u.model.dy, u.model.dc], [2, 0]);
    assertEquals(u.fit.step, 400);
    const expected = -(Math.log(2 * Math.PI * Math.E) + Math.log(2) + Math.log(0.5));
    // Tolerance: 20000 fresh rows give a standard error of ~0.01 nats; 0.05 leaves room for the fit.
    assertAlmostEquals(meanLogProb(u.model, sample(n)), expected, 0.05);
  } finally {
    u.model.dispose();
  }
  // Conditional: c ~ U(−1, 1), y = c + N(0, 0.1²); E[log q] = −(½ log(2πe) + log 0.1) = 0.8837.
  const conditional = (count: number) => {
    const y = new Float32Array(count), c = new Float32Array(count);
    for (let r = 0; r < count; r++) {
      c[r] = rng.uniform(-1, 1);
      y[r] = c[r] + rng.normal(0, 0.1);
    }
    return { y, c, count, dy: 1, dc: 1 } as FeaturePool;
  };
  const g = await fitRowGaussian(conditional(n), {
    steps: 1500,
    batchSize: 1024,
    hidden: 32,
    peakLr: 3e-3,
    noiseStd: 0,
  });
  try {
    assertEquals([g.model.dy, g.model.dc], [1, 1]);
    const expected = -(0.5 * Math.log(2 * Math.PI * Math.E) + Math.log(0.1));
    // The MLP's μ(c) must learn the identity to ~0.03 for the mean to come within 0.1 nats.
    assertAlmostEquals(meanLogProb(g.model, conditional(n)), expected, 0.1);
  } finally {
    g.model.dispose();
  }
  const empty = { y: new Float32Array(0), c: null, count: 0, dy: 1, dc: 0 };
  assertStringIncludes((await assertRejects(() => fitRowGaussian(empty), RangeError)).message, "no rows");
  await assertRejects(() => fitRowGaussian(sample(10), { steps: 0 }), RangeError);
  await assertRejects(() => fitRowGaussian(sample(10), { hidden: 0 }), RangeError);
});
