import { assertEquals, assertThrows } from "@std/assert";
import { initBackend, tf } from "../../src/nn/mod.ts";
import { broadcastBinary } from "../../src/nn/_binary_cpu.ts";
import { OVERRIDDEN_KERNELS } from "../../src/nn/_overrides_cpu.ts";
import { enableFastKernels } from "../../src/nn/_fast_kernels.ts";
import { seededValues } from "./_reference.ts";

/** numpy-style broadcast written the slow, obvious way: index → coordinates → operand index. */
function naive(f: (a: number, b: number) => number, a: Float32Array, as: number[], b: Float32Array, bs: number[]) {
  const rank = Math.max(as.length, bs.length);
  const pa = [...Array(rank - as.length).fill(1), ...as], pb = [...Array(rank - bs.length).fill(1), ...bs];
  const shape = pa.map((x, i) => (x === 1 ? pb[i] : x));
  const size = shape.reduce((p, q) => p * q, 1);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let rest = i, ia = 0, ib = 0, sa = 1, sb = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const coord = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
      ia += (pa[d] === 1 ? 0 : coord) * sa;
      ib += (pb[d] === 1 ? 0 : coord) * sb;
      sa *= pa[d];
      sb *= pb[d];
    }
    out[i] = f(a[ia], b[ib]);
  }
  return { values: out, shape };
}

const OPS: [number, (a: number, b: number) => number][] = [
  [0, (a, b) => a + b],
  [1, (a, b) => a - b],
  [2, (a, b) => a * b],
  [3, (a, b) => a / b],
  [4, (a, b) => Math.max(a, b)],
  [5, (a, b) => Math.min(a, b)],
  [6, (a, b) => (a - b) ** 2],
];

const PAIRS: [number[], number[]][] = [
  [[2, 3, 4], [2, 3, 4]],
  [[2, 3, 4], [4]],
  [[2, 1, 4], [3, 1]],
  [[1], [5, 2]],
  [[], [2, 2]],
  [[2, 3, 1, 5], [1, 3, 4, 1]],
  [[2, 4, 4, 4, 8], [8]],
  [[1, 1, 1, 1, 1], [2, 2, 3, 2, 4]],
  [[3, 1, 2], [1, 4, 1]],
  [[0, 3], [3]],
];

Deno.test("broadcastBinary() equals a naive broadcast for every op and shape pair", () => {
  for (const [as, bs] of PAIRS) {
    const a = seededValues(as.reduce((p, q) => p * q, 1), 1), b = seededValues(bs.reduce((p, q) => p * q, 1), 2);
    for (const [code, f] of OPS) {
      for (const [x, xs, y, ys] of [[a, as, b, bs], [b, bs, a, as]] as const) {
        const got = broadcastBinary(code, x, xs, y, ys), want = naive(f, x, xs, y, ys);
        assertEquals(got.shape, want.shape);
        assertEquals(got.values, want.values, `op ${code} on [${xs}] and [${ys}]`);
      }
    }
  }
  assertThrows(() => broadcastBinary(0, new Float32Array(6), [2, 3], new Float32Array(2), [2]), TypeError, "broadcast");
});

Deno.test("enableFastKernels() swaps the overridden cpu kernels and restores the stock ones exactly", async () => {
  await initBackend("cpu", { fastKernels: false, selfCheck: false });
  const stock = OVERRIDDEN_KERNELS.map((name) => tf.getKernel(name, "cpu")!.kernelFunc);
  enableFastKernels(true);
  OVERRIDDEN_KERNELS.forEach((name, i) => {
    if (tf.getKernel(name, "cpu")!.kernelFunc === stock[i]) throw new Error(`${name} was not swapped`);
  });
  const [a, b, i] = [tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([10, 20]), tf.tensor1d([1, 2], "int32")];
  const y = tf.tidy(() => tf.mul(a, b));
  const z = tf.tidy(() => tf.add(i, tf.scalar(1, "int32"))); // int32: stock path
  assertEquals([Array.from(await y.data()), Array.from(await z.data()), z.dtype], [[10, 40, 30, 80], [2, 3], "int32"]);
  enableFastKernels(false);
  OVERRIDDEN_KERNELS.forEach((name, k) => assertEquals(tf.getKernel(name, "cpu")!.kernelFunc, stock[k], name));
  tf.dispose([a, b, i, y, z]);
});
