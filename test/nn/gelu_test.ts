import { assert, assertAlmostEquals, assertThrows } from "@std/assert";
import { gelu, tf } from "../../src/nn/mod.ts";
import { fastTanh } from "../../src/nn/ops/_gelu_cpu.ts";
import { forEachBackend, useBackend } from "./_backends.ts";
import { checkOp } from "./_check.ts";
import { geluRef } from "./_reference.ts";

// Tolerances: forward 2e-5, gradients 2e-4 (relative, against the float64 tanh formula and finite differences).
Deno.test("gelu() matches the tanh formula and finite differences", async (t) => {
  await forEachBackend(t, async () => {
    await checkOp({
      shapes: [[2, 2, 3, 2, 5]],
      init: (_k, v) => v.forEach((x, i) => (v[i] = 6 * x)), // spans [-6, 6): both tails and the bend
      apply: (x) => gelu(x),
      reference: (x) => geluRef(x),
    });
  });
});

Deno.test("gelu() matches the formula and finite differences on 8192 values (ONNX Runtime's FastGelu on cpu)", async (t) => {
  await forEachBackend(t, async () => {
    await checkOp({
      shapes: [[2, 8, 8, 8, 8]],
      init: (_k, v) => v.forEach((x, i) => (v[i] = 6 * x)),
      apply: (x) => gelu(x),
      reference: (x) => geluRef(x),
    });
  }, ["cpu+fast"]);
});

Deno.test("gelu() keeps any shape and known values", async (t) => {
  await forEachBackend(t, async () => {
    const y = tf.tidy(() => gelu(tf.tensor1d([-1, 0, 1, 30, -30])));
    const v = await y.data();
    y.dispose();
    [-0.158808, 0, 0.841192, 30, 0].forEach((want, i) => assertAlmostEquals(v[i], want, 1e-5));
  });
});

Deno.test("fastTanh() is within 3e-7 of Math.tanh", () => {
  let max = 0;
  for (let u = -12; u <= 12; u += 1 / 1024) max = Math.max(max, Math.abs(fastTanh(u) - Math.tanh(u)));
  assert(max < 3e-7, `max error ${max}`);
});

Deno.test("gelu() rejects non-float32 input", async () => {
  await useBackend("cpu+fast");
  const x = tf.zeros([3], "int32");
  assertThrows(() => gelu(x), TypeError, "dtype int32");
  x.dispose();
});
