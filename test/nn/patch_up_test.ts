import { assertThrows } from "@std/assert";
import { patchUp, tf } from "../../src/nn/mod.ts";
import { forEachBackend, useBackend } from "./_backends.ts";
import { checkOp } from "./_check.ts";
import { patchUpRef } from "./_reference.ts";

// Tolerances: forward 2e-5, gradients 2e-4 (relative, against a float64 loop and its central finite differences).
Deno.test("patchUp() matches a reference loop and finite differences", async (t) => {
  await forEachBackend(t, async () => {
    await checkOp({
      shapes: [[2, 2, 1, 3, 3], [3, 40], [5]],
      apply: (x, w, b) => patchUp(x as tf.Tensor5D, w as tf.Tensor2D, b as tf.Tensor1D),
      reference: (x, w, b) => patchUpRef(x, w, b),
    });
    await checkOp({
      shapes: [[1, 1, 2, 2, 4], [4, 16]],
      apply: (x, w) => patchUp(x as tf.Tensor5D, w as tf.Tensor2D),
      reference: (x, w) => patchUpRef(x, w),
    });
  });
});

Deno.test("patchUp() rejects weights whose columns are not 8·Cout", async () => {
  await useBackend("cpu+fast");
  const x = tf.zeros([1, 2, 2, 2, 3]) as tf.Tensor5D;
  assertThrows(() => patchUp(x, tf.zeros([3, 12]) as tf.Tensor2D), TypeError, "modulo 8");
  assertThrows(() => patchUp(x, tf.zeros([2, 16]) as tf.Tensor2D), TypeError, "w's row count is 2");
  assertThrows(
    () => patchUp(x, tf.zeros([3, 16]) as tf.Tensor2D, tf.zeros([3]) as tf.Tensor1D),
    TypeError,
    "b's length",
  );
  x.dispose();
});
