import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { createVolume } from "../../src/io/mod.ts";
import { windowHu } from "../../src/preprocess/mod.ts";
import { LPS_AFFINE } from "./_fixtures.ts";

Deno.test("windowHu() clips and scales to [0, 1] in closed form", () => {
  const hu = [-3024, -1000, -350, 0, 300, 1500, -999, 299];
  const ct = createVolume(new Int16Array(hu), [2, 2, 2], LPS_AFFINE, "HU");
  const out = windowHu(ct);
  assert(out.data instanceof Float32Array);
  assertEquals(out.unit, "unit");
  assertEquals(out.shape, ct.shape);
  assertEquals(out.affine, ct.affine);
  hu.forEach((v, p) => assertAlmostEquals(out.data[p], (Math.min(Math.max(v, -1000), 300) + 1000) / 1300, 1e-7));
  assertEquals(out.data[2], 0.5);
  const lung = windowHu(ct, { minHu: -1000, maxHu: -400 });
  assertEquals(lung.data[2], 1); // −350 HU is above the lung window
  assertAlmostEquals(lung.data[6], 1 / 600, 1e-7);
});

Deno.test("windowHu() keeps NaN voxels NaN", () => {
  const out = windowHu(createVolume(new Float32Array([NaN, 0]), [2, 1, 1], LPS_AFFINE, "HU"));
  assert(Number.isNaN(out.data[0]));
  assertAlmostEquals(out.data[1], 1000 / 1300, 1e-7);
});

Deno.test("windowHu() throws a RangeError on a bad window", () => {
  const ct = createVolume(new Int16Array(1), [1, 1, 1], LPS_AFFINE, "HU");
  assertThrows(() => windowHu(ct, { minHu: 300, maxHu: 300 }), RangeError, "current values are 300 and 300");
  assertThrows(() => windowHu(ct, { minHu: 400, maxHu: 300 }), RangeError, "minHu must be < maxHu");
  assertThrows(() => windowHu(ct, { minHu: -Infinity }), RangeError);
  assertThrows(() => windowHu(ct, { maxHu: NaN }), RangeError);
});
