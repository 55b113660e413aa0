import { assertThrows } from "@std/assert";
import { pointwise, tf } from "../../src/nn/mod.ts";
import { forEachBackend, useBackend } from "./_backends.ts";
import { checkOp } from "./_check.ts";
import { pointwiseRef } from "./_reference.ts";

// Tolerances: forward 2e-5, gradients 2e-4 (relative, against a float64 loop and its central finite differences).
Deno.test("pointwise() matches a reference loop and finite differences", async (t) => {
  await forEachBackend(t, async () => {
    await checkOp({
      shapes: [[2, 2, 3, 2, 3], [3, 5], [5]],
      apply: (x, w, b) => pointwise(x as tf.Tensor5D, w as tf.Tensor2D, b as tf.Tensor1D),
      reference: (x, w, b) => pointwiseRef(x, w, b),
    });
    await checkOp({
      shapes: [[1, 2, 2, 2, 6], [6, 2]],
      apply: (x, w) => pointwise(x as tf.Tensor5D, w as tf.Tensor2D),
      reference: (x, w) => pointwiseRef(x, w),
    });
  });
});

Deno.test("pointwise() rejects bad arguments naming what it found", async () => {
  await useBackend("cpu+fast");
  const x = tf.zeros([1, 2, 2, 2, 3]) as tf.Tensor5D;
  assertThrows(() => pointwise(x, tf.zeros([4, 2]) as tf.Tensor2D), TypeError, "w's row count is 4");
  assertThrows(
    () => pointwise(x, tf.zeros([3, 2]) as tf.Tensor2D, tf.zeros([3]) as tf.Tensor1D),
    TypeError,
    "b's length",
  );
  tf.dispose(x);
});
