import { assertAlmostEquals, assertThrows } from "@std/assert";
import { tf } from "../../src/nn/mod.ts";
import { covarianceTerm, varianceTerm, vicregLoss } from "../../src/ssl/vicreg.ts";

// A hand-computed case, K = 3 rows, d = 2 dims.
const ZA = [[1, 0], [0, 1], [-1, -1]];
const ZB = [[0.1, 0], [0, 0], [-0.1, 0.3]];

Deno.test("vicregLoss() terms equal a hand computation on a 3×2 case", () => {
  tf.tidy(() => {
    const za = tf.tensor2d(ZA), zb = tf.tensor2d(ZB);
    // Invariance: (za − zb)² = .81, 0, 0, 1, .81, 1.69 → 4.31 / 6.
    const inv = 4.31 / 6;
    // Variance of za: both columns have unbiased var 1 → std √1.0001 > 1 → hinge 0.
    assertAlmostEquals(varianceTerm(za).dataSync()[0], 0, 1e-7);
    // zb: column 0 var (0.01 + 0.01)/2 = 0.01; column 1 (0, 0, 0.3) var ((.1² + .1² + .2²)/2) = 0.03.
    const vb = ((1 - Math.sqrt(0.01 + 1e-4)) + (1 - Math.sqrt(0.03 + 1e-4))) / 2;
    assertAlmostEquals(varianceTerm(zb).dataSync()[0], vb, 1e-6);
    // Covariance of za: C = [[1, .5], [.5, 1]] → off-diagonal energy 2·.25 / d = 0.25.
    assertAlmostEquals(covarianceTerm(za).dataSync()[0], 0.25, 1e-6);
    // zb: C01 = (0.1·−0.1 + 0·−0.1 + −0.1·0.2)/2 = −0.015 → 2·0.000225 / 2.
    assertAlmostEquals(covarianceTerm(zb).dataSync()[0], 0.000225, 1e-8);
    const { total, parts } = vicregLoss(za, zb);
    const [pi, pv, pc] = parts.dataSync();
    assertAlmostEquals(pi, inv, 1e-6);
    assertAlmostEquals(pv, (0 + vb) / 2, 1e-6);
    assertAlmostEquals(pc, 0.25 + 0.000225, 1e-6);
    assertAlmostEquals(total.dataSync()[0], 25 * inv + 25 * (vb / 2) + 0.250225, 1e-5);
  });
});

Deno.test("vicregLoss() is zero-invariance, zero-covariance for identical whitened views with unit spread", () => {
  tf.tidy(() => {
    // Columns ±√(3/2)·(1, 0, −1)-like: orthogonal, unbiased variance ≥ 1.
    const z = tf.tensor2d([[1.5, 0], [0, 1.5], [-1.5, 0], [0, -1.5]]);
    const { parts } = vicregLoss(z, z);
    const [i, v, c] = parts.dataSync();
    assertAlmostEquals(i, 0, 1e-9);
    assertAlmostEquals(v, 0, 1e-9);
    assertAlmostEquals(c, 0, 1e-9);
  });
});

Deno.test("vicregLoss() refuses views of different shapes or a single row", () => {
  tf.tidy(() => {
    assertThrows(() => vicregLoss(tf.zeros([3, 2]), tf.zeros([3, 3])), RangeError, "equal shapes");
    assertThrows(() => vicregLoss(tf.zeros([1, 2]), tf.zeros([1, 2])), RangeError, "at least 2 rows");
  });
});
