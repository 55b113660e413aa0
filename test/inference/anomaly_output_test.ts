import { assert, assertEquals, assertGreater, assertLess, assertStrictEquals, assertThrows, fail } from "@std/assert";
import { finishAnomalyMap, maskToBody, slidingWindow } from "../../src/inference/mod.ts";
import {
  applyAffine,
  axcodesOf,
  createVolume,
  mat4Invert,
  mat4Multiply,
  readVolume,
  sameGrid,
  type Vec3,
  type Volume,
  writeVolume,
} from "../../src/io/mod.ts";
import { preprocessCt, resampleMaskToGrid } from "../../src/preprocess/mod.ts";
import { CT_DIR, runPython, tempDir } from "../_support/python.ts";
import { maxRelDiff, TEST_AFFINE } from "./_fixtures.ts";

Deno.test("maskToBody() sets the outside to the minimum score inside the body and leaves its inputs alone", () => {
  const score = createVolume(Float32Array.from([5, -2, 3, NaN, 0.5, -9, 4, 1]), [2, 2, 2], TEST_AFFINE, "other");
  const mask = createVolume(Uint8Array.from([1, 0, 1, 1, 1, 0, 0, 1]), [2, 2, 2], TEST_AFFINE, "label");
  const before = score.data.slice();
  const { map, minScore } = maskToBody(score, mask);
  assertEquals(minScore, 0.5); // −2, −9 and 4 are outside; NaN is ignored
  assertEquals(Array.from(map.data), [5, 0.5, 3, NaN, 0.5, 0.5, 0.5, 1]);
  assertEquals([map.shape, map.affine, map.unit], [score.shape, score.affine, "score"]);
  assertEquals(score.data, before);
});

Deno.test("maskToBody() and finishAnomalyMap() throw on a grid mismatch, an empty body or no finite score", () => {
  const score = createVolume(new Float32Array(8).fill(1), [2, 2, 2], TEST_AFFINE);
  const body = createVolume(new Uint8Array(8).fill(1), [2, 2, 2], TEST_AFFINE, "label");
  const original = { shape: [2, 2, 2] as Vec3, affine: TEST_AFFINE };
  const other = createVolume(new Uint8Array(8).fill(1), [2, 2, 2], TEST_AFFINE.map((v, e) => (e === 0 ? 2 * v : v)));
  assertThrows(() => finishAnomalyMap(score, { bodyMask: other, original }), TypeError, "are on different grids");
  const empty = createVolume(new Uint8Array(8), [2, 2, 2], TEST_AFFINE, "label");
  assertThrows(() => finishAnomalyMap(score, { bodyMask: empty, original }), RangeError, "the body mask is empty");
  const nan = createVolume(new Float32Array(8).fill(NaN), [2, 2, 2], TEST_AFFINE);
  assertThrows(() => maskToBody(nan, body), RangeError, "none of the 8 body voxels has a finite score");
});

/** 1 where the voxel and its 26 neighbours inside the grid all have mask value `value`. */
function allNeighbours(mask: Volume<Uint8Array>, value: 0 | 1): Volume<Uint8Array> {
  const [n0, n1, n2] = mask.shape;
  const out = new Uint8Array(mask.data.length);
  const is = (i: number, j: number, k: number) =>
    i < 0 || j < 0 || k < 0 || i >= n0 || j >= n1 || k >= n2 ||
    (mask.data[i + n0 * (j + n1 * k)] !== 0 ? 1 : 0) === value;
  for (let k = 0, p = 0; k < n2; k++) {
    for (let j = 0; j < n1; j++) {
      for (let i = 0; i < n0; i++, p++) {
        let all = true;
        for (let dk = -1; dk <= 1 && all; dk++) {
          for (let dj = -1; dj <= 1 && all; dj++) {
            for (let di = -1; di <= 1 && all; di++) all = is(i + di, j + dj, k + dk);
          }
        }
        out[p] = all ? 1 : 0;
      }
    }
  }
  return createVolume(out, mask.shape, mask.affine, "label");
}

/** Box minimum and maximum of radius `radius[d]` voxels along each axis (separable, clipped at the border). */
function localMinMax(data: Float64Array, shape: Vec3, radius: Vec3): [Float64Array, Float64Array] {
  let lo = data, hi = data;
  for (let d = 0; d < 3; d++) {
    const stride = [1, shape[0], shape[0] * shape[1]][d], n = shape[d], r = radius[d];
    const nextLo = new Float64Array(data.length), nextHi = new Float64Array(data.length);
    for (let p = 0; p < data.length; p++) {
      const t = Math.floor(p / stride) % n;
      let a = Infinity, b = -Infinity;
      for (let o = Math.max(-r, -t); o <= Math.min(r, n - 1 - t); o++) {
        a = Math.min(a, lo[p + o * stride]);
        b = Math.max(b, hi[p + o * stride]);
      }
      nextLo[p] = a;
      nextHi[p] = b;
    }
    [lo, hi] = [nextLo, nextHi];
  }
  return [lo, hi];
}

const NIBABEL = `
import sys, json, numpy as np, nibabel as nib
src, out = nib.load(sys.argv[1]), nib.load(sys.argv[2])
raw = np.fromfile(sys.argv[3], dtype="<f4")
data = np.asarray(out.dataobj)
print(json.dumps({
  "shape": list(out.shape), "srcShape": list(src.shape), "dtype": str(out.get_data_dtype()),
  "affine": out.affine.ravel().tolist(), "srcAffine": src.affine.ravel().tolist(),
  "maxDiff": float(np.max(np.abs(data.ravel(order="F").astype(np.float64) - raw))),
}))
`;

/**
 * Real scan → preprocessCt at 3 mm → slidingWindow with the intensity itself as the score → finishAnomalyMap, and
 * the checks that hold for that predictor:
 * - grid: shape and affine are the input's, in memory and for nibabel reading the written float32 NIfTI;
 * - outside the body: a scan voxel whose 8 trilinear neighbours on the preprocessed grid are all outside the body
 *   (or beyond the crop) gets exactly the minimum score inside the body;
 * - inside the body (all 8 neighbours inside): the value is a convex combination of windowed, trilinearly resampled HU,
 *   and the window is monotone, so it lies between the smallest and largest windowed input HU within one preprocessed
 *   voxel (3 mm) plus one input voxel of it, i.e. within `ceil(3 / s_d) + 1` voxels along axis d. Where the scan voxel's
 *   centre coincides with a preprocessed voxel's centre, the interpolation weights are 0 and 1, so it is exact.
 */
async function checkRealSample(file: string, axcodes: string): Promise<void> {
  const path = `${CT_DIR}/${file}`;
  const ct = await readVolume(path, { unit: "HU" });
  assertEquals(axcodesOf(ct.affine), axcodes);
  const pre = preprocessCt(ct, { spacingMm: [3, 3, 3] });
  const intensity = (windows: Float32Array) => Promise.resolve(windows.slice());
  const score = await slidingWindow(pre.image, intensity, { windowVox: [32, 32, 24], batchSize: 2 });
  assertLess(maxRelDiff(score.data, pre.image.data), 2e-6);

  const out = finishAnomalyMap(score, pre);
  assert(out.data instanceof Float32Array);
  assert(sameGrid(out, ct));
  assertEquals([out.shape, out.affine, out.unit], [ct.shape, ct.affine, "score"]);

  let minInside = Infinity;
  for (let p = 0; p < score.data.length; p++) if (pre.bodyMask.data[p]) minInside = Math.min(minInside, score.data[p]);
  const outer = resampleMaskToGrid(allNeighbours(pre.bodyMask, 0), ct, { fill: 1 }).data;
  const inner = resampleMaskToGrid(allNeighbours(pre.bodyMask, 1), ct, { fill: 0 }).data;
  const windowed = Float64Array.from(ct.data, (hu) => (Math.min(Math.max(hu, -1000), 300) + 1000) / 1300);
  const radius = ct.spacingMm.map((s) => Math.ceil(3 / s) + 1) as unknown as Vec3;
  const [lo, hi] = localMinMax(windowed, ct.shape, radius);
  const toPre = mat4Multiply(mat4Invert(pre.image.affine), ct.affine);
  const [n0, n1] = ct.shape;
  let outside = 0, inside = 0, exact = 0;
  for (let p = 0; p < out.data.length; p++) {
    const v = out.data[p];
    if (outer[p]) {
      outside++;
      if (!(Math.abs(v - minInside) <= 1e-6)) fail(`${file}: outside voxel ${p} is ${v}, not ${minInside}`);
    }
    if (!inner[p]) continue;
    inside++;
    if (!(v >= lo[p] - 1e-6 && v <= hi[p] + 1e-6)) fail(`${file}: voxel ${p} is ${v}, outside [${lo[p]}, ${hi[p]}]`);
    const x = applyAffine(toPre, [p % n0, Math.floor(p / n0) % n1, Math.floor(p / (n0 * n1))]);
    if (x.every((c) => Math.abs(c - Math.round(c)) < 1e-4)) {
      exact++;
      if (!(Math.abs(v - windowed[p]) <= 1e-6)) fail(`${file}: coinciding voxel ${p} is ${v}, not ${windowed[p]}`);
    }
  }
  const label = `${file}: ${outside} outside, ${inside} inside, ${exact} exact of ${out.data.length}`;
  assertGreater(outside, 0.05 * out.data.length, label);
  assertGreater(inside, 0.2 * out.data.length, label);
  // 3 / spacing an integer along every axis: every preprocessed voxel centre is a scan voxel centre.
  if (ct.spacingMm.every((s) => Math.abs(3 / s - Math.round(3 / s)) < 1e-4)) assertGreater(exact, 0.1 * inside, label);
  if (ct.spacingMm.every((s) => Math.abs(s - 3) < 1e-4)) assertEquals(exact, inside, label); // the grids coincide

  const { dir, cleanup } = await tempDir();
  try {
    await writeVolume(`${dir}/anomaly.nii.gz`, out);
    await Deno.writeFile(
      `${dir}/anomaly.f32`,
      new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength),
    );
    const nib = await runPython<{
      shape: number[];
      srcShape: number[];
      dtype: string;
      affine: number[];
      srcAffine: number[];
      maxDiff: number;
    }>(NIBABEL, [path, `${dir}/anomaly.nii.gz`, `${dir}/anomaly.f32`]);
    assertEquals([nib.dtype, nib.shape, nib.srcShape], ["float32", [...ct.shape], [...ct.shape]]);
    for (let e = 0; e < 16; e++) {
      assertLess(Math.abs(nib.affine[e] - nib.srcAffine[e]), 1e-4, `${file}: affine entry ${e}`);
      assertLess(Math.abs(nib.affine[e] - ct.affine[e]), 1e-4, `${file}: affine entry ${e}`);
    }
    assertStrictEquals(nib.maxDiff, 0);
  } finally {
    await cleanup();
  }
}

Deno.test("finishAnomalyMap() puts an intensity map back on the grid of a RAS scan (totalseg_example_ct_sm_3mm)", () =>
  checkRealSample("totalseg_example_ct_sm_3mm.nii.gz", "RAS"));

Deno.test("finishAnomalyMap() puts an intensity map back on the grid of an LPS scan (totalseg_chest_cta_cropped_1p5mm)", () =>
  checkRealSample("totalseg_chest_cta_cropped_1p5mm.nii.gz", "LPS"));

Deno.test("finishAnomalyMap() puts an intensity map back on the grid of an LPS scan (cip_ct-64_chest)", () =>
  checkRealSample("cip_ct-64_chest.nii.gz", "LPS"));
