import { assert, assertEquals, assertLess, assertThrows } from "@std/assert";
import { finishAnomalyMap, maskToBody, smoothWithinBody } from "../../src/inference/mod.ts";
import { createVolume, type Vec3 } from "../../src/io/mod.ts";
import { restoreToOriginal } from "../../src/preprocess/mod.ts";
import { runPython, tempDir } from "../_support/python.ts";
import { seeded, TEST_AFFINE } from "./_fixtures.ts";

const SHAPE: Vec3 = [12, 10, 7];
const N = SHAPE[0] * SHAPE[1] * SHAPE[2];

/** A seeded body mask: an off-centre ellipsoid plus random holes, so the body has edges inside the grid. */
function bodyMask(seed: number) {
  const rnd = seeded(seed);
  const data = new Uint8Array(N);
  for (let k = 0, p = 0; k < SHAPE[2]; k++) {
    for (let j = 0; j < SHAPE[1]; j++) {
      for (let i = 0; i < SHAPE[0]; i++, p++) {
        const r = ((i - 5) / 5) ** 2 + ((j - 4) / 4.5) ** 2 + ((k - 3) / 3.5) ** 2;
        data[p] = r < 1 && rnd() > 0.1 ? 1 : 0;
      }
    }
  }
  return createVolume(data, SHAPE, TEST_AFFINE, "label");
}

Deno.test("smoothWithinBody() keeps a map that is constant on the body constant, whatever lies outside", () => {
  const body = bodyMask(1);
  const rnd = seeded(2);
  // 3.5 on the body, wild values (and a NaN) outside: none of them may leak in.
  const data = Float32Array.from({ length: N }, (_, p) => (body.data[p] ? 3.5 : 1000 * (rnd() - 0.5)));
  data[0] = NaN;
  const score = createVolume(data, SHAPE, TEST_AFFINE, "score");
  const before = data.slice();
  const out = smoothWithinBody(score, body, 2.5);
  for (let p = 0; p < N; p++) {
    if (body.data[p]) assertLess(Math.abs(out.data[p] - 3.5), 1e-5, `body voxel ${p}`);
    else assert(Object.is(out.data[p], data[p]), `outside voxel ${p} keeps its value`);
  }
  assertEquals([out.shape, out.affine, out.unit], [score.shape, score.affine, "score"]);
  assertEquals(score.data, before, "the input is not modified");
  // σ = 0 is a float32 copy.
  assertEquals(smoothWithinBody(score, body, 0).data, before);
});

Deno.test("smoothWithinBody() equals a normalised convolution with scipy.ndimage.gaussian_filter (σ in mm)", async () => {
  const body = bodyMask(3);
  const rnd = seeded(4);
  const data = Float32Array.from({ length: N }, () => 10 * rnd() - 2);
  data[body.data.indexOf(1)] = NaN; // a NaN body score is left out of every average
  const sigmaMm = 1.7; // TEST_AFFINE's voxels are 0.8 × 0.9 × 1.5 mm
  const { dir, cleanup } = await tempDir();
  try {
    await Deno.writeFile(`${dir}/s.f32`, new Uint8Array(data.buffer));
    await Deno.writeFile(`${dir}/m.u8`, body.data);
    const script = `
import sys, json, numpy as np
from scipy.ndimage import gaussian_filter
d, shape, sigma = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
s = np.fromfile(f"{d}/s.f32", dtype=np.float32).reshape(shape[::-1]).astype(np.float64)
m = (np.fromfile(f"{d}/m.u8", dtype=np.uint8).reshape(shape[::-1]) > 0) & np.isfinite(s)
sig = [sigma[2], sigma[1], sigma[0]]  # (k, j, i) order
num = gaussian_filter(np.where(m, s, 0.0), sig)
den = gaussian_filter(m.astype(np.float64), sig)
out = np.where(np.fromfile(f"{d}/m.u8", dtype=np.uint8).reshape(shape[::-1]) > 0, num / den, s)
out.astype(np.float32).tofile(f"{d}/out.f32")
print(json.dumps(int(m.sum())))
`;
    const spacing = [0.8, 0.9, 1.5];
    const finite = await runPython<number>(script, [
      dir,
      JSON.stringify(SHAPE),
      JSON.stringify(spacing.map((mm) => sigmaMm / mm)),
    ]);
    let bodyCount = 0;
    for (const v of body.data) bodyCount += v;
    assertEquals(finite, bodyCount - 1);
    const want = new Float32Array((await Deno.readFile(`${dir}/out.f32`)).buffer);
    const got = smoothWithinBody(createVolume(data, SHAPE, TEST_AFFINE, "score"), body, sigmaMm).data;
    let worst = 0;
    for (let p = 0; p < N; p++) {
      if (Number.isNaN(want[p])) assert(Number.isNaN(got[p]), `voxel ${p}: NaN expected`);
      else worst = Math.max(worst, Math.abs(got[p] - want[p]));
    }
    assertLess(worst, 1e-4);
  } finally {
    await cleanup();
  }
});

Deno.test("smoothWithinBody() lowers an isolated spike and keeps most of a lesion-sized block", () => {
  // Closed forms for a body that fills the grid: a single voxel of height h keeps h·Π_axes w0, w0 the kernel's
  // centre weight; a block much wider than σ keeps ≈ its height at its centre.
  const shape: Vec3 = [41, 41, 41];
  const affine = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const n = 41 ** 3, at = (i: number, j: number, k: number) => i + 41 * (j + 41 * k);
  const body = createVolume(new Uint8Array(n).fill(1), shape, affine, "label");
  const spike = new Float32Array(n);
  spike[at(20, 20, 20)] = 100;
  const block = new Float32Array(n);
  for (let k = 10; k <= 30; k++) for (let j = 10; j <= 30; j++) for (let i = 10; i <= 30; i++) block[at(i, j, k)] = 100;
  const sigma = 2;
  const radius = Math.floor(4 * sigma + 0.5);
  let sum = 0;
  for (let x = -radius; x <= radius; x++) sum += Math.exp(-0.5 * x * x / (sigma * sigma));
  const w0 = 1 / sum;
  const s = smoothWithinBody(createVolume(spike, shape, affine, "score"), body, sigma).data;
  assertLess(Math.abs(s[at(20, 20, 20)] - 100 * w0 ** 3), 1e-4);
  const b = smoothWithinBody(createVolume(block, shape, affine, "score"), body, sigma).data;
  assertLess(Math.abs(b[at(20, 20, 20)] - 100), 1e-3); // 10 voxels = 5σ from every face
});

Deno.test("finishAnomalyMap() with smoothMm smooths inside the body, then masks and restores", () => {
  const body = bodyMask(5);
  const rnd = seeded(6);
  const score = createVolume(Float32Array.from({ length: N }, () => rnd()), SHAPE, TEST_AFFINE, "score");
  const original = { shape: [10, 9, 6] as Vec3, affine: TEST_AFFINE.map((v, e) => (e === 3 ? v + 0.4 : v)) };
  const got = finishAnomalyMap(score, { bodyMask: body, original }, 3);
  const { map, minScore } = maskToBody(smoothWithinBody(score, body, 3), body);
  assertEquals(got.data, restoreToOriginal(map, original, { fill: minScore }).data);
  assertEquals(
    finishAnomalyMap(score, { bodyMask: body, original }).data,
    finishAnomalyMap(score, { bodyMask: body, original }, 0).data,
  );
});

Deno.test("smoothWithinBody() rejects another grid and a bad sigma", () => {
  const body = bodyMask(1);
  const score = createVolume(new Float32Array(N), SHAPE, TEST_AFFINE, "score");
  const other = createVolume(new Uint8Array(N), [7, 10, 12], TEST_AFFINE, "label");
  assertThrows(() => smoothWithinBody(score, other, 2), TypeError, "are on different grids");
  assertThrows(() => smoothWithinBody(score, body, -1), RangeError, "sigmaMm is -1");
  assertThrows(() => smoothWithinBody(score, body, NaN), RangeError, "sigmaMm is NaN");
  assertThrows(() => finishAnomalyMap(score, { bodyMask: body, original: body }, Infinity), RangeError, "sigmaMm");
});
