import { assertThrows } from "@std/assert";
import { addScaled, tf } from "../../src/nn/mod.ts";
import { forEachBackend, useBackend } from "./_backends.ts";
import { checkOp } from "./_check.ts";
import type { Ref } from "./_reference.ts";

function addScaledRef(x: Ref, h: Ref, s: Ref): Ref {
  const c = s.data.length;
  return { data: x.data.map((v, i) => v + h.data[i] * s.data[i % c]), shape: [...x.shape] };
}

// Tolerances: forward 2e-5, gradients 2e-4 (relative, against float64 and its central finite differences).
Deno.test("addScaled() matches x + h·scale and finite differences", async (t) => {
  await forEachBackend(t, async () => {
    await checkOp({
      shapes: [[2, 2, 3, 2, 4], [2, 2, 3, 2, 4], [4]],
      apply: (x, h, s) => addScaled(x as tf.Tensor5D, h as tf.Tensor5D, s as tf.Tensor1D),
      reference: addScaledRef,
    });
  });
});

Deno.test("addScaled() rejects mismatched shapes", async () => {
  await useBackend("cpu+fast");
  const [x, h] = [tf.zeros([1, 2, 2, 2, 3]) as tf.Tensor5D, tf.zeros([1, 2, 2, 1, 3]) as tf.Tensor5D];
  assertThrows(() => addScaled(x, h, tf.ones([3]) as tf.Tensor1D), TypeError, "h's axis 3 is 1");
  assertThrows(() => addScaled(x, x, tf.ones([2]) as tf.Tensor1D), TypeError, "scale's length is 2");
  tf.dispose([x, h]);
});
