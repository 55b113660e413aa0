import { assertThrows } from "@std/assert";
import { patchDown, tf } from "../../src/nn/mod.ts";
import { forEachBackend, useBackend } from "./_backends.ts";
import { checkOp } from "./_check.ts";
import { patchDownRef } from "./_reference.ts";

// Tolerances: forward 2e-5, gradients 2e-4 (relative, against a float64 loop and its central finite differences).
Deno.test("patchDown() matches a reference loop and finite differences", async (t) => {
  await forEachBackend(t, async () => {
    await checkOp({
      shapes: [[2, 4, 2, 6, 3], [24, 5], [5]],
      apply: (x, w, b) => patchDown(x as tf.Tensor5D, w as tf.Tensor2D, b as tf.Tensor1D),
      reference: (x, w, b) => patchDownRef(x, w, b),
    });
    await checkOp({
      shapes: [[1, 2, 4, 2, 2], [16, 3]],
      apply: (x, w) => patchDown(x as tf.Tensor5D, w as tf.Tensor2D),
      reference: (x, w) => patchDownRef(x, w),
    });
  });
});

Deno.test("patchDown() equals tf.conv3d with a 2×2×2 stride-2 filter of the same weights", async (t) => {
  await forEachBackend(t, async () => {
    const x = tf.randomNormal([1, 4, 6, 2, 3], 0, 1, "float32", 1) as tf.Tensor5D;
    const w = tf.randomNormal([24, 4], 0, 1, "float32", 2) as tf.Tensor2D;
    const d = tf.tidy(() =>
      tf.max(tf.abs(tf.sub(patchDown(x, w), tf.conv3d(x, tf.reshape(w, [2, 2, 2, 3, 4]), 2, "valid"))))
    );
    const err = (await d.data())[0];
    tf.dispose([x, w, d]);
    if (!(err < 1e-5)) throw new Error(`patchDown differs from conv3d by ${err}`);
  }, ["cpu+fast", "cpu", "wasm"]);
});

Deno.test("patchDown() rejects odd grids and wrong weights", async () => {
  await useBackend("cpu+fast");
  const x = tf.zeros([1, 4, 3, 4, 2]) as tf.Tensor5D;
  assertThrows(() => patchDown(x, tf.zeros([16, 2]) as tf.Tensor2D), RangeError, "expected even D, H and W");
  const y = tf.zeros([1, 4, 4, 4, 2]) as tf.Tensor5D;
  assertThrows(() => patchDown(y, tf.zeros([8, 2]) as tf.Tensor2D), TypeError, "w's row count is 8");
  tf.dispose([x, y]);
});
