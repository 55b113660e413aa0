import { assertThrows } from "@std/assert";
import { layerNorm, tf } from "../../src/nn/mod.ts";
import { forEachBackend, useBackend } from "./_backends.ts";
import { checkOp } from "./_check.ts";
import { layerNormRef } from "./_reference.ts";

// Tolerances: forward 2e-5, gradients 5e-4 (relative; the normalisation divides by σ, so finite differences of
// the float64 reference with step 1e-3 carry ~1e-5 curvature error).
Deno.test("layerNorm() matches a reference loop and finite differences", async (t) => {
  await forEachBackend(t, async () => {
    for (const [shape, eps] of [[[2, 2, 3, 2, 5], 1e-6], [[1, 2, 2, 2, 16], 1e-3]] as const) {
      const c = shape[4];
      await checkOp({
        shapes: [[...shape], [c], [c]],
        init: (k, v) => k === 1 && v.forEach((x, i) => (v[i] = 1 + 0.5 * x)),
        apply: (x, g, b) => layerNorm(x as tf.Tensor5D, g as tf.Tensor1D, b as tf.Tensor1D, eps),
        reference: (x, g, b) => layerNormRef(x, g, b, eps),
      }, { grad: 5e-4 });
    }
  });
});

Deno.test("layerNorm() rejects bad arguments naming what it found", async () => {
  await useBackend("cpu+fast");
  const [x, c] = [tf.zeros([1, 2, 2, 2, 3]) as tf.Tensor5D, tf.ones([3]) as tf.Tensor1D];
  assertThrows(() => layerNorm(x, tf.ones([4]) as tf.Tensor1D, c), TypeError, "gamma's length is 4");
  assertThrows(() => layerNorm(x, c, tf.ones([2]) as tf.Tensor1D), TypeError, "beta's length is 2");
  assertThrows(() => layerNorm(x, c, c, 0), RangeError, "eps is 0");
  tf.dispose([x, c]);
});
