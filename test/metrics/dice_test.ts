import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { bestDice, diceAtThreshold, diceOfCounts } from "../../src/metrics/mod.ts";
import { Rng } from "../../src/data/mod.ts";
import { referenceBestDice } from "./_reference.ts";

Deno.test("bestDice() equals a brute-force sweep over every distinct score", () => {
  const rng = new Rng(41);
  for (const [n, rate, levels, masked] of [[3000, 0.05, 0, false], [3000, 0.3, 2, false], [2000, 0.1, 4, true]]) {
    const labels = Uint8Array.from({ length: n as number }, () => (rng.bool(rate as number) ? 1 : 0));
    const scores = Float32Array.from(labels, (l) => {
      const s = rng.normal(l ? 1.5 : 0, 1);
      return levels ? Math.round(s * (levels as number)) / (levels as number) : s;
    });
    const mask = masked ? Uint8Array.from(labels, () => (rng.bool(0.7) ? 1 : 0)) : undefined;
    const expected = referenceBestDice(scores, labels, mask);
    const got = bestDice(scores, labels, { mask });
    assertAlmostEquals(got.dice, expected.dice, 1e-12);
    assertEquals(got.threshold, expected.threshold);
    assertAlmostEquals(diceAtThreshold(scores, labels, { threshold: got.threshold, mask })!, got.dice, 1e-12);
  }
});

Deno.test("bestDice() is 1 for a perfect score and takes the highest threshold on a plateau", () => {
  const labels = Uint8Array.of(0, 1, 1, 0, 1);
  assertEquals(bestDice(Float32Array.of(0, 3, 2, 1, 2), labels), {
    dice: 1,
    threshold: 2,
    truePositives: 3,
    falsePositives: 0,
  });
  // All scores equal: the only threshold predicts everything: 2·3 / (3 + 5).
  assertEquals(bestDice(new Float32Array(5).fill(7), labels).dice, 0.75);
});

Deno.test("diceAtThreshold() returns null for empty lesion and prediction, 0 for false positives only", () => {
  const scores = Float32Array.of(0.1, 0.2, 0.9);
  assertEquals(diceAtThreshold(scores, new Uint8Array(3), { threshold: 1 }), null);
  assertEquals(diceAtThreshold(scores, new Uint8Array(3), { threshold: 0.5 }), 0);
  assertEquals(diceAtThreshold(scores, Uint8Array.of(0, 0, 1), { threshold: 0.5 }), 1);
  assertEquals(diceAtThreshold(scores, Uint8Array.of(0, 0, 1), { threshold: 0.9 }), 1); // float32 0.9 ≥ 0.9
  assertEquals(diceAtThreshold(scores, Uint8Array.of(1, 0, 1), { threshold: 0.5, mask: Uint8Array.of(0, 1, 1) }), 1);
  assertEquals(diceOfCounts(0, 0, 0), null);
  assertEquals(diceOfCounts(4, 2, 2), 0.5);
});

Deno.test("bestDice() throws RangeError without lesion voxels or on bad input", () => {
  assertThrows(() => bestDice(Float32Array.of(1, 2), Uint8Array.of(0, 0)), RangeError, "0 lesion voxels");
  assertThrows(() => bestDice(Float32Array.of(1, 2), Uint8Array.of(0)), RangeError, "labels has 1 values");
  assertThrows(() => diceAtThreshold(Float32Array.of(NaN), Uint8Array.of(1), { threshold: 0 }), RangeError, "NaN");
});
