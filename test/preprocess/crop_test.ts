import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { applyAffine, createVolume, type Mat4, readVolume, type Vec3 } from "../../src/io/mod.ts";
import { bodyCropBox, type CropBox, cropVolume } from "../../src/preprocess/mod.ts";
import { CT_DIR } from "../_support/python.ts";
import { LPS_AFFINE, ramp, rampVolume, RAS_AFFINE } from "./_fixtures.ts";

const SMALL_CT = `${CT_DIR}/totalseg_example_ct_sm_3mm.nii.gz`;
const ONE_MM: Mat4 = [1, 0, 0, 5, 0, 1, 0, -3, 0, 0, 1, 2, 0, 0, 0, 1];

/** −1000 HU everywhere except 40 HU in the box [lo, hi) (voxels). */
function tissueBox(shape: Vec3, lo: Vec3, hi: Vec3, affine: Mat4 = ONE_MM) {
  const data = new Int16Array(shape[0] * shape[1] * shape[2]).fill(-1000);
  for (let k = lo[2]; k < hi[2]; k++) {
    for (let j = lo[1]; j < hi[1]; j++) {
      for (let i = lo[0]; i < hi[0]; i++) data[i + shape[0] * (j + shape[1] * k)] = 40;
    }
  }
  return createVolume(data, shape, affine, "HU");
}

Deno.test("bodyCropBox() keeps a block when more than half of it is tissue", () => {
  // 1 mm voxels, 5 mm blocks = 5 voxels. Along i the tissue covers 3/5 of block [10, 15) and 4/5 of [25, 30): both
  // count. Along j it covers 2/5 of [5, 10) and 2/5 of [20, 25): neither counts. k is block-aligned.
  const vol = tissueBox([40, 35, 20], [12, 8, 5], [29, 22, 15]);
  assertEquals(bodyCropBox(vol), { start: [10, 10, 5], end: [30, 20, 15] });
});

Deno.test("bodyCropBox() drops isolated noise voxels in the air", () => {
  const vol = tissueBox([40, 35, 20], [10, 10, 5], [30, 20, 15]);
  vol.data[2 + 40 * (33 + 35 * 18)] = 1200; // a bright voxel far outside the body
  assertEquals(bodyCropBox(vol), { start: [10, 10, 5], end: [30, 20, 15] });
});

Deno.test("bodyCropBox() adds the margin in mm and clamps it to the volume", () => {
  // 0.7 mm voxels: blocks of round(5 / 0.7) = 7 voxels; a 3 mm margin is ceil(3 / 0.7) = 5 voxels.
  const affine: Mat4 = [0.7, 0, 0, 0, 0, 0.7, 0, 0, 0, 0, 0.7, 0, 0, 0, 0, 1];
  const vol = tissueBox([42, 42, 21], [7, 14, 0], [35, 28, 21], affine);
  assertEquals(bodyCropBox(vol), { start: [7, 14, 0], end: [35, 28, 21] });
  assertEquals(bodyCropBox(vol, { marginMm: 3 }), { start: [2, 9, 0], end: [40, 33, 21] });
  assertEquals(bodyCropBox(vol, { marginMm: 100 }), { start: [0, 0, 0], end: [42, 42, 21] });
});

Deno.test("bodyCropBox() contains every mostly-tissue 5 mm block of a real CT", async () => {
  const ct = await readVolume(SMALL_CT, { unit: "HU" });
  const box = bodyCropBox(ct);
  // Reference written from the definition, block by block (3 mm voxels: blocks of round(5 / 3) = 2 voxels).
  const b = ct.spacingMm.map((s) => Math.max(1, Math.round(5 / s)));
  assertEquals(b, [2, 2, 2]);
  const [n0, n1, n2] = ct.shape;
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let c = 0; c < n2; c += b[2]) {
    for (let bj = 0; bj < n1; bj += b[1]) {
      for (let a = 0; a < n0; a += b[0]) {
        let tissue = 0, all = 0;
        for (let k = c; k < Math.min(n2, c + b[2]); k++) {
          for (let j = bj; j < Math.min(n1, bj + b[1]); j++) {
            for (let i = a; i < Math.min(n0, a + b[0]); i++, all++) {
              if (ct.data[i + n0 * (j + n1 * k)] >= -500) tissue++;
            }
          }
        }
        if (tissue * 2 <= all) continue;
        [a, bj, c].forEach((s, d) => {
          lo[d] = Math.min(lo[d], s);
          hi[d] = Math.max(hi[d], Math.min(ct.shape[d], s + b[d]));
        });
      }
    }
  }
  assertEquals(box, { start: lo, end: hi });
  // Sanity: the box is smaller than the scan (there is air around the body) but not tiny.
  const kept = (box.end[0] - box.start[0]) * (box.end[1] - box.start[1]) * (box.end[2] - box.start[2]);
  assert(kept < n0 * n1 * n2 && kept > 0.2 * n0 * n1 * n2, `kept ${kept} of ${n0 * n1 * n2}`);
});

Deno.test("bodyCropBox() throws on an all-air volume and on bad options", () => {
  const air = tissueBox([10, 10, 10], [0, 0, 0], [0, 0, 0]);
  assertThrows(() => bodyCropBox(air), RangeError, "Cannot find body crop: no 5 mm block");
  const vol = tissueBox([10, 10, 10], [2, 2, 2], [8, 8, 8]);
  assertThrows(() => bodyCropBox(vol, { blockMm: 0 }), RangeError, "blockMm");
  assertThrows(() => bodyCropBox(vol, { marginMm: -1 }), RangeError, "marginMm");
  assertThrows(() => bodyCropBox(vol, { minHu: NaN }), RangeError, "minHu");
});

Deno.test("cropVolume() shifts the affine origin exactly and keeps a world-linear ramp", () => {
  for (const affine of [RAS_AFFINE, LPS_AFFINE]) {
    const vol = rampVolume([13, 11, 9], affine);
    const box = { start: [2, 3, 1] as Vec3, end: [12, 7, 9] as Vec3 };
    const out = cropVolume(vol, box);
    assertEquals(out.shape, [10, 4, 8]);
    assertEquals(out.unit, vol.unit);
    assert(out.data instanceof Float32Array);
    // World of the crop's voxel (0, 0, 0) = world of (i0, j0, k0); the 3×3 block is unchanged.
    assertEquals(applyAffine(out.affine, [0, 0, 0]), applyAffine(affine, box.start));
    for (const e of [0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 15]) assertEquals(out.affine[e], affine[e]);
    for (let k = 0, p = 0; k < 8; k++) {
      for (let j = 0; j < 4; j++) {
        for (let i = 0; i < 10; i++, p++) {
          assertEquals(out.data[p], vol.data[i + 2 + 13 * (j + 3 + 11 * (k + 1))]);
          assertAlmostEquals(out.data[p], ramp(applyAffine(out.affine, [i, j, k])), 2e-3);
        }
      }
    }
  }
});

Deno.test("cropVolume() keeps the array type and throws on a box outside the volume", () => {
  const vol = createVolume(new Uint8Array(4 * 4 * 4).map((_, p) => p), [4, 4, 4], ONE_MM, "label");
  const out = cropVolume(vol, { start: [1, 1, 1], end: [3, 3, 3] });
  assert(out.data instanceof Uint8Array);
  assertEquals([...out.data], [21, 22, 25, 26, 37, 38, 41, 42]);
  for (
    const box of [
      { start: [0, 0, 0], end: [5, 4, 4] },
      { start: [-1, 0, 0], end: [4, 4, 4] },
      { start: [2, 0, 0], end: [2, 4, 4] },
      { start: [0.5, 0, 0], end: [4, 4, 4] },
    ] as CropBox[]
  ) {
    assertThrows(() => cropVolume(vol, box), RangeError, "Cannot crop volume to box");
  }
});
