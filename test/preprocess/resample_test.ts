import { assert, assertAlmostEquals, assertEquals, assertLess, assertThrows } from "@std/assert";
import {
  applyAffine,
  createVolume,
  type Mat4,
  mat4Invert,
  mat4Multiply,
  readVolume,
  reorient,
  type Vec3,
} from "../../src/io/mod.ts";
import { cropVolume, resampleToGrid, resampleToSpacing } from "../../src/preprocess/mod.ts";
import { CT_DIR, runPython, tempDir } from "../_support/python.ts";
import { LPS_AFFINE, maxAbsDiff, ramp, rampVolume, RAS_AFFINE, readRawFloat32, writeRaw } from "./_fixtures.ts";

const SMALL_CT = `${CT_DIR}/totalseg_example_ct_sm_3mm.nii.gz`;

/** Asserts that every voxel of `vol` equals {@linkcode ramp} at its world centre (float32 tolerance). */
function assertRamp(vol: { data: ArrayLike<number>; shape: Vec3; affine: Mat4 }, tolerance = 2e-3): void {
  const [n0, n1, n2] = vol.shape;
  let worst = 0;
  for (let k = 0, p = 0; k < n2; k++) {
    for (let j = 0; j < n1; j++) {
      for (let i = 0; i < n0; i++, p++) {
        worst = Math.max(worst, Math.abs(vol.data[p] - ramp(applyAffine(vol.affine, [i, j, k]))));
      }
    }
  }
  assertLess(worst, tolerance);
}

Deno.test("resampleToSpacing() keeps a world-linear ramp exact", () => {
  for (const affine of [RAS_AFFINE, LPS_AFFINE]) {
    const src = rampVolume([23, 19, 11], affine);
    for (const target of [[1, 1, 1.5], [0.5, 0.45, 1.1], [2.2, 0.9, 3]] as Vec3[]) {
      const out = resampleToSpacing(src, target);
      assert(out.data instanceof Float32Array);
      assertEquals(out.unit, "HU");
      for (let d = 0; d < 3; d++) {
        assertAlmostEquals(out.spacingMm[d], target[d], 1e-12);
        assertEquals(out.shape[d], Math.floor(((src.shape[d] - 1) * src.spacingMm[d]) / target[d] + 1e-9) + 1);
        // Direction kept: column d of the new affine is column d of the old one scaled by s′/s.
        for (let r = 0; r < 3; r++) {
          assertAlmostEquals(out.affine[4 * r + d], (affine[4 * r + d] * target[d]) / src.spacingMm[d], 1e-12);
        }
        // Voxel 0 keeps its centre; the last new centre lies within the old extent.
        assertEquals(out.affine[4 * d + 3], affine[4 * d + 3]);
        assert((out.shape[d] - 1) * target[d] <= (src.shape[d] - 1) * src.spacingMm[d] + 1e-9);
      }
      assertRamp(out);
    }
  }
});

Deno.test("resampleToSpacing() keeps every voxel when the spacing is unchanged", () => {
  const src = rampVolume([7, 6, 5], LPS_AFFINE);
  const out = resampleToSpacing(src, [0.75, 0.9, 2]);
  assertEquals(out.shape, src.shape);
  assertEquals(out.affine, src.affine);
  assertEquals(out.data, src.data);
});

Deno.test("resampleToSpacing() with nearest keeps labels and the array type", () => {
  const labels = new Uint8Array(10 * 8 * 6).map((_, p) => (p * 7) % 5);
  const vol = createVolume(labels, [10, 8, 6], RAS_AFFINE, "label");
  const target: Vec3 = [1.1, 0.47, 2.4]; // source index t·s′/s never ends in exactly .5 here
  const out = resampleToSpacing(vol, target, { order: "nearest" });
  assert(out.data instanceof Uint8Array);
  assertEquals(out.unit, "label");
  // Each new voxel holds the old voxel with the nearest centre, found here by brute force in world space.
  const [n0, n1, n2] = out.shape;
  for (let k = 0, p = 0; k < n2; k++) {
    for (let j = 0; j < n1; j++) {
      for (let i = 0; i < n0; i++, p++) {
        const x = [i, j, k].map((t, d) => (t * target[d]) / vol.spacingMm[d]);
        const q = Math.round(x[0]) + 10 * (Math.round(x[1]) + 8 * Math.round(x[2]));
        assertEquals(out.data[p], labels[q]);
      }
    }
  }
});

Deno.test("resampleToSpacing() throws on a bad spacing or order", () => {
  const vol = rampVolume([4, 4, 4], RAS_AFFINE);
  for (const bad of [[1, 0, 1], [1, -1, 1], [1, 1, NaN], [1, Infinity, 1]] as Vec3[]) {
    const e = assertThrows(() => resampleToSpacing(vol, bad), RangeError);
    assert(e.message.startsWith("Cannot resample volume"));
  }
  // @ts-expect-error: the order is checked at run time too
  assertThrows(() => resampleToSpacing(vol, [1, 1, 1], { order: "cubic" }), RangeError, 'order "cubic"');
});

Deno.test("resampleToSpacing() matches scipy map_coordinates (order 1 and 0) on a real CT", async () => {
  const ct = await readVolume(SMALL_CT, { unit: "HU" });
  const { dir, cleanup } = await tempDir();
  try {
    // Linear to 2×2×2.5 mm; nearest to 2×2×2.2 mm (source index t·s′/s never ends in exactly .5, so no ties).
    const linear = resampleToSpacing(ct, [2, 2, 2.5]);
    const nearest = resampleToSpacing(ct, [2, 2, 2.2], { order: "nearest" });
    assert(nearest.data instanceof Int16Array);
    const script = `
import sys, json, numpy as np, nibabel as nib
from scipy.ndimage import map_coordinates
path, out_dir = sys.argv[1], sys.argv[2]
img = nib.load(path)
data = np.asarray(img.dataobj).astype(np.float64)
s = np.asarray(img.header.get_zooms()[:3], dtype=np.float64)
def grid(target, order):
    t = np.asarray(target, dtype=np.float64)
    n = np.floor((np.asarray(data.shape) - 1) * s / t + 1e-9).astype(int) + 1
    axes = [np.minimum(np.arange(n[d]) * t[d] / s[d], data.shape[d] - 1) for d in range(3)]
    coords = np.stack(np.meshgrid(*axes, indexing="ij")).reshape(3, -1)
    return n, map_coordinates(data, coords, order=order).reshape(n)
n1, lin = grid([2, 2, 2.5], 1)
n0, near = grid([2, 2, 2.2], 0)
lin.ravel(order="F").astype("<f4").tofile(out_dir + "/linear.f32")
near.ravel(order="F").astype("<f4").tofile(out_dir + "/nearest.f32")
print(json.dumps({"linear": n1.tolist(), "nearest": n0.tolist()}))
`;
    const shapes = await runPython<{ linear: number[]; nearest: number[] }>(script, [SMALL_CT, dir]);
    assertEquals(shapes.linear, [...linear.shape]);
    assertEquals(shapes.nearest, [...nearest.shape]);
    // float32 arithmetic on |HU| ≤ 3400: a few 1e-4 HU at most.
    assertLess(maxAbsDiff(linear.data, await readRawFloat32(`${dir}/linear.f32`)), 1e-2);
    assertEquals(maxAbsDiff(nearest.data, await readRawFloat32(`${dir}/nearest.f32`)), 0);
  } finally {
    await cleanup();
  }
});

/** Continuous index in `src` of target voxel (i, j, k), clamped to the source's centres. */
function clampedSourceIndex(m: Mat4, shape: Vec3, p: Vec3): [number, number, number] {
  const x = applyAffine(m, p);
  return [0, 1, 2].map((d) => Math.min(Math.max(x[d], 0), shape[d] - 1)) as [number, number, number];
}

/** Whether a continuous index lies in the source footprint [−0.5, n − 0.5] (with the library's 1e-6 slack). */
function inFootprint(x: readonly number[], shape: Vec3): boolean {
  return x.every((v, d) => v >= -0.5 - 1e-6 && v <= shape[d] - 0.5 + 1e-6);
}

Deno.test("resampleToGrid() round trip reproduces a world-linear ramp and fills outside the footprint", () => {
  for (const affine of [LPS_AFFINE, RAS_AFFINE]) {
    const original = rampVolume([31, 27, 13], affine);
    // Preprocessed-like grid: RAS, cropped, resampled; then back onto the original grid.
    const ras = reorient(original, "RAS");
    const pre = resampleToSpacing(cropVolume(ras, { start: [3, 2, 1], end: [28, 25, 12] }), [1, 1, 1.5]);
    const back = resampleToGrid(pre, original, { fill: -7 });
    assertEquals(back.shape, original.shape);
    assertEquals(back.affine, [...original.affine]);
    const m = mat4Multiply(mat4Invert(pre.affine), original.affine);
    let inside = 0, edge = 0, outside = 0;
    const [n0, n1, n2] = original.shape;
    for (let k = 0, p = 0; k < n2; k++) {
      for (let j = 0; j < n1; j++) {
        for (let i = 0; i < n0; i++, p++) {
          const x = applyAffine(m, [i, j, k]);
          if (!inFootprint(x, pre.shape)) {
            assertEquals(back.data[p], -7);
            outside++;
            continue;
          }
          // Inside the centres' extent: the exact ramp; in the outer half voxel: the ramp at the clamped index.
          const c = clampedSourceIndex(m, pre.shape, [i, j, k]);
          const expected = ramp(applyAffine(pre.affine, c));
          assertAlmostEquals(back.data[p], expected, 2e-3);
          if (c.every((v, d) => v === x[d])) inside++;
          else edge++;
        }
      }
    }
    assert(inside > 1000, `inside ${inside}`);
    assert(edge > 0 && outside > 0, `edge ${edge}, outside ${outside}`);
  }
});

Deno.test('resampleToGrid() with outside "clamp" continues the border value beyond the footprint', () => {
  for (const affine of [LPS_AFFINE, RAS_AFFINE]) {
    const original = rampVolume([31, 27, 13], affine);
    const pre = resampleToSpacing(reorient(original, "RAS"), [4.5, 4.5, 9]); // coarse: its far edge falls short
    const back = resampleToGrid(pre, original, { outside: "clamp", fill: -7 });
    const m = mat4Multiply(mat4Invert(pre.affine), original.affine);
    let beyond = 0;
    const [n0, n1, n2] = original.shape;
    for (let k = 0, p = 0; k < n2; k++) {
      for (let j = 0; j < n1; j++) {
        for (let i = 0; i < n0; i++, p++) {
          if (!inFootprint(applyAffine(m, [i, j, k]), pre.shape)) beyond++;
          const expected = ramp(applyAffine(pre.affine, clampedSourceIndex(m, pre.shape, [i, j, k])));
          assertAlmostEquals(back.data[p], expected, 2e-3);
        }
      }
    }
    assert(beyond > 0, "some target voxels lie beyond the coarse grid's footprint");
  }
  const vol = rampVolume([4, 4, 4], RAS_AFFINE);
  const oblique = {
    shape: [4, 4, 4] as Vec3,
    affine: [0.8, -0.6, 0, 0, 0.6, 0.8, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] as Mat4,
  };
  assertThrows(() => resampleToGrid(vol, oblique, { outside: "clamp" }), RangeError, "the index map is oblique");
  // @ts-expect-error: checked at run time too
  assertThrows(() => resampleToGrid(vol, vol, { outside: "wrap" }), RangeError, 'expected "fill" or "clamp"');
});

Deno.test("resampleToGrid() equals reorient() on a flipped and a permuted grid", () => {
  const labels = new Int16Array(9 * 7 * 5).map((_, p) => (p * 13) % 11 - 3);
  const vol = createVolume(labels, [9, 7, 5], LPS_AFFINE, "label");
  for (const codes of ["RAS", "LPI", "SLA", "ASR"]) {
    const want = reorient(vol, codes);
    const near = resampleToGrid(vol, want, { order: "nearest", fill: 99 });
    assert(near.data instanceof Int16Array);
    assertEquals(near.data, want.data);
    const lin = resampleToGrid(vol, want);
    assertLess(maxAbsDiff(lin.data, want.data), 1e-5);
  }
});

Deno.test("resampleToGrid() reproduces a ramp on an oblique grid and matches scipy there", async () => {
  const src = rampVolume([17, 15, 9], LPS_AFFINE);
  // Target grid rotated 20° about z and 10° about x, spacing 0.6×0.8×1.1 mm, centred in the source.
  const a = (20 * Math.PI) / 180, b = (10 * Math.PI) / 180;
  const rz = [Math.cos(a), -Math.sin(a), 0, 0, Math.sin(a), Math.cos(a), 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const rx = [1, 0, 0, 0, 0, Math.cos(b), -Math.sin(b), 0, 0, Math.sin(b), Math.cos(b), 0, 0, 0, 0, 1];
  const scale = [0.6, 0, 0, 0, 0, 0.8, 0, 0, 0, 0, 1.1, 0, 0, 0, 0, 1];
  const shape: Vec3 = [22, 18, 16];
  const centreSrc = applyAffine(src.affine, [8, 7, 4]);
  const lin = mat4Multiply(mat4Multiply(rz, rx), scale);
  const half = applyAffine(lin, [(shape[0] - 1) / 2, (shape[1] - 1) / 2, (shape[2] - 1) / 2]);
  const affine = [...lin];
  for (let r = 0; r < 3; r++) affine[4 * r + 3] = centreSrc[r] - half[r];
  const out = resampleToGrid(src, { shape, affine }, { fill: NaN });
  const m = mat4Multiply(mat4Invert(src.affine), affine);
  let inside = 0, outside = 0;
  for (let k = 0, p = 0; k < shape[2]; k++) {
    for (let j = 0; j < shape[1]; j++) {
      for (let i = 0; i < shape[0]; i++, p++) {
        const x = applyAffine(m, [i, j, k]);
        if (!inFootprint(x, src.shape)) {
          assert(Number.isNaN(out.data[p]));
          outside++;
          continue;
        }
        const c = clampedSourceIndex(m, src.shape, [i, j, k]);
        assertAlmostEquals(out.data[p], ramp(applyAffine(src.affine, c)), 2e-3);
        inside++;
      }
    }
  }
  assert(inside > 0 && outside > 0, `inside ${inside}, outside ${outside}`);

  // Random values: trilinear weights against scipy's map_coordinates(order=1) at the same source indices.
  const noise = createVolume(src.data.map((_, p) => Math.sin(p * 12.9898) * 437.5), src.shape, src.affine, "HU");
  const got = resampleToGrid(noise, { shape, affine }, { fill: NaN });
  const { dir, cleanup } = await tempDir();
  try {
    await writeRaw(`${dir}/src.f32`, noise.data);
    const script = `
import sys, json, numpy as np
from scipy.ndimage import map_coordinates
d, shape, tshape, m = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
src = np.fromfile(d + "/src.f32", dtype="<f4").reshape(shape, order="F").astype(np.float64)
m = np.asarray(m).reshape(4, 4)
idx = np.stack(np.meshgrid(*[np.arange(n) for n in tshape], indexing="ij")).reshape(3, -1)
x = m[:3, :3] @ idx + m[:3, 3:4]
inside = np.all((x >= 0) & (x <= np.asarray(shape)[:, None] - 1), axis=0)
v = np.full(x.shape[1], np.nan)
v[inside] = map_coordinates(src, x[:, inside], order=1)
v.reshape(tshape).ravel(order="F").astype("<f4").tofile(d + "/out.f32")
print(json.dumps(int(inside.sum())))
`;
    const count = await runPython<number>(script, [
      dir,
      JSON.stringify(src.shape),
      JSON.stringify(shape),
      JSON.stringify(m),
    ]);
    const want = await readRawFloat32(`${dir}/out.f32`);
    assert(count > 100, `only ${count} voxels inside`);
    assertLess(maxAbsDiff(got.data, want, (p) => !Number.isNaN(want[p])), 1e-3);
  } finally {
    await cleanup();
  }
});

Deno.test("resampleToGrid() throws on a bad order or shape", () => {
  const vol = rampVolume([4, 4, 4], RAS_AFFINE);
  // @ts-expect-error: the order is checked at run time too
  assertThrows(() => resampleToGrid(vol, vol, { order: "cubic" }), RangeError, "expected one of linear, nearest");
  assertThrows(() => resampleToGrid(vol, { shape: [4, 0, 4], affine: vol.affine }), RangeError, "[4, 0, 4]");
});
