import { assert, assertEquals, assertLessOrEqual } from "@std/assert";
import { mat4MaxAbsDiff, readNifti, readNrrd, sameGrid } from "../../src/io/mod.ts";
import { CT_DIR, tempDir } from "../_support/python.ts";

Deno.test("readNrrd() gives the same world-space volume as the NIfTI twin of cip_ct-64_chest", async () => {
  const nrrd = await readNrrd(`${CT_DIR}/cip_ct-64_chest.nrrd`);
  const nii = await readNifti(`${CT_DIR}/cip_ct-64_chest.nii.gz`);
  assertEquals(nrrd.shape, nii.shape);
  // The NIfTI stores float32 header numbers; the NRRD stores decimal text: equal to float32 precision.
  assertLessOrEqual(mat4MaxAbsDiff(nrrd.affine, nii.affine), 1e-4);
  assert(sameGrid(nrrd, nii, 1e-4));
  assertEquals(nrrd.data, nii.data);
});

function nrrdBytes(header: string, payload: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(h.length + payload.length);
  out.set(h);
  out.set(payload, h.length);
  return out;
}

Deno.test("readNrrd() reads raw encoding, big-endian floats, and converts LPS/RAS space to RAS+", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const values = Float32Array.from({ length: 2 * 3 * 4 }, (_, v) => v * 0.25 - 2);
    const be = new Uint8Array(values.length * 4);
    const view = new DataView(be.buffer);
    values.forEach((x, v) => view.setFloat32(4 * v, x, false));
    const lps = "NRRD0004\ntype: float\ndimension: 3\nspace: left-posterior-superior\nsizes: 2 3 4\n" +
      "space directions: (0,1.5,0) (2,0,0) (0,0,-3)\nendian: big\nencoding: raw\nspace origin: (10,20,30)\n\n";
    await Deno.writeFile(`${dir}/lps.nrrd`, nrrdBytes(lps, be));
    const a = await readNrrd(`${dir}/lps.nrrd`);
    assertEquals(a.data, values);
    // LPS → RAS flips x and y of every direction and of the origin.
    assertEquals([...a.affine], [0, -2, 0, -10, -1.5, 0, 0, -20, 0, 0, -3, 30, 0, 0, 0, 1]);
    assertEquals([...a.spacingMm], [1.5, 2, 3]);
    const ras = lps.replace("left-posterior-superior", "right-anterior-superior");
    await Deno.writeFile(`${dir}/ras.nrrd`, nrrdBytes(ras, be));
    const b = await readNrrd(`${dir}/ras.nrrd`);
    assertEquals([...b.affine], [0, 2, 0, 10, 1.5, 0, 0, 20, 0, 0, -3, 30, 0, 0, 0, 1]);
  } finally {
    await cleanup();
  }
});
