import { assertEquals, assertThrows } from "@std/assert";
import { flopsOf } from "../../src/nn/mod.ts";

Deno.test("flopsOf() counts 2 per multiply-add of each op", () => {
  const x = [2, 32, 32, 32, 8], voxels = 2 * 32 ** 3;
  const same = (n: number) => ({ forward: n, inputGrad: n, weightGrad: n });
  assertEquals(flopsOf("conv3d", x, [3, 3, 3, 8, 16]), same(2 * voxels * 27 * 8 * 16));
  assertEquals(flopsOf("depthwiseConv3d", x, [7, 7, 7, 8]), same(2 * voxels * 343 * 8));
  assertEquals(flopsOf("pointwise", x, [8, 32]), same(2 * voxels * 8 * 32));
  assertEquals(flopsOf("patchDown", x, [64, 16]), same(2 * (voxels / 8) * 64 * 16));
  assertEquals(flopsOf("patchUp", x, [8, 128]), same(2 * voxels * 8 * 128));
  assertEquals(flopsOf("gelu", x), same(0));
});

Deno.test("flopsOf() rejects a non-NDHWC shape and a missing weight shape", () => {
  assertThrows(() => flopsOf("conv3d", [32, 32, 8], [3, 3, 3, 8, 8]), RangeError, "expected rank 5");
  assertThrows(() => flopsOf("pointwise", [1, 2, 2, 2, 8]), RangeError, "wShape is missing");
});
