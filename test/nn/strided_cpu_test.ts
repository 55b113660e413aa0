import { assert, assertEquals } from "@std/assert";
import { initBackend, tf } from "../../src/nn/mod.ts";
import { enableFastKernels } from "../../src/nn/_fast_kernels.ts";
import { seededValues } from "./_reference.ts";

/** Runs `fn` with the stock kernels and with the overrides, returning both results' shapes and values. */
async function both(fn: () => tf.Tensor): Promise<[number[], Float32Array, number[], Float32Array]> {
  enableFastKernels(false);
  const stock = tf.tidy(fn);
  enableFastKernels(true);
  const fast = tf.tidy(fn);
  const out: [number[], Float32Array, number[], Float32Array] = [
    stock.shape,
    Float32Array.from(await stock.data()),
    fast.shape,
    Float32Array.from(await fast.data()),
  ];
  tf.dispose([stock, fast]);
  return out;
}

function permutations(n: number, seed: number): number[] {
  const p = [...Array(n).keys()];
  const r = seededValues(n, seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(((r[i] + 1) / 2) * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

const SHAPES = [[7], [3, 5], [2, 3, 4], [2, 1, 3, 4], [2, 3, 4, 5, 3], [2, 2, 1, 3, 2, 3]];

Deno.test("enableFastKernels() replaces Transpose, Slice, Sum and Mean with kernels equal to the stock ones", async () => {
  await initBackend("cpu", { selfCheck: false });
  for (const [k, shape] of SHAPES.entries()) {
    const x = tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), k + 1), shape);
    for (let trial = 0; trial < 4; trial++) {
      const perm = permutations(shape.length, 10 * k + trial);
      const [s1, v1, s2, v2] = await both(() => tf.transpose(x, perm));
      assertEquals([s2, v2], [s1, v1], `transpose [${shape}] by [${perm}]`);
      const begin = shape.map((d, i) => (trial + i) % d);
      const size = shape.map((d, i) => (i === trial % shape.length ? -1 : Math.max(1, d - begin[i] - 1)));
      const [t1, w1, t2, w2] = await both(() => tf.slice(x, begin, size));
      assertEquals([t2, w2], [t1, w1], `slice [${shape}] at [${begin}] size [${size}]`);
      const axes = [...Array(shape.length).keys()].filter((i) => (i + trial) % 2 === 0);
      for (const op of [tf.sum, tf.mean]) {
        const [r1, u1, r2, u2] = await both(() => op(x, axes, trial % 2 === 1));
        assertEquals(r2, r1, `${op.name} [${shape}] over [${axes}]`);
        u1.forEach((v, i) => assert(Math.abs(u2[i] - v) <= 1e-6 * (1 + Math.abs(v)), `${op.name}: ${u2[i]} vs ${v}`));
      }
    }
    x.dispose();
  }
  const ints = tf.tensor2d([[1, 2], [3, 4]], undefined, "int32");
  const [, a, , b] = await both(() => tf.transpose(ints));
  assertEquals(b, a); // int32 goes through the stock kernel
  ints.dispose();
});
