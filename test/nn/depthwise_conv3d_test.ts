import { assertThrows } from "@std/assert";
import { depthwiseConv3d, tf } from "../../src/nn/mod.ts";
import { forEachBackend, useBackend } from "./_backends.ts";
import { checkOp } from "./_check.ts";
import { depthwiseRef } from "./_reference.ts";

// Tolerances: forward 2e-5, gradients 2e-4 (relative, against a float64 loop and its central finite differences).
const CASES = [
  { name: "3×3×3, C 3, with bias", x: [1, 4, 5, 6, 3], w: [3, 3, 3, 3], bias: true },
  { name: "3×1×5, batch 2, no bias", x: [2, 3, 4, 5, 2], w: [3, 1, 5, 2], bias: false },
  { name: "7×7×7 larger than the grid, C 4", x: [1, 3, 4, 5, 4], w: [7, 7, 7, 4], bias: true },
];

for (const c of CASES) {
  Deno.test(`depthwiseConv3d() matches a reference loop and finite differences: ${c.name}`, async (t) => {
    await forEachBackend(t, async () => {
      await checkOp({
        shapes: c.bias ? [c.x, c.w, [c.w[3]]] : [c.x, c.w],
        apply: (x, w, b) => depthwiseConv3d(x as tf.Tensor5D, w as tf.Tensor4D, b as tf.Tensor1D | undefined),
        reference: (x, w, b) => depthwiseRef(x, w, b),
      });
    });
  });
}

Deno.test("depthwiseConv3d() rejects bad arguments naming what it found", async () => {
  await useBackend("cpu+fast");
  const x = tf.zeros([1, 4, 4, 4, 2]) as tf.Tensor5D;
  assertThrows(() => depthwiseConv3d(x, tf.zeros([3, 3, 3, 3]) as tf.Tensor4D), TypeError, "channel count is 3");
  assertThrows(() => depthwiseConv3d(x, tf.zeros([3, 4, 3, 2]) as tf.Tensor4D), RangeError, "[3, 4, 3]");
  assertThrows(() => depthwiseConv3d(x, tf.zeros([3, 3, 3, 2, 1]) as never), TypeError, "expected rank 4");
  tf.dispose(x);
});
