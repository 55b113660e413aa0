import { assert, assertAlmostEquals, assertEquals, assertLess, assertThrows } from "@std/assert";
import {
  applyAffine,
  axcodesOf,
  createVolume,
  type Mat4,
  mat4Invert,
  mat4Multiply,
  ObliqueAffineError,
  readVolume,
  type Vec3,
  type Volume,
} from "../../src/io/mod.ts";
import { clahe, preprocessCt, resampleMaskToGrid, restoreToOriginal, windowHu } from "../../src/preprocess/mod.ts";
import { CT_DIR, runPython, tempDir } from "../_support/python.ts";
import { LPS_AFFINE, maxAbsDiff, rampVolume, readRawFloat32 } from "./_fixtures.ts";

const CHEST_CTA = `${CT_DIR}/totalseg_chest_cta_cropped_1p5mm.nii.gz`;

/** HU linear in world x: −1062 HU at the left of the LPS fixture grid, +108 HU at its right; −500 HU at x = 25 mm. */
const huOfWorld = (w: readonly number[]) => 40 * w[0] - 1500;

/** Continuous index of target voxel `p` in `src`, or null when outside `src`'s voxel centres (no clamping needed). */
function strictlyInside(m: Mat4, shape: Vec3, p: Vec3): boolean {
  const x = applyAffine(m, p);
  return x.every((v, d) => v >= 0 && v <= shape[d] - 1);
}

Deno.test("preprocessCt() and restoreToOriginal() keep a world-linear HU field exact", () => {
  const ct = rampVolume([40, 36, 20], LPS_AFFINE, huOfWorld); // 0.75 × 0.9 × 2 mm, LPS
  const pre = preprocessCt(ct);
  const { image, hu, bodyMask } = pre;
  // Canonical RAS grid at 1 × 1 × 1.5 mm, shared by the three outputs.
  assertEquals(axcodesOf(hu.affine), "RAS");
  for (let d = 0; d < 3; d++) assertAlmostEquals(hu.spacingMm[d], [1, 1, 1.5][d], 1e-12);
  for (const v of [image, bodyMask]) assertEquals([v.shape, v.affine], [hu.shape, hu.affine]);
  assertEquals([hu.unit, image.unit, bodyMask.unit], ["HU", "unit", "label"]);
  assertEquals(pre.original, { shape: ct.shape, affine: [...ct.affine] });
  // The crop removed the air side (x < 25 mm) to within one 5 mm block and kept everything else.
  const x0 = applyAffine(hu.affine, [0, 0, 0])[0];
  assert(x0 > 25 - 5 && x0 < 25 + 5, `crop starts at x = ${x0} mm`);
  assertEquals([pre.cropBox.start[1], pre.cropBox.start[2]], [0, 0]);
  assertEquals([pre.cropBox.end[1], pre.cropBox.end[2]], [36, 20]);
  const [n0, n1, n2] = hu.shape;
  for (let k = 0, p = 0; k < n2; k++) {
    for (let j = 0; j < n1; j++) {
      for (let i = 0; i < n0; i++, p++) {
        const want = huOfWorld(applyAffine(hu.affine, [i, j, k]));
        assertAlmostEquals(hu.data[p], want, 1e-2);
        assertAlmostEquals(image.data[p], Math.min(Math.max((want + 1000) / 1300, 0), 1), 1e-5);
        // The air slab touches the in-plane border, so the body is exactly the voxels at or above −500 HU.
        assertEquals(bodyMask.data[p], hu.data[p] >= -500 ? 1 : 0);
      }
    }
  }
  // Back onto the LPS grid: exact where the original centre lies among the preprocessed centres, fill far outside.
  const back = restoreToOriginal(hu, pre.original, { fill: NaN });
  assertEquals([back.shape, back.affine], [ct.shape, ct.affine]);
  const m = mat4Multiply(mat4Invert(hu.affine), ct.affine);
  let exact = 0, filled = 0;
  for (let k = 0, p = 0; k < ct.shape[2]; k++) {
    for (let j = 0; j < ct.shape[1]; j++) {
      for (let i = 0; i < ct.shape[0]; i++, p++) {
        if (strictlyInside(m, hu.shape, [i, j, k])) {
          assertAlmostEquals(back.data[p], ct.data[p], 1e-2);
          exact++;
        } else if (Number.isNaN(back.data[p])) filled++;
      }
    }
  }
  assert(exact > 0.3 * ct.data.length && filled > 0.3 * ct.data.length, `exact ${exact}, filled ${filled}`);
});

Deno.test("resampleMaskToGrid() brings labels onto the preprocessed grid by nearest neighbour", () => {
  const ct = rampVolume([40, 36, 20], LPS_AFFINE, huOfWorld);
  const pre = preprocessCt(ct);
  const u8 = createVolume(Uint8Array.from(ct.data, (v) => (v >= 0 ? 2 : 1)), ct.shape, ct.affine, "label");
  const onPre = resampleMaskToGrid(u8, pre.image);
  assert(onPre.data instanceof Uint8Array);
  assertEquals([onPre.shape, onPre.affine], [pre.image.shape, pre.image.affine]);
  // Away from the label edge (x = 37.5 mm, i.e. 0 HU) by more than half a voxel, the label is that of the field.
  for (let p = 0; p < onPre.data.length; p++) {
    const h = pre.hu.data[p];
    if (Math.abs(h) > 40 * 0.75) assertEquals(onPre.data[p], h >= 0 ? 2 : 1);
  }
});

Deno.test("preprocessCt() refuses an oblique affine and a bad window", () => {
  const a = (5 * Math.PI) / 180;
  const oblique = [Math.cos(a), -Math.sin(a), 0, 0, Math.sin(a), Math.cos(a), 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const ct = createVolume(new Int16Array(8 * 8 * 8), [8, 8, 8], oblique, "HU");
  assertThrows(() => preprocessCt(ct), ObliqueAffineError);
  assertThrows(() => preprocessCt(ct, { minHu: 0, maxHu: 0 }), RangeError, "minHu must be < maxHu");
});

/** Separable min and max over a (2r + 1)³ neighbourhood (clipped at the borders). */
function neighbourhoodRange(vol: Volume, r: number): { lo: Float32Array; hi: Float32Array } {
  const [n0, n1] = vol.shape;
  const strides = [1, n0, n0 * n1];
  let lo = Float32Array.from(vol.data), hi = Float32Array.from(vol.data);
  for (let d = 0; d < 3; d++) {
    const nlo = new Float32Array(lo.length), nhi = new Float32Array(hi.length);
    for (let p = 0; p < lo.length; p++) {
      const t = Math.floor(p / strides[d]) % vol.shape[d];
      let a = lo[p], b = hi[p];
      for (let o = Math.max(0, t - r); o <= Math.min(vol.shape[d] - 1, t + r); o++) {
        const q = p + (o - t) * strides[d];
        a = Math.min(a, lo[q]);
        b = Math.max(b, hi[q]);
      }
      nlo[p] = a;
      nhi[p] = b;
    }
    lo = nlo;
    hi = nhi;
  }
  return { lo, hi };
}

Deno.test("restoreToOriginal() brings a real CT's HU back within the trilinear bound, as scipy does", async () => {
  const ct = await readVolume(CHEST_CTA, { unit: "HU" }); // LPS, 1.5 mm isotropic
  const pre = preprocessCt(ct); // RAS, 1 × 1 × 1.5 mm
  const back = restoreToOriginal(pre.hu, pre.original, { fill: NaN });
  const m = mat4Multiply(mat4Invert(pre.hu.affine), ct.affine);
  const inside = new Uint8Array(ct.data.length);
  for (let k = 0, p = 0; k < ct.shape[2]; k++) {
    for (let j = 0; j < ct.shape[1]; j++) {
      for (let i = 0; i < ct.shape[0]; i++, p++) inside[p] = strictlyInside(m, pre.hu.shape, [i, j, k]) ? 1 : 0;
    }
  }
  // Bound: each preprocessed voxel is a convex combination of original voxels within one original voxel of it, and
  // each restored voxel one of preprocessed voxels within one preprocessed voxel (≤ 1.5 mm = 1 original voxel), so a
  // restored value lies within the original's range over the ±2 voxel neighbourhood.
  const { lo, hi } = neighbourhoodRange(ct, 2);
  let count = 0, sumAbs = 0;
  for (let p = 0; p < ct.data.length; p++) {
    if (!inside[p]) continue;
    count++;
    sumAbs += Math.abs(back.data[p] - ct.data[p]);
    assert(back.data[p] >= lo[p] - 1e-2 && back.data[p] <= hi[p] + 1e-2, `voxel ${p}: ${back.data[p]}`);
  }
  assert(count > 0.5 * ct.data.length, `only ${count} voxels inside the body crop`);
  assertLess(sumAbs / count, 30); // mean |error| in HU (17 measured): two trilinear steps smooth a contrast CT

  // Oracle: scipy affine_transform(order=1) through the same affines, original → preprocessed → original.
  const { dir, cleanup } = await tempDir();
  try {
    const script = `
import sys, json, itertools, numpy as np, nibabel as nib
from scipy.ndimage import affine_transform
path, d, shape, affine = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
img = nib.load(path)
src = np.asarray(img.dataobj).astype(np.float64)
a_src, a_pre = img.affine, np.asarray(affine).reshape(4, 4)
to_src, to_pre = np.linalg.inv(a_src) @ a_pre, np.linalg.inv(a_pre) @ a_src
corners = np.array([[c[0] * (shape[0] - 1), c[1] * (shape[1] - 1), c[2] * (shape[2] - 1), 1]
                    for c in itertools.product([0, 1], repeat=3)]).T
x = (to_src @ corners)[:3]
outside = int(np.sum((x < -1e-9) | (x > np.asarray(src.shape)[:, None] - 1 + 1e-9)))
pre = affine_transform(src, to_src, output_shape=tuple(shape), order=1, mode="nearest")
back = affine_transform(pre, to_pre, output_shape=src.shape, order=1, mode="nearest")
pre.ravel(order="F").astype("<f4").tofile(d + "/pre.f32")
back.ravel(order="F").astype("<f4").tofile(d + "/back.f32")
print(json.dumps(outside))
`;
    const outsideCorners = await runPython<number>(script, [
      CHEST_CTA,
      dir,
      JSON.stringify(pre.hu.shape),
      JSON.stringify(pre.hu.affine),
    ]);
    assertEquals(outsideCorners, 0); // every preprocessed centre lies within the original's centres
    assertLess(maxAbsDiff(pre.hu.data, await readRawFloat32(`${dir}/pre.f32`)), 1e-2);
    assertLess(maxAbsDiff(back.data, await readRawFloat32(`${dir}/back.f32`), (p) => inside[p] === 1), 1e-2);
  } finally {
    await cleanup();
  }
});

Deno.test("preprocessCt() with clahe equalises the windowed image and leaves HU and body mask alone", async () => {
  const ct = await readVolume(CHEST_CTA, { unit: "HU" });
  const plain = preprocessCt(ct, { spacingMm: [3, 3, 3] });
  const withClahe = preprocessCt(ct, { spacingMm: [3, 3, 3], clahe: { clipLimit: 0.05 } });
  assertEquals(withClahe.hu.data, plain.hu.data);
  assertEquals(withClahe.bodyMask.data, plain.bodyMask.data);
  assertEquals(withClahe.image.affine, plain.image.affine);
  assertEquals(plain.image.data, windowHu(plain.hu).data);
  assertEquals(withClahe.image.data, clahe(windowHu(plain.hu), { clipLimit: 0.05 }).data);
  assert(withClahe.image.data.every((v) => v >= 0 && v <= 1));
  assert(maxAbsDiff(withClahe.image.data, plain.image.data) > 0.05, "CLAHE changed the image");
});
