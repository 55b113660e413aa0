import { assert, assertAlmostEquals, assertEquals, assertLess, assertThrows } from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import { FlowDensity } from "../../src/density/mod.ts";
import { tf } from "../../src/nn/mod.ts";
import { logAbsDet, randomizeWeights, useCpu } from "./_fixtures.ts";

/** A Dy = 4, Dc = 3 flow with random weights and a non-trivial standardisation. */
async function randomFlow(seed: number, dy = 4, dc = 3): Promise<FlowDensity> {
  const flow = new FlowDensity(dy, dc, { blocks: 4, hiddenDim: 16, seed });
  const rng = new Rng(seed + 100);
  const count = 64;
  flow.initFromData({
    y: Float32Array.from({ length: count * dy }, () => rng.normal(0.5, 2)),
    c: dc > 0 ? Float32Array.from({ length: count * dc }, () => rng.normal(-1, 0.5)) : null,
    count,
  });
  await randomizeWeights(flow, seed + 200);
  return flow;
}

Deno.test("FlowDensity.forward() log-determinant equals finite differences of z", async () => {
  await useCpu();
  const before = tf.memory().numTensors;
  const dy = 4, dc = 3, points = 6;
  const flow = await randomFlow(1);
  const rng = new Rng(7);
  const y0 = Float64Array.from({ length: points * dy }, () => rng.normal(0.5, 2));
  const c0 = Float32Array.from({ length: points * dc }, () => rng.normal(-1, 0.5));
  // Rows: for each point, for each step h ∈ {H, H/2}, for each input dim i, y ± h·e_i.
  const H = 4e-2;
  const steps = [H, H / 2];
  const rows = points * steps.length * dy * 2;
  const y = new Float32Array(rows * dy), c = new Float32Array(rows * dc);
  let r = 0;
  for (let p = 0; p < points; p++) {
    for (const h of steps) {
      for (let i = 0; i < dy; i++) {
        for (const sign of [1, -1]) {
          for (let j = 0; j < dy; j++) y[r * dy + j] = y0[p * dy + j] + (j === i ? sign * h : 0);
          c.set(c0.subarray(p * dc, (p + 1) * dc), r * dc);
          r++;
        }
      }
    }
  }
  const z = tf.tidy(() => flow.forward(tf.tensor2d(y, [rows, dy]), tf.tensor2d(c, [rows, dc])).z.dataSync());
  const { logDet } = tf.tidy(() => {
    const out = flow.forward(tf.tensor2d(Float32Array.from(y0), [points, dy]), tf.tensor2d(c0, [points, dc]));
    return { logDet: out.logDet.dataSync() };
  });
  for (let p = 0; p < points; p++) {
    // Central differences at H and H/2, combined by Richardson extrapolation: error O(H⁴).
    const jac = new Float64Array(dy * dy);
    for (let s = 0; s < 2; s++) {
      const weight = s === 0 ? -1 / 3 : 4 / 3;
      for (let i = 0; i < dy; i++) {
        const plus = ((p * 2 + s) * dy + i) * 2, minus = plus + 1;
        for (let o = 0; o < dy; o++) {
          jac[o * dy + i] += weight * (z[plus * dy + o] - z[minus * dy + o]) / (2 * steps[s]);
        }
      }
    }
    assertAlmostEquals(logDet[p], logAbsDet(jac, dy), 1e-4, `point ${p}`); // observed ≤ 1.2e-5
  }
  flow.dispose();
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("FlowDensity.inverse() undoes forward() to 1e-4", async () => {
  await useCpu();
  const flow = await randomFlow(2);
  const rng = new Rng(3);
  const y = Float32Array.from({ length: 200 * 4 }, () => rng.normal(0.5, 2));
  const c = Float32Array.from({ length: 200 * 3 }, () => rng.normal(-1, 0.5));
  const back = tf.tidy(() => {
    const ct = tf.tensor2d(c, [200, 3]);
    return flow.inverse(flow.forward(tf.tensor2d(y, [200, 4]), ct).z, ct).dataSync();
  });
  let worst = 0;
  for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(back[i] - y[i]) / (1 + Math.abs(y[i])));
  assertLess(worst, 1e-4);
  flow.dispose();
});

Deno.test("FlowDensity.logProb() equals log N(z; 0, I) plus the log-determinant", async () => {
  await useCpu();
  const flow = await randomFlow(4);
  const rng = new Rng(5);
  const y = tf.tensor2d(Float32Array.from({ length: 50 * 4 }, () => rng.normal(0.5, 2)), [50, 4]);
  const c = tf.tensor2d(Float32Array.from({ length: 50 * 3 }, () => rng.normal(-1, 0.5)), [50, 3]);
  const logProb = tf.tidy(() => flow.logProb(y, c).dataSync());
  const { z, logDet } = tf.tidy(() => {
    const out = flow.forward(y, c);
    return { z: out.z.dataSync(), logDet: out.logDet.dataSync() };
  });
  for (let k = 0; k < 50; k++) {
    let sq = 0;
    for (let j = 0; j < 4; j++) sq += z[k * 4 + j] ** 2;
    const expected = -0.5 * sq - 2 * Math.log(2 * Math.PI) + logDet[k];
    assertAlmostEquals(logProb[k], expected, 1e-5 * (1 + Math.abs(expected)));
  }
  tf.dispose([y, c]);
  flow.dispose();
});

Deno.test("FlowDensity.logProb() integrates to 1 over a 2D grid", async () => {
  await useCpu();
  const flow = new FlowDensity(2, 3, { blocks: 8, hiddenDim: 16, seed: 9 });
  await randomizeWeights(flow, 10, 0.25);
  // A box covering the mass (samples of this flow reach |y| ≈ 9): check that the density is negligible on the
  // border, then sum q over the grid (midpoint rule, 0.053-wide cells).
  const n = 601, lo = -16, hi = 16, dx = (hi - lo) / (n - 1);
  const y = new Float32Array(n * n * 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      y[(i * n + j) * 2] = lo + i * dx;
      y[(i * n + j) * 2 + 1] = lo + j * dx;
    }
  }
  const c = new Float32Array(n * n * 3);
  for (let k = 0; k < n * n; k++) c.set([0.3, -0.7, 1.1], k * 3);
  const logProb = tf.tidy(() => flow.logProb(tf.tensor2d(y, [n * n, 2]), tf.tensor2d(c, [n * n, 3])).dataSync());
  let total = 0, border = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const q = Math.exp(logProb[i * n + j]);
      total += q * dx * dx;
      if (i === 0 || j === 0 || i === n - 1 || j === n - 1) border = Math.max(border, q);
    }
  }
  assertLess(border, 1e-6, "the box must cover the mass");
  assertAlmostEquals(total, 1, 0.01);
  flow.dispose();
});

Deno.test("FlowDensity() starts as a standard normal on standardised data", async () => {
  await useCpu();
  const flow = new FlowDensity(4, 0);
  const y = tf.tensor2d([[0, 0, 0, 0], [1, 2, -1, 0.5]]);
  const logProb = tf.tidy(() => flow.logProb(y, null).dataSync());
  assertAlmostEquals(logProb[0], -2 * Math.log(2 * Math.PI), 1e-5);
  assertAlmostEquals(logProb[1], -2 * Math.log(2 * Math.PI) - 0.5 * (1 + 4 + 1 + 0.25), 1e-5);
  y.dispose();
  flow.dispose();
});

Deno.test("FlowDensity() rejects bad dimensions, options and inputs", async () => {
  await useCpu();
  assertThrows(() => new FlowDensity(1, 3), RangeError, "dy 1");
  assertThrows(() => new FlowDensity(4, -1), RangeError, "dc -1");
  assertThrows(() => new FlowDensity(4, 3, { blocks: 0 }), RangeError, "blocks 0");
  assertThrows(() => new FlowDensity(4, 3, { clampAlpha: 0 }), RangeError, "clampAlpha 0");
  const flow = new FlowDensity(4, 3, { blocks: 2, hiddenDim: 8 });
  const y = tf.zeros([5, 4]) as tf.Tensor2D, yBad = tf.zeros([5, 3]) as tf.Tensor2D;
  const c = tf.zeros([5, 3]) as tf.Tensor2D, cBad = tf.zeros([4, 3]) as tf.Tensor2D;
  assertThrows(() => flow.logProb(yBad, c), TypeError, "y has shape [5,3]: expected [K, 4]");
  assertThrows(() => flow.logProb(y, cBad), TypeError, "expected [5, 3]");
  assertThrows(() => flow.logProb(y, null), TypeError, "c has null");
  const weights = await flow.getWeights();
  const p = weights.get("block0/permutation")!;
  weights.set("block0/permutation", { shape: p.shape, values: new Float32Array(16).fill(0.25) });
  assertThrows(() => flow.setWeights(weights), RangeError, "not a permutation matrix");
  weights.set("block0/permutation", p);
  weights.delete("block1/shift/w");
  assertThrows(() => flow.setWeights(weights), RangeError, "missing");
  tf.dispose([y, yBad, c, cBad]);
  flow.dispose();
  assert(true);
});
