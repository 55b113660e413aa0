import { assert, assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { bootstrapMean } from "../../src/metrics/mod.ts";
import { Rng } from "../../src/data/mod.ts";

Deno.test("bootstrapMean() is deterministic for a seed and varies with it", () => {
  const rng = new Rng(51);
  const values = Array.from({ length: 20 }, () => rng.uniform(0.5, 1));
  const a = bootstrapMean(values, { seed: 3 }), b = bootstrapMean(values, { seed: 3 });
  assertEquals(a, b);
  assertNotEquals(bootstrapMean(values, { seed: 4 }).ci, a.ci);
  assertAlmostEquals(a.mean!, values.reduce((s, v) => s + v, 0) / 20, 1e-12);
  assert(a.ci![0] < a.mean! && a.mean! < a.ci![1]);
});

Deno.test("bootstrapMean() interval is close to the normal approximation for many cases", () => {
  const rng = new Rng(52);
  const values = Array.from({ length: 400 }, () => rng.normal(0.7, 0.1));
  const { mean, ci } = bootstrapMean(values, { samples: 4000, seed: 1 });
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean!) ** 2, 0) / (values.length - 1));
  const half = 1.96 * sd / Math.sqrt(values.length);
  assertAlmostEquals(ci![0], mean! - half, half * 0.15);
  assertAlmostEquals(ci![1], mean! + half, half * 0.15);
  // A wider level gives a wider interval.
  const wide = bootstrapMean(values, { samples: 4000, seed: 1, level: 0.99 }).ci!;
  assert(wide[0] < ci![0] && wide[1] > ci![1]);
});

Deno.test("bootstrapMean() leaves out nulls and handles zero or one case", () => {
  assertEquals(bootstrapMean([null, null]), { mean: null, ci: null, n: 0 });
  assertEquals(bootstrapMean([null, 0.4]), { mean: 0.4, ci: [0.4, 0.4], n: 1 });
  assertEquals(bootstrapMean([0.5, 0.5, 0.5]).ci, [0.5, 0.5]);
});

Deno.test("bootstrapMean() throws RangeError on bad options and values", () => {
  assertThrows(() => bootstrapMean([1], { samples: 0 }), RangeError, "0 samples");
  assertThrows(() => bootstrapMean([1], { level: 1 }), RangeError, "level 1");
  assertThrows(() => bootstrapMean([1, NaN]), RangeError, "NaN");
});
