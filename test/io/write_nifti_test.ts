import { assertEquals, assertLessOrEqual, assertRejects } from "@std/assert";
import {
  createVolume,
  mat4FromRows,
  mat4MaxAbsDiff,
  readNifti,
  VolumeWriteError,
  writeVolume,
} from "../../src/io/mod.ts";
import { runPython, tempDir } from "../_support/python.ts";

const NIBABEL_READ = `
import sys, json, numpy as np, nibabel as nib
img = nib.load(sys.argv[1])
data = np.asanyarray(img.dataobj)
np.asarray(data, dtype=np.float64).ravel(order="F").tofile(sys.argv[2])
h = img.header
print(json.dumps({"shape": list(data.shape), "dtype": str(img.get_data_dtype()), "affine": img.affine.tolist(),
  "qform": img.get_qform().tolist(), "sform_code": int(h["sform_code"]), "qform_code": int(h["qform_code"])}))
`;

// A rotated, flipped, anisotropic affine (a rigid rotation times spacing): qform can represent it exactly.
const ROTATED = [0, -1.2, 0, 10.5, 0.8, 0, 0, -20, 0, 0, -2.5, 33, 0, 0, 0, 1];

Deno.test("writeVolume() output is read identically by nibabel (float32, int16, uint8; sform and qform)", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const shape = [7, 5, 3] as const;
    const n = 7 * 5 * 3;
    const cases = [
      createVolume(Float32Array.from({ length: n }, (_, v) => Math.sin(v) * 1000.25), shape, ROTATED, "score"),
      createVolume(Int16Array.from({ length: n }, (_, v) => (v * 977) % 4000 - 2000), shape, ROTATED, "HU"),
      createVolume(Uint8Array.from({ length: n }, (_, v) => v % 2), shape, ROTATED, "label"),
    ];
    for (const [c, vol] of cases.entries()) {
      for (const ext of [".nii.gz", ".nii"]) {
        const path = `${dir}/case${c}${ext}`;
        await writeVolume(path, vol);
        const ref = await runPython<
          { shape: number[]; dtype: string; affine: number[][]; qform: number[][]; sform_code: number }
        >(NIBABEL_READ, [path, `${dir}/v.f64`]);
        assertEquals(ref.shape, [...shape]);
        assertEquals(ref.dtype, ["float32", "int16", "uint8"][c]);
        assertEquals(ref.sform_code, 1);
        assertLessOrEqual(mat4MaxAbsDiff(mat4FromRows(ref.affine), ROTATED), 1e-5);
        assertLessOrEqual(mat4MaxAbsDiff(mat4FromRows(ref.qform), ROTATED), 1e-5);
        const values = new Float64Array((await Deno.readFile(`${dir}/v.f64`)).buffer);
        for (let v = 0; v < n; v++) assertEquals(values[v], Math.fround(vol.data[v]));
        const back = await readNifti(path);
        assertEquals(back.data, vol.data);
        assertLessOrEqual(mat4MaxAbsDiff(back.affine, ROTATED), 1e-5);
      }
    }
  } finally {
    await cleanup();
  }
});

Deno.test("writeVolume() refuses values that do not fit, NaN, and non-NIfTI names, leaving no file", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const eye = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    const big = createVolume(Float32Array.of(1, 2, 40000), [3, 1, 1], eye);
    await assertRejects(() => writeVolume(`${dir}/a.nii.gz`, big, { datatype: "int16" }), VolumeWriteError, "40000");
    const frac = createVolume(Float32Array.of(0.5, 1, 1), [3, 1, 1], eye);
    await assertRejects(() => writeVolume(`${dir}/b.nii.gz`, frac, { datatype: "uint8" }), VolumeWriteError, "0.5");
    const nan = createVolume(Float32Array.of(0, NaN, 1), [3, 1, 1], eye);
    await assertRejects(() => writeVolume(`${dir}/c.nii.gz`, nan), VolumeWriteError, "NaN");
    await assertRejects(() => writeVolume(`${dir}/d.mha`, frac), VolumeWriteError, "extension");
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assertEquals(left, []);
  } finally {
    await cleanup();
  }
});

Deno.test("writeVolume() replaces an existing file atomically and leaves no temp file", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const eye = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    const path = `${dir}/out/map.nii.gz`;
    await writeVolume(path, createVolume(Float32Array.of(1, 2), [2, 1, 1], eye));
    await writeVolume(path, createVolume(Float32Array.of(3, 4), [2, 1, 1], eye));
    assertEquals((await readNifti(path)).data, Float32Array.of(3, 4));
    const names = [];
    for await (const e of Deno.readDir(`${dir}/out`)) names.push(e.name);
    assertEquals(names, ["map.nii.gz"]);
  } finally {
    await cleanup();
  }
});
