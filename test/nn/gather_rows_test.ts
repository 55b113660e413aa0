import { assertEquals, assertThrows } from "@std/assert";
import { gatherRows, tf } from "../../src/nn/mod.ts";

Deno.test("gatherRows() equals tf.gather forward and backward, summing gradients of repeated rows", () => {
  tf.tidy(() => {
    const x = tf.tensor2d(Array.from({ length: 15 }, (_, i) => i * 0.5 - 3), [5, 3]);
    const idx = tf.tensor1d([4, 0, 4, 2], "int32");
    const w = tf.tensor2d(Array.from({ length: 12 }, (_, i) => (i % 5) - 2), [4, 3]);
    assertEquals(Array.from(gatherRows(x, idx).dataSync()), Array.from(tf.gather(x, idx).dataSync()));
    const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t as tf.Tensor2D, idx), w)))(x);
    const stock = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx), w)))(x);
    assertEquals(Array.from(ours.dataSync()), Array.from(stock.dataSync()));
    // Row 4 is gathered twice: its gradient is the sum of w's rows 0 and 2; row 1 and 3 get nothing.
    const g = ours.arraySync() as number[][];
    const wa = w.arraySync() as number[][];
    assertEquals(g[4], wa[0].map((v, c) => v + wa[2][c]));
    assertEquals(g[1], [0, 0, 0]);
  });
});

Deno.test("gatherRows() refuses non-2D inputs and non-int32 indices", () => {
  tf.tidy(() => {
    assertThrows(() => gatherRows(tf.zeros([2, 2, 2]) as unknown as tf.Tensor2D, tf.tensor1d([0], "int32")), TypeError);
    assertThrows(() => gatherRows(tf.zeros([2, 2]), tf.tensor1d([0], "float32")), TypeError, "int32");
  });
});
