import { assert, assertEquals, assertLessOrEqual, assertThrows } from "@std/assert";
import {
  axcodesOf,
  createVolume,
  isOblique,
  mat4FromRows,
  mat4MaxAbsDiff,
  ObliqueAffineError,
  readNifti,
  reorient,
} from "../../src/io/mod.ts";
import { CT_DIR, runPython, tempDir } from "../_support/python.ts";

const CANONICAL = `
import sys, json, numpy as np, nibabel as nib
img = nib.load(sys.argv[1])
can = nib.as_closest_canonical(img)
np.asarray(can.dataobj, dtype=np.float64).ravel(order="F").tofile(sys.argv[2])
print(json.dumps({"axcodes": "".join(nib.aff2axcodes(img.affine)), "shape": list(can.shape),
  "affine": can.affine.tolist()}))
`;

Deno.test("reorient() to RAS equals nibabel's as_closest_canonical on RAS and LPS samples", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    for (
      const name of [
        "cip_ct-64_chest.nii.gz",
        "totalseg_chest_cta_cropped_1p5mm.nii.gz",
        "totalseg_example_ct_sm_3mm.nii.gz",
      ]
    ) {
      const path = `${CT_DIR}/${name}`;
      const ref = await runPython<{ axcodes: string; shape: number[]; affine: number[][] }>(CANONICAL, [
        path,
        `${dir}/c.f64`,
      ]);
      const vol = await readNifti(path);
      assertEquals(axcodesOf(vol.affine), ref.axcodes, name);
      const can = reorient(vol);
      assertEquals(axcodesOf(can.affine), "RAS");
      assertEquals([...can.shape], ref.shape, name);
      assertLessOrEqual(mat4MaxAbsDiff(can.affine, mat4FromRows(ref.affine)), 1e-4, name);
      const expected = new Float64Array((await Deno.readFile(`${dir}/c.f64`)).buffer);
      assertEquals(Float64Array.from(can.data), expected, name);
    }
  } finally {
    await cleanup();
  }
});

Deno.test("reorient() keeps every voxel's world position and value, and round-trips through all 48 layouts", () => {
  const shape = [3, 4, 5] as const;
  const data = Int16Array.from({ length: 60 }, (_, v) => v);
  const base = createVolume(data, shape, [0, -2, 0, 7, 0, 0, 1.5, -3, -0.5, 0, 0, 11, 0, 0, 0, 1], "HU");
  const world = (vol: typeof base, v: number) => {
    const i = v % vol.shape[0], j = Math.floor(v / vol.shape[0]) % vol.shape[1];
    const k = Math.floor(v / (vol.shape[0] * vol.shape[1]));
    const a = vol.affine;
    return [0, 1, 2].map((r) => a[4 * r] * i + a[4 * r + 1] * j + a[4 * r + 2] * k + a[4 * r + 3]).join(",");
  };
  const positionOfValue = (vol: typeof base) => {
    const m = new Map<number, string>();
    for (let v = 0; v < 60; v++) m.set(vol.data[v], world(vol, v));
    return m;
  };
  const expected = positionOfValue(base);
  const letters = [["R", "L"], ["A", "P"], ["S", "I"]];
  const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  let count = 0;
  for (const p of perms) {
    for (let s = 0; s < 8; s++) {
      const codes = p.map((w, d) => letters[w][(s >> d) & 1]).join("");
      const r = reorient(base, codes);
      assertEquals(axcodesOf(r.affine), codes);
      assertEquals(positionOfValue(r), expected, codes);
      const back = reorient(r, axcodesOf(base.affine));
      assertEquals(back.data, base.data);
      assertLessOrEqual(mat4MaxAbsDiff(back.affine, base.affine), 1e-12);
      count++;
    }
  }
  assertEquals(count, 48);
});

Deno.test("reorient() refuses an oblique affine by default and permutes to the closest axes with oblique: nearest", () => {
  const t = (20 * Math.PI) / 180;
  const affine = [Math.cos(t), -Math.sin(t), 0, 0, Math.sin(t), Math.cos(t), 0, 0, 0, 0, -1, 0, 0, 0, 0, 1];
  const vol = createVolume(new Float32Array(8).map((_, v) => v), [2, 2, 2], affine);
  assert(isOblique(affine));
  const e = assertThrows(() => reorient(vol), ObliqueAffineError);
  assertLessOrEqual(Math.abs(e.obliqueDeg - 20), 1e-9);
  const r = reorient(vol, "RAS", { oblique: "nearest" });
  assertEquals(axcodesOf(r.affine), "RAS");
  assert(isOblique(r.affine), "the oblique affine is kept exactly, not snapped");
  assertEquals(r.data, Float32Array.of(4, 5, 6, 7, 0, 1, 2, 3)); // k flipped
});

Deno.test("reorient() refuses axis codes that are not one of each R/L, A/P, S/I", () => {
  const vol = createVolume(new Uint8Array(1), [1, 1, 1], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  assertThrows(() => reorient(vol, "RRS"), RangeError, "R/L, A/P, S/I");
  assertThrows(() => reorient(vol, "RA"), RangeError);
});

Deno.test("reorient() keeps the oblique deviation measured on a real sample at zero", async () => {
  const vol = await readNifti(`${CT_DIR}/Pancreas-CT-CB_001_abdomen_philips_3x.nii.gz`);
  assertEquals(isOblique(vol.affine), false);
  assertEquals(axcodesOf(reorient(vol).affine), "RAS");
});
