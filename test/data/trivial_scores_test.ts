import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { huDensityScore, rawHuScore } from "../../src/data/mod.ts";
import { createVolume, identity4 } from "../../src/io/mod.ts";

const hu = createVolume(Int16Array.of(-1000, 0, 3, 4, 12, -1000), [6, 1, 1], identity4(), "HU");
const body = createVolume(Uint8Array.of(0, 1, 1, 1, 1, 0), [6, 1, 1], identity4(), "label");

Deno.test("rawHuScore() returns the CT numbers as float32 scores", () => {
  const s = rawHuScore(hu);
  assertEquals(s.unit, "score");
  assertEquals(Array.from(s.data), [-1000, 0, 3, 4, 12, -1000]);
});

Deno.test("huDensityScore() is −log of the histogram density inside the body", () => {
  // Bins of 5 HU: [0, 5) holds 3 of 4 body voxels, [10, 15) holds 1.
  const s = huDensityScore(hu, body, { binWidthHu: 5 });
  const common = -Math.log(3 / (4 * 5)), rare = -Math.log(1 / (4 * 5));
  const expected = [common, common, common, common, rare, common]; // outside the body: the lowest score
  for (let n = 0; n < 6; n++) assertAlmostEquals(s.data[n], expected[n], 1e-5);
  // Default bin width is 5 HU.
  assertEquals(huDensityScore(hu, body).data, s.data);
});

Deno.test("huDensityScore() throws RangeError on a bad bin width, another grid or an empty body", () => {
  assertThrows(() => huDensityScore(hu, body, { binWidthHu: 0 }), RangeError, "binWidthHu 0");
  const other = createVolume(new Uint8Array(6).fill(1), [3, 2, 1], identity4(), "label");
  assertThrows(() => huDensityScore(hu, other), RangeError, "grid");
  const empty = createVolume(new Uint8Array(6), [6, 1, 1], identity4(), "label");
  assertThrows(() => huDensityScore(hu, empty), RangeError, "empty");
});
