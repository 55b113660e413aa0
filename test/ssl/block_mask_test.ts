import { assert, assertEquals, assertThrows } from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import type { Vec3 } from "../../src/io/mod.ts";
import { blockMask } from "../../src/ssl/mod.ts";

const sum = (m: Uint8Array) => m.reduce((s, v) => s + v, 0);

/** Every block of the grid `floor((v + offset) / size)` holds one value; returns the number of masked blocks. */
function assertBlockConstant(mask: Uint8Array, shape: Vec3, size: Vec3, offset: Vec3 = [0, 0, 0]): number {
  const value = new Map<number, number>();
  for (let k = 0, p = 0; k < shape[2]; k++) {
    for (let j = 0; j < shape[1]; j++) {
      for (let i = 0; i < shape[0]; i++, p++) {
        const b = [i, j, k].map((v, d) => Math.floor((v + offset[d]) / size[d]));
        const key = b[0] + 1024 * (b[1] + 1024 * b[2]);
        const seen = value.get(key);
        if (seen === undefined) value.set(key, mask[p]);
        else assertEquals(mask[p], seen, `block ${key} is not constant`);
      }
    }
  }
  return [...value.values()].filter((v) => v === 1).length;
}

Deno.test("blockMask() masks exactly 60 % of the authors' 24×24×16 blocks of a 96×96×64 crop", () => {
  const shape: Vec3 = [96, 96, 64];
  for (let seed = 0; seed < 3; seed++) {
    const mask = blockMask(shape, new Rng(seed), { probability: 1 });
    assertEquals(assertBlockConstant(mask, shape, [24, 24, 16]), 38); // round(0.6 · 64)
    assertEquals(sum(mask), 38 * 24 * 24 * 16);
  }
});

Deno.test("blockMask() defaults to blocks of a quarter of the crop and masks round(ratio · blocks)", () => {
  const shape: Vec3 = [32, 32, 20];
  const mask = blockMask(shape, new Rng(1), { probability: 1, ratio: 0.3 });
  assertEquals(assertBlockConstant(mask, shape, [8, 8, 5]), Math.round(0.3 * 64));
  const uneven: Vec3 = [10, 9, 7]; // blocks 3×3×2: 4·3·4 = 48 blocks, the last ones partial
  const m2 = blockMask(uneven, new Rng(2), { probability: 1, ratio: 0.5 });
  assertEquals(assertBlockConstant(m2, uneven, [3, 3, 2]), 24);
  assertEquals(sum(blockMask(shape, new Rng(3), { probability: 1, ratio: 0 })), 0);
  assertEquals(sum(blockMask(shape, new Rng(3), { probability: 1, ratio: 1 })), 32 * 32 * 20);
});

Deno.test("blockMask() with probability 0 masks nothing, and masks with the given probability", () => {
  const shape: Vec3 = [16, 16, 8];
  for (let seed = 0; seed < 10; seed++) assertEquals(sum(blockMask(shape, new Rng(seed), { probability: 0 })), 0);
  const rng = new Rng(7);
  let masked = 0;
  const n = 500;
  for (let t = 0; t < n; t++) if (sum(blockMask(shape, rng)) > 0) masked++; // p = 0.9 by default
  assert(Math.abs(masked / n - 0.9) < 4 * Math.sqrt(0.09 / n), `${masked} of ${n}`);
});

Deno.test("blockMask() with a random offset stays block-constant on the shifted grid", () => {
  const shape: Vec3 = [16, 16, 8];
  const offsets = new Set<string>();
  for (let seed = 0; seed < 20; seed++) {
    const mask = blockMask(shape, new Rng(seed), { probability: 1, blockVox: [4, 4, 2], randomOffset: true });
    // Find the offset that makes the mask block-constant; the grid then has ceil((n + o) / b) blocks per axis.
    let found = false;
    for (let oi = 0; oi < 4 && !found; oi++) {
      for (let oj = 0; oj < 4 && !found; oj++) {
        for (let ok = 0; ok < 2 && !found; ok++) {
          try {
            const blocks = [16 + oi, 16 + oj, 8 + ok].map((n, d) => Math.ceil(n / [4, 4, 2][d]));
            const count = assertBlockConstant(mask, shape, [4, 4, 2], [oi, oj, ok]);
            assertEquals(count, Math.round(0.6 * blocks[0] * blocks[1] * blocks[2]));
            offsets.add(`${oi},${oj},${ok}`);
            found = true;
          } catch {
            // not this offset
          }
        }
      }
    }
    assert(found, `seed ${seed}: no grid offset explains the mask`);
  }
  assert(offsets.size > 3, "offsets vary");
});

Deno.test("blockMask() is reproducible and rejects bad options", () => {
  const shape: Vec3 = [16, 16, 8];
  assertEquals(blockMask(shape, new Rng(1)), blockMask(shape, new Rng(1)));
  const rng = new Rng(1);
  assertThrows(() => blockMask([16, 0, 8], rng), RangeError, "cropVox [16, 0, 8]");
  assertThrows(() => blockMask(shape, rng, { blockVox: [4, 4, 0.5] }), RangeError, "blockVox [4, 4, 0.5]");
  assertThrows(() => blockMask(shape, rng, { ratio: 1.2 }), RangeError, "ratio 1.2");
  assertThrows(() => blockMask(shape, rng, { probability: -0.1 }), RangeError, "probability -0.1");
});
