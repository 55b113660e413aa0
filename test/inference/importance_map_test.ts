import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { gaussianImportanceMap } from "../../src/inference/mod.ts";
import type { Vec3 } from "../../src/io/mod.ts";

/** The closed form, from the definition: a separable Gaussian centred at (w − 1)/2, σ = w·scale, max 1, floored. */
function closedForm(windowVox: Vec3, [i, j, k]: Vec3, scale: number, floor: number): number {
  let value = 1, peak = 1;
  [i, j, k].forEach((t, d) => {
    const w = windowVox[d], sigma = w * scale, c = (w - 1) / 2;
    const g = (x: number) => Math.exp(-((x - c) ** 2) / (2 * sigma ** 2));
    value *= g(t);
    peak *= g(Math.floor(c)); // the voxel nearest the centre
  });
  return Math.max(floor, value / peak);
}

Deno.test("gaussianImportanceMap() equals the closed-form Gaussian with σ = w/8, floored at 1e-3", () => {
  for (const windowVox of [[7, 8, 5], [16, 12, 9], [1, 2, 3]] as Vec3[]) {
    const map = gaussianImportanceMap(windowVox);
    assertEquals(map.length, windowVox[0] * windowVox[1] * windowVox[2]);
    for (let k = 0, q = 0; k < windowVox[2]; k++) {
      for (let j = 0; j < windowVox[1]; j++) {
        for (let i = 0; i < windowVox[0]; i++, q++) {
          const want = closedForm(windowVox, [i, j, k], 1 / 8, 1e-3);
          assertAlmostEquals(map[q], want, 1e-7 * want + 1e-12, `${windowVox} at ${[i, j, k]}`);
        }
      }
    }
  }
  // Other σ and floor.
  const map = gaussianImportanceMap([9, 9, 9], { sigmaScale: 0.3, minWeight: 0.2 });
  assertAlmostEquals(map[2 + 9 * (4 + 9 * 4)], closedForm([9, 9, 9], [2, 4, 4], 0.3, 0.2), 1e-7);
  assertAlmostEquals(map[0], 0.2, 1e-7);
});

Deno.test("gaussianImportanceMap() has maximum 1 at the centre, minimum ≥ 1e-3 and mirror symmetry", () => {
  const windowVox: Vec3 = [96, 96, 64];
  const map = gaussianImportanceMap(windowVox);
  const [w0, w1, w2] = windowVox;
  let max = 0, min = Infinity;
  for (const v of map) [max, min] = [Math.max(max, v), Math.min(min, v)];
  assertEquals(max, 1);
  assertEquals(min, Math.fround(1e-3)); // the corners (e⁻²⁴ before the floor) are floored
  assert(min >= 1e-3);
  // Even window: the 2×2×2 centre voxels all have weight 1.
  for (const [i, j, k] of [[47, 47, 31], [48, 48, 32], [47, 48, 32]]) assertEquals(map[i + w0 * (j + w1 * k)], 1);
  for (let q = 0; q < map.length; q += 997) {
    const i = q % w0, j = Math.floor(q / w0) % w1, k = Math.floor(q / (w0 * w1));
    assertEquals(map[q], map[(w0 - 1 - i) + w0 * ((w1 - 1 - j) + w1 * (w2 - 1 - k))]);
  }
});

Deno.test("gaussianImportanceMap() stays finite for a tiny σ", () => {
  // exp(−0.25 / (2σ²)) underflows to 0 here; normalising in the exponent keeps the centre at 1.
  assertEquals(Array.from(gaussianImportanceMap([4, 1, 1], { sigmaScale: 1e-4 })), [
    Math.fround(1e-3),
    1,
    1,
    Math.fround(1e-3),
  ]);
});

Deno.test("gaussianImportanceMap() throws RangeError quoting a bad window, σ or floor", () => {
  assertThrows(() => gaussianImportanceMap([0, 4, 4]), RangeError, "current value is [0, 4, 4]");
  assertThrows(() => gaussianImportanceMap([4, 4, 4], { sigmaScale: 0 }), RangeError, "sigmaScale");
  assertThrows(
    () => gaussianImportanceMap([4, 4, 4], { sigmaScale: Infinity }),
    RangeError,
    "current value is Infinity",
  );
  assertThrows(
    () => gaussianImportanceMap([4, 4, 4], { minWeight: 0 }),
    RangeError,
    "minWeight must be in (0, 1]: current value is 0",
  );
  assertThrows(() => gaussianImportanceMap([4, 4, 4], { minWeight: 1.5 }), RangeError, "current value is 1.5");
});
