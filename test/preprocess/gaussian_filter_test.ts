import { assertEquals, assertLess, assertStringIncludes, assertThrows } from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import { gaussianFilter3d } from "../../src/preprocess/mod.ts";
import { runPython, tempDir } from "../_support/python.ts";
import { maxAbsDiff, readRawFloat32, writeRaw } from "./_fixtures.ts";

/** Random float32 values in [0, 1) (seeded). */
function randomData(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next());
}

Deno.test("gaussianFilter3d() equals scipy.ndimage.gaussian_filter (reflect) with anisotropic sigmas", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    // Small axes against large kernels exercise the periodic reflection (radius 6 on an axis of 3 voxels).
    const shape: [number, number, number] = [13, 9, 3];
    const data = randomData(shape[0] * shape[1] * shape[2], 11);
    await writeRaw(`${dir}/in.f32`, data);
    const cases: { sigma: [number, number, number]; truncate: number }[] = [
      { sigma: [1, 1, 1], truncate: 4 },
      { sigma: [0.7, 1.6, 0.4], truncate: 4 },
      { sigma: [2.3, 0, 1.5], truncate: 4 },
      { sigma: [0, 0.9, 0], truncate: 2.5 },
    ];
    const script = `
import sys, json, numpy as np
from scipy.ndimage import gaussian_filter
d, shape, cases = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
# The file is i fastest: numpy (k, j, i) in C order; sigmas reversed to match.
x = np.fromfile(f"{d}/in.f32", dtype=np.float32).reshape(shape[::-1])
for n, c in enumerate(cases):
    y = gaussian_filter(x, sigma=c["sigma"][::-1], truncate=c["truncate"])
    assert y.dtype == np.float32
    y.tofile(f"{d}/out{n}.f32")
print(json.dumps(len(cases)))
`;
    assertEquals(await runPython<number>(script, [dir, JSON.stringify(shape), JSON.stringify(cases)]), cases.length);
    for (const [n, c] of cases.entries()) {
      const ours = gaussianFilter3d(data, shape, c.sigma, c.truncate);
      const diff = maxAbsDiff(ours, await readRawFloat32(`${dir}/out${n}.f32`));
      assertLess(diff, 1e-5, `sigma [${c.sigma}] truncate ${c.truncate}: max |diff| ${diff}`);
    }
  } finally {
    await cleanup();
  }
});

Deno.test("gaussianFilter3d() keeps a constant, leaves the input alone, and is the identity for sigma 0", () => {
  const shape: [number, number, number] = [6, 5, 4];
  const constant = new Float32Array(120).fill(3.25);
  const smooth = gaussianFilter3d(constant, shape, [1.2, 2, 0.5]);
  assertLess(maxAbsDiff(smooth, constant), 1e-6);
  const data = randomData(120, 3);
  const copy = Float32Array.from(data);
  const same = gaussianFilter3d(data, shape, [0, 0, 0]);
  assertEquals(same, data);
  assertEquals(data, copy, "the input is not modified");
  // Mass is conserved by reflection (each kernel sums to 1 and the reflected weights fold back inside).
  const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
  assertLess(Math.abs(sum(gaussianFilter3d(data, shape, [1, 1, 1])) - sum(data)), 1e-3);
});

Deno.test("gaussianFilter3d() throws on bad input with the values in the message", () => {
  const data = new Float32Array(24);
  let error = assertThrows(() => gaussianFilter3d(data, [2, 3, 4], [1, -0.5, 1]), RangeError);
  assertStringIncludes(error.message, "sigmaVoxels is [1, -0.5, 1]: expected 3 finite numbers ≥ 0");
  error = assertThrows(() => gaussianFilter3d(data, [2, 3, 4], [1, NaN, 1]), RangeError);
  assertStringIncludes(error.message, "sigmaVoxels is [1, NaN, 1]");
  error = assertThrows(() => gaussianFilter3d(data, [2, 3, 5], [1, 1, 1]), TypeError);
  assertStringIncludes(error.message, "data has 24 values but shape 2×3×5 needs 30");
  error = assertThrows(() => gaussianFilter3d(data, [2, 0, 4] as [number, number, number], [1, 1, 1]), TypeError);
  assertStringIncludes(error.message, "shape is [2, 0, 4]: expected 3 positive integers");
  error = assertThrows(() => gaussianFilter3d(data, [2, 3, 4], [1, 1, 1], 0), RangeError);
  assertStringIncludes(error.message, "truncate is 0");
});
