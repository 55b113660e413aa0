import { assert, assertEquals, assertLessOrEqual, assertRejects } from "@std/assert";
import { mat4FromRows, mat4MaxAbsDiff, readNifti, VolumeReadError } from "../../src/io/mod.ts";
import { CT_DIR, runPython, tempDir } from "../_support/python.ts";

/** Every NIfTI sample in the shared folder (CI always has them). */
async function sampleFiles(): Promise<string[]> {
  const out: string[] = [];
  for (const dir of [CT_DIR, `${CT_DIR}/lesion`]) {
    for await (const e of Deno.readDir(dir)) if (e.name.endsWith(".nii.gz")) out.push(`${dir}/${e.name}`);
  }
  return out.sort();
}

/** nibabel's view of a file: shape, affine, and the scaled voxel values written as float64 to `rawOut`. */
const NIBABEL_DUMP = `
import sys, json, numpy as np, nibabel as nib
img = nib.load(sys.argv[1])
data = np.asanyarray(img.dataobj)
if data.ndim == 4: data = data[..., 0]
np.asarray(data, dtype=np.float64).ravel(order="F").tofile(sys.argv[2])
print(json.dumps({"shape": list(data.shape), "affine": img.affine.tolist(), "dtype": str(img.get_data_dtype())}))
`;

Deno.test("readNifti() matches nibabel on every shared CT sample: shape, affine, values", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const files = await sampleFiles();
    assert(files.length >= 8, `expected the shared CT samples, found ${files.length}`);
    for (const file of files) {
      const raw = `${dir}/values.f64`;
      const ref = await runPython<{ shape: number[]; affine: number[][] }>(NIBABEL_DUMP, [file, raw]);
      const vol = await readNifti(file);
      assertEquals([...vol.shape], ref.shape, file);
      assertLessOrEqual(mat4MaxAbsDiff(vol.affine, mat4FromRows(ref.affine)), 1e-4, file);
      const expected = new Float64Array((await Deno.readFile(raw)).buffer);
      assertEquals(expected.length, vol.data.length, file);
      const isInt = !(vol.data instanceof Float32Array || vol.data instanceof Float64Array);
      let maxDiff = 0;
      for (let v = 0; v < expected.length; v++) maxDiff = Math.max(maxDiff, Math.abs(vol.data[v] - expected[v]));
      if (isInt) assertEquals(maxDiff, 0, `${file}: integer values must be exact`);
      else assertLessOrEqual(maxDiff, 1e-4, file);
    }
  } finally {
    await cleanup();
  }
});

/** Writes NIfTI files with nibabel covering the header cases the reader must honour. */
const NIBABEL_WRITE_CASES = `
import sys, json, numpy as np, nibabel as nib
out = sys.argv[1]
rng = np.random.default_rng(0)
cases = {}
def save(name, data, affine, sform, qform, slope=None, big=False):
    hdr = nib.Nifti1Header(endianness=">" if big else "<")
    img = nib.Nifti1Image(data, affine, header=hdr)
    img.set_sform(affine if sform else None, code=sform)
    img.set_qform(affine if qform else None, code=qform)
    if slope is not None:
        img.set_data_dtype(np.int16)  # float data stored as int16: nibabel picks scl_slope/scl_inter
    else:
        img.set_data_dtype(data.dtype)
    path = f"{out}/{name}.nii.gz"
    nib.save(img, path)
    back = nib.load(path)
    vals = np.asanyarray(back.dataobj).astype(np.float64)
    vals.ravel(order="F").tofile(f"{out}/{name}.f64")
    assert slope is not None or back.get_data_dtype().newbyteorder("=") == data.dtype.newbyteorder("="), name
    cases[name] = {"path": path, "affine": back.affine.tolist(), "shape": list(vals.shape)}
rot = np.array([[0, -1.2, 0, 10.5], [0.8, 0, 0, -20], [0, 0, 2.5, 33], [0, 0, 0, 1]], float)
save("qform_only_rot", rng.integers(-1000, 1000, (5, 6, 7)).astype(np.int16), rot, 0, 1)
flipped = np.diag([-0.7, 0.9, -2.0, 1.0]); flipped[:3, 3] = [5, -6, 7]
save("qform_only_flipped", rng.integers(0, 255, (4, 5, 6)).astype(np.uint8), flipped, 0, 2)
save("sform_and_qform_differ", rng.normal(size=(3, 4, 5)).astype(np.float32), rot, 2, 0)
save("int8", rng.integers(-128, 127, (3, 3, 3)).astype(np.int8), np.eye(4), 1, 1)
save("uint16", rng.integers(0, 65535, (3, 3, 3)).astype(np.uint16), np.eye(4), 1, 1)
save("int32", rng.integers(-2**31, 2**31 - 1, (3, 3, 3)).astype(np.int32), np.eye(4), 1, 1)
save("float64", rng.normal(size=(3, 4, 2)), np.eye(4), 1, 1)
save("scaled_int16", (rng.normal(size=(4, 4, 4)) * 300 + 40).astype(np.float32), np.eye(4), 1, 1, slope=True)
slope = nib.load(f"{out}/scaled_int16.nii.gz").dataobj.slope
assert slope not in (0, 1) and np.isfinite(slope), slope
save("big_endian_int16", rng.integers(-1000, 1000, (4, 3, 2)).astype(np.int16), rot, 1, 1, big=True)
save("single_timepoint_4d", rng.integers(-5, 5, (3, 4, 5, 1)).astype(np.int16), np.eye(4), 1, 1)
print(json.dumps(cases))
`;

Deno.test("readNifti() reads nibabel-written files: qform-only, sform precedence, all datatypes, scaling, endianness, 4D", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const cases = await runPython<Record<string, { path: string; affine: number[][]; shape: number[] }>>(
      NIBABEL_WRITE_CASES,
      [dir],
    );
    for (const [name, c] of Object.entries(cases)) {
      const vol = await readNifti(c.path);
      assertEquals([...vol.shape], c.shape.slice(0, 3), name);
      assertLessOrEqual(mat4MaxAbsDiff(vol.affine, mat4FromRows(c.affine)), 1e-5, name);
      const expected = new Float64Array((await Deno.readFile(`${dir}/${name}.f64`)).buffer);
      let maxDiff = 0;
      for (let v = 0; v < expected.length; v++) {
        maxDiff = Math.max(maxDiff, Math.abs(vol.data[v] - expected[v]) / Math.max(1, Math.abs(expected[v])));
      }
      // Integers are exact; scaled values are float32 (relative error ≤ 2^-24 per rounding).
      assertLessOrEqual(maxDiff, name === "float64" || name === "scaled_int16" ? 1e-6 : 0, name);
    }
    assertEquals((await readNifti(cases.qform_only_rot.path)).affineSource, "qform");
    assertEquals((await readNifti(cases.sform_and_qform_differ.path)).affineSource, "sform");
    assert((await readNifti(cases.scaled_int16.path)).data instanceof Float32Array, "scaled data must be float32");
    assert((await readNifti(cases.int32.path)).data instanceof Int32Array, "int32 stays int32");
  } finally {
    await cleanup();
  }
});

Deno.test("readNifti() falls back to diag(pixdim) when sform_code and qform_code are 0 (NIfTI method 1)", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await runPython(
      `
import sys, json, numpy as np, nibabel as nib
img = nib.Nifti1Image(np.zeros((2, 3, 4), np.int16), np.diag([0.5, 0.75, 2.5, 1]))
img.set_sform(None, code=0); img.set_qform(None, code=0)
nib.save(img, sys.argv[1]); print("{}")`,
      [`${dir}/pix.nii`],
    );
    const vol = await readNifti(`${dir}/pix.nii`);
    assertEquals(vol.affineSource, "pixdim");
    assertEquals([...vol.affine], [0.5, 0, 0, 0, 0, 0.75, 0, 0, 0, 0, 2.5, 0, 0, 0, 0, 1]);
  } finally {
    await cleanup();
  }
});

Deno.test("readNifti() rejects a missing file with VolumeReadError naming it", async () => {
  const e = await assertRejects(() => readNifti("/nonexistent/scan.nii.gz"), VolumeReadError, "does not exist");
  assertEquals(e.path, "/nonexistent/scan.nii.gz");
});
