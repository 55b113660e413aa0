import { assertAlmostEquals, assertGreater, assertLess } from "@std/assert";
import { oneCycleLr } from "../../src/train/mod.ts";

Deno.test("oneCycleLr() warms up linearly from peak/25 to the peak, then anneals by a cosine to peak/2.5e5", () => {
  const total = 100, peakLr = 1e-3;
  assertAlmostEquals(oneCycleLr(0, total, { peakLr }), peakLr / 25, 1e-15);
  assertAlmostEquals(oneCycleLr(5, total, { peakLr }), peakLr / 25 + (peakLr - peakLr / 25) * 0.5, 1e-15);
  assertAlmostEquals(oneCycleLr(10, total, { peakLr }), peakLr, 1e-15);
  assertAlmostEquals(oneCycleLr(99, total, { peakLr }), peakLr / 25 / 1e4, 1e-15);
  // Cosine midpoint of the annealing phase: halfway between peak and final.
  const mid = 10 + (99 - 10) / 2;
  assertAlmostEquals(oneCycleLr(mid, total, { peakLr }), (peakLr + peakLr / 2.5e5) / 2, 1e-12);
  for (let s = 11; s < 99; s++) assertLess(oneCycleLr(s + 1, total, { peakLr }), oneCycleLr(s, total, { peakLr }));
  for (let s = 0; s < 10; s++) assertGreater(oneCycleLr(s + 1, total, { peakLr }), oneCycleLr(s, total, { peakLr }));
});
