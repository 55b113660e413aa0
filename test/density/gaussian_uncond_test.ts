import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import { GaussianMoments, GaussianUncondDensity } from "../../src/density/mod.ts";
import { tf } from "../../src/nn/mod.ts";
import { runPython, tempDir } from "../_support/python.ts";
import { useCpu } from "./_fixtures.ts";

/**
 * Rows y = 100 + x·M with x ~ N(0, I): correlated, far from the origin (tests the pivoting). With `singular`,
 * column 3 is constant and column 4 = column 0 + column 1 (the sample covariance is singular).
 */
function correlatedRows(count: number, dim: number, seed: number, singular = false): Float32Array {
  const rng = new Rng(seed);
  const m = Float64Array.from({ length: dim * dim }, () => rng.normal(0, 0.7));
  const out = new Float32Array(count * dim);
  const x = new Float64Array(dim);
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < dim; i++) x[i] = rng.normal();
    for (let j = 0; j < dim; j++) {
      let v = 100;
      for (let i = 0; i < dim; i++) v += x[i] * m[i * dim + j];
      out[k * dim + j] = v;
    }
    if (singular) {
      out[k * dim + 3] = 7;
      out[k * dim + 4] = out[k * dim] + out[k * dim + 1];
    }
  }
  return out;
}

/** Streams `rows` into moments in uneven batches. */
function stream(rows: Float32Array, dim: number): GaussianMoments {
  const moments = new GaussianMoments(dim);
  const count = rows.length / dim;
  for (let start = 0, size = 1; start < count; start += size, size = Math.min(2 * size + 3, count - start)) {
    const end = Math.min(start + size, count);
    moments.add(rows.subarray(start * dim, end * dim), end - start);
  }
  return moments;
}

const ORACLE = `
import json, sys
import numpy as np
from scipy.stats import multivariate_normal
from sklearn.covariance import EmpiricalCovariance, LedoitWolf
dim = int(sys.argv[3])
train = np.fromfile(sys.argv[1], dtype=np.float32).reshape(-1, dim).astype(np.float64)
test = np.fromfile(sys.argv[2], dtype=np.float32).reshape(-1, dim).astype(np.float64)
emp = EmpiricalCovariance().fit(train)
lw = LedoitWolf().fit(train)
out = {"mean": lw.location_.tolist(), "lw": lw.covariance_.ravel().tolist(), "shrinkage": float(lw.shrinkage_),
       "lwLogpdf": multivariate_normal(lw.location_, lw.covariance_).logpdf(test).tolist()}
try:
    out["emp"] = emp.covariance_.ravel().tolist()
    out["empLogpdf"] = multivariate_normal(emp.location_, emp.covariance_).logpdf(test).tolist()
except Exception:
    pass
print(json.dumps(out))
`;

interface Oracle {
  mean: number[];
  lw: number[];
  shrinkage: number;
  lwLogpdf: number[];
  emp?: number[];
  empLogpdf?: number[];
}

async function oracle(train: Float32Array, test: Float32Array, dim: number): Promise<Oracle> {
  const { dir, cleanup } = await tempDir();
  try {
    await Deno.writeFile(`${dir}/train.f32`, new Uint8Array(train.buffer));
    await Deno.writeFile(`${dir}/test.f32`, new Uint8Array(test.buffer));
    return await runPython<Oracle>(ORACLE, [`${dir}/train.f32`, `${dir}/test.f32`, String(dim)]);
  } finally {
    await cleanup();
  }
}

function logProbOf(model: GaussianUncondDensity, rows: Float32Array): Float32Array {
  return tf.tidy(() =>
    model.logProb(tf.tensor2d(rows, [rows.length / model.dy, model.dy]), null).dataSync()
  ) as Float32Array;
}

Deno.test("GaussianMoments.estimate() equals sklearn's LedoitWolf and EmpiricalCovariance from streamed batches", async () => {
  const dim = 5;
  const train = correlatedRows(3000, dim, 1), test = correlatedRows(200, dim, 2);
  const want = await oracle(train, test, dim);
  const moments = stream(train, dim);
  assertEquals(moments.count, 3000);
  const lw = moments.estimate();
  const emp = moments.estimate({ shrinkage: 0 });
  assertAlmostEquals(lw.shrinkage, want.shrinkage, 1e-9);
  assert(lw.shrinkage > 0 && lw.shrinkage < 0.1, `shrinkage ${lw.shrinkage}`);
  for (let i = 0; i < dim; i++) assertAlmostEquals(lw.mean[i], want.mean[i], 1e-9);
  for (let i = 0; i < dim * dim; i++) {
    assertAlmostEquals(lw.covariance[i], want.lw[i], 1e-9);
    assertAlmostEquals(emp.covariance[i], want.emp![i], 1e-9);
  }
});

Deno.test("GaussianUncondDensity.logProb() equals scipy's multivariate_normal.logpdf", async () => {
  await useCpu();
  const before = tf.memory().numTensors;
  const dim = 5;
  const train = correlatedRows(3000, dim, 3), test = correlatedRows(200, dim, 4);
  const want = await oracle(train, test, dim);
  for (const [shrinkage, expected] of [["ledoit-wolf", want.lwLogpdf], [0, want.empLogpdf!]] as const) {
    const model = new GaussianUncondDensity(dim, { shrinkage });
    model.fitMoments(stream(train, dim));
    const got = logProbOf(model, test);
    // float32 arithmetic on rows near 100: y − m loses ~1e-5 absolute, whitened by 1/σ_min ≈ 10; observed ≤ 7e-4.
    for (let k = 0; k < 200; k++) assertAlmostEquals(got[k], expected[k], 1.5e-3, `${shrinkage} row ${k}`);
    model.dispose();
  }
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("GaussianUncondDensity.fitMoments() stays finite on singular data and matches LedoitWolf there", async () => {
  await useCpu();
  const dim = 5;
  const train = correlatedRows(2000, dim, 5, true), test = correlatedRows(100, dim, 6, true);
  const want = await oracle(train, test, dim);
  assertEquals(want.empLogpdf, undefined); // scipy refuses the singular sample covariance
  const model = new GaussianUncondDensity(dim);
  const estimate = model.fitMoments(stream(train, dim));
  assertAlmostEquals(estimate.shrinkage, want.shrinkage, 1e-9);
  const got = logProbOf(model, test);
  for (let k = 0; k < 100; k++) {
    assert(Number.isFinite(got[k]));
    assertAlmostEquals(got[k], want.lwLogpdf[k], 1e-3, `row ${k}`); // observed ≤ 3e-5
  }
  // Without shrinkage the constant column makes Σ singular: only the noise floor rescues it.
  const mle = new GaussianUncondDensity(dim, { shrinkage: 0 });
  assertThrows(() => mle.fitMoments(stream(train, dim)), RangeError, "not positive definite");
  const floored = mle.fitMoments(stream(train, dim), 0.01);
  assertAlmostEquals(floored.covariance[3 * dim + 3], 1e-4, 1e-12);
  model.dispose();
  mle.dispose();
});

Deno.test("GaussianMoments.toJSON() round trip continues the stream exactly", () => {
  const dim = 3;
  const rows = correlatedRows(500, dim, 7);
  const whole = new GaussianMoments(dim);
  whole.add(rows.subarray(0, 300 * dim), 300);
  const copy = GaussianMoments.fromJSON(JSON.parse(JSON.stringify(whole.toJSON())));
  whole.add(rows.subarray(300 * dim), 200);
  copy.add(rows.subarray(300 * dim), 200);
  assertEquals(copy.estimate(), whole.estimate());
});

Deno.test("GaussianMoments.add() rejects non-finite values and wrong sizes", () => {
  const moments = new GaussianMoments(2);
  assertThrows(() => moments.add(new Float32Array([1, 2, 3]), 2), RangeError, "3 values for 2 rows");
  assertThrows(() => moments.add(new Float32Array([1, NaN]), 1), RangeError, "row 0 column 1 is NaN");
  assertEquals(moments.count, 0);
  assertThrows(() => moments.estimate(), RangeError, "0 rows");
  assertThrows(() => new GaussianMoments(0), RangeError, "width 0");
  assertThrows(() => new GaussianUncondDensity(2, { shrinkage: 2 }), RangeError, "shrinkage 2");
});
