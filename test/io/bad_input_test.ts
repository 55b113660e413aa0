/**
 * One test per bad input: each gives a VolumeReadError that names the file and the problem.
 */
import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { gzipSync } from "fflate";
import { readVolume, VolumeReadError } from "../../src/io/mod.ts";
import { CT_DIR, runPython, tempDir } from "../_support/python.ts";

const SAMPLE = `${CT_DIR}/cip_ct-64_chest.nii.gz`;

async function expectReadError(path: string, ...fragments: string[]): Promise<void> {
  const e = await assertRejects(() => readVolume(path), VolumeReadError);
  assertEquals(e.path, path);
  assertStringIncludes(e.message, path);
  for (const f of fragments) assertStringIncludes(e.message, f);
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = await tempDir();
  try {
    await fn(dir);
  } finally {
    await cleanup();
  }
}

/** Writes a file with nibabel from a numpy expression; `dtype` may be any numpy dtype nibabel accepts. */
async function nibabelWrite(path: string, shapeExpr: string, dtype: string): Promise<void> {
  await runPython(
    `import sys, numpy as np, nibabel as nib
img = nib.Nifti1Image(np.zeros(${shapeExpr}, dtype=np.${dtype}), np.eye(4))
img.set_data_dtype(np.${dtype})
nib.save(img, sys.argv[1]); print("{}")`,
    [path],
  );
}

Deno.test("readVolume() names the file when the gzip stream is truncated", () =>
  withTemp(async (dir) => {
    const bytes = await Deno.readFile(SAMPLE);
    const path = `${dir}/truncated.nii.gz`;
    await Deno.writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectReadError(path, "truncated");
  }));

Deno.test("readVolume() names the file when the magic is wrong", () =>
  withTemp(async (dir) => {
    const raw = new Uint8Array(400);
    new DataView(raw.buffer).setInt32(0, 348, true);
    raw.set(new TextEncoder().encode("xyz\0"), 344);
    const path = `${dir}/wrong_magic.nii`;
    await Deno.writeFile(path, raw);
    await expectReadError(path, "magic", "n+1");
    const junk = `${dir}/not_nifti.nii.gz`;
    await Deno.writeFile(junk, gzipSync(new TextEncoder().encode("hello, this is not an image at all".repeat(20))));
    await expectReadError(junk, "not a NIfTI file");
  }));

Deno.test("readVolume() names the file when the data is shorter than the header says", () =>
  withTemp(async (dir) => {
    const full = `${dir}/full.nii`;
    await nibabelWrite(full, "(10, 10, 10)", "int16");
    const bytes = await Deno.readFile(full);
    const path = `${dir}/short.nii`;
    await Deno.writeFile(path, bytes.subarray(0, 352 + 1000));
    await expectReadError(path, "10×10×10 int16 (2000 bytes) but 1000 follow offset 352");
  }));

Deno.test("readVolume() names the file and the datatype when it is unsupported", () =>
  withTemp(async (dir) => {
    const path = `${dir}/complex.nii.gz`;
    await nibabelWrite(path, "(4, 4, 4)", "complex64");
    await expectReadError(path, "datatype 32 (complex64) is not supported");
  }));

Deno.test("readVolume() refuses 2D and 5D images, naming the file", () =>
  withTemp(async (dir) => {
    const flat = `${dir}/flat.nii.gz`;
    await nibabelWrite(flat, "(8, 8)", "int16");
    await expectReadError(flat, "2D");
    const five = `${dir}/five.nii.gz`;
    await nibabelWrite(five, "(4, 4, 4, 1, 3)", "int16");
    await expectReadError(five, "5D");
    const series = `${dir}/series.nii.gz`;
    await nibabelWrite(series, "(4, 4, 4, 2)", "int16");
    await expectReadError(series, "4D", "one time point");
  }));

Deno.test("readVolume() refuses float data with NaN, naming the file and the first voxel (i fastest)", () =>
  withTemp(async (dir) => {
    const path = `${dir}/nan.nii.gz`;
    await runPython(
      `import sys, numpy as np, nibabel as nib
a = np.zeros((3, 4, 5), np.float32); a[1, 2, 3] = np.nan; a[2, 2, 2] = np.inf
nib.save(nib.Nifti1Image(a, np.eye(4)), sys.argv[1]); print("{}")`,
      [path],
    );
    await expectReadError(path, "2 NaN or infinite voxels", "i,j,k = 2,2,2");
  }));

Deno.test("readVolume() names missing files, folders and unknown extensions", () =>
  withTemp(async (dir) => {
    await expectReadError(`${dir}/missing.nii.gz`, "does not exist");
    await expectReadError(`${dir}/missing.nrrd`, "does not exist");
    await Deno.mkdir(`${dir}/folder.nii`);
    await expectReadError(`${dir}/folder.nii`, "folder");
    await Deno.writeFile(`${dir}/scan.mha`, new Uint8Array(10));
    await expectReadError(`${dir}/scan.mha`, "extension is not supported");
  }));

Deno.test("readVolume() names the file for a truncated or malformed NRRD", () =>
  withTemp(async (dir) => {
    const bytes = await Deno.readFile(`${CT_DIR}/cip_ct-64_chest.nrrd`);
    const cut = `${dir}/cut.nrrd`;
    await Deno.writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expectReadError(cut, "truncated");
    const header = "NRRD0004\ntype: short\ndimension: 3\nsizes: 4 4 4\nencoding: raw\nendian: little\n\n";
    const short = `${dir}/short.nrrd`;
    await Deno.writeFile(short, new Uint8Array([...new TextEncoder().encode(header), ...new Uint8Array(10)]));
    await expectReadError(short, "4×4×4 short (128 bytes) but 10 follow");
    const badType = `${dir}/type.nrrd`;
    await Deno.writeFile(badType, new TextEncoder().encode(header.replace("short", "block")));
    await expectReadError(badType, 'type "block" is not supported');
    const badMagic = `${dir}/magic.nrrd`;
    await Deno.writeFile(badMagic, new TextEncoder().encode("P6\n" + header));
    await expectReadError(badMagic, "magic");
  }));
