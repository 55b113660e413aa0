import { assert, assertEquals } from "@std/assert";
import { tf } from "../../src/nn/mod.ts";
import { sharedTransposeRowLimit } from "../../src/nn/_webgpu_kernels.ts";
import { useBackend, WEBGPU_ADAPTER } from "./_backends.ts";

// Closed forms for x[r, c] = ((r mod 7) − 3) · (c + 1) + c, r < R: every column sums and averages exactly, and its
// extrema are −3(c + 1) + c and 3(c + 1) + c.
function column(r: number, c: number): number {
  return ((r % 7) - 3) * (c + 1) + c;
}

function columnSum(rows: number, c: number): number {
  let s = 0;
  for (let r = 0; r < rows; r++) s += column(r, c);
  return s;
}

Deno.test({
  name: "webgpu: transposes and axis-0 reductions of tensors past the shared-transpose row limit are exact",
  ignore: WEBGPU_ADAPTER === undefined,
  fn: async () => {
    await useBackend("webgpu");
    const limit = sharedTransposeRowLimit(tf.backend() as unknown as Parameters<typeof sharedTransposeRowLimit>[0]);
    const rows = limit + 17, cols = 3;
    const values = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) values[r * cols + c] = column(r, c);
    const before = tf.memory().numTensors;
    const x = tf.tensor2d(values, [rows, cols]);
    const [sum, mean, max, min, keep, t] = tf.tidy(() => [
      tf.sum(x, 0),
      tf.mean(x, 0),
      tf.max(x, 0),
      tf.min(x, -2),
      tf.sum(x, 0, true),
      tf.transpose(x),
    ]);
    const sums = Array.from({ length: cols }, (_, c) => columnSum(rows, c));
    const got = await sum.data();
    for (let c = 0; c < cols; c++) assert(Math.abs(got[c] - sums[c]) <= 1e-6 * rows * 4, `sum ${c}: ${got[c]}`);
    const means = await mean.data();
    for (let c = 0; c < cols; c++) assert(Math.abs(means[c] - sums[c] / rows) < 1e-4, `mean ${c}: ${means[c]}`);
    assertEquals(Array.from(await max.data()), [0, 1, 2].map((c) => 3 * (c + 1) + c));
    assertEquals(Array.from(await min.data()), [0, 1, 2].map((c) => -3 * (c + 1) + c));
    assertEquals(keep.shape, [1, cols]);
    assertEquals(t.shape, [cols, rows]);
    const tv = await t.data();
    for (const r of [0, 1, limit - 1, limit, rows - 1]) {
      for (let c = 0; c < cols; c++) assertEquals(tv[c * rows + r], column(r, c), `t[${c}, ${r}]`);
    }
    // The gradient of a channel broadcast is such a sum: d/db Σ (x + b) = rows per channel.
    const db = tf.tidy(() => tf.grad((b: tf.Tensor) => tf.sum(tf.add(x, b)))(tf.zeros([cols])));
    assertEquals(Array.from(await db.data()), [rows, rows, rows]);
    tf.dispose([x, sum, mean, max, min, keep, t, db]);
    assertEquals(tf.memory().numTensors, before);
  },
});
