import { assert, assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { deriveSeed, Rng } from "../../src/data/mod.ts";

Deno.test("Rng repeats its sequence for the same seed and differs for another", () => {
  const draw = (seed: number) => {
    const r = new Rng(seed);
    return Array.from({ length: 8 }, () => r.nextUint32());
  };
  assertEquals(draw(1), draw(1));
  assertNotEquals(draw(1), draw(2));
  assertNotEquals(draw(0), draw(-1));
  assertNotEquals(draw(2 ** 40), draw(2 ** 40 + 2 ** 32)); // high bits matter
});

Deno.test("Rng draws have the documented ranges and moments", () => {
  const r = new Rng(3);
  const n = 200000;
  let sum = 0, sum2 = 0, usum = 0;
  for (let i = 0; i < n; i++) {
    const z = r.normal(2, 3);
    sum += z;
    sum2 += z * z;
    const u = r.next();
    assert(u >= 0 && u < 1);
    usum += u;
    const k = r.int(-2, 3);
    assert(Number.isInteger(k) && k >= -2 && k < 3);
    const l = r.logUniform(3, 15);
    assert(l >= 3 && l < 15);
  }
  const mean = sum / n;
  assertAlmostEquals(mean, 2, 0.03);
  assertAlmostEquals(Math.sqrt(sum2 / n - mean * mean), 3, 0.03);
  assertAlmostEquals(usum / n, 0.5, 0.005);
  const counts = [0, 0, 0];
  for (let i = 0; i < 30000; i++) counts[r.weighted([1, 0, 2])]++;
  assertEquals(counts[1], 0);
  assertAlmostEquals(counts[2] / counts[0], 2, 0.1);
});

Deno.test("Rng.fork() depends only on the seed and key, not on draws made before", () => {
  const a = new Rng(5), b = new Rng(5);
  for (let i = 0; i < 10; i++) b.next();
  assertEquals(a.fork("noise").next(), b.fork("noise").next());
  assertNotEquals(a.fork("noise").next(), a.fork("lesions").next());
});

Deno.test("deriveSeed() is stable, key-sensitive and rejects non-integers", () => {
  assertEquals(deriveSeed(42, 7), deriveSeed(42, 7));
  const seeds = new Set(Array.from({ length: 1000 }, (_, i) => deriveSeed(42, i)));
  assertEquals(seeds.size, 1000);
  assertNotEquals(deriveSeed(42, 1, 2), deriveSeed(42, 2, 1));
  assertNotEquals(deriveSeed(42, "a"), deriveSeed(42, "b"));
  for (const s of seeds) assert(Number.isInteger(s) && s >= 0 && s < 2 ** 32);
  assertThrows(() => deriveSeed(0.5), RangeError, "0.5");
  assertThrows(() => new Rng(NaN), RangeError, "NaN");
  assertThrows(() => new Rng(1).pick([]), RangeError);
  assertThrows(() => new Rng(1).weighted([0, 0]), RangeError);
});
