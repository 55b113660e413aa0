import { assert, assertEquals, assertThrows } from "@std/assert";
import { createVolume, readVolume, reorient, type Vec3 } from "../../src/io/mod.ts";
import { bodyMask } from "../../src/preprocess/mod.ts";
import { CT_DIR, runPython, tempDir } from "../_support/python.ts";
import { LPS_AFFINE, readRawUint8, writeRaw } from "./_fixtures.ts";

const CHEST_CT = `${CT_DIR}/cip_ct-64_chest.nii.gz`;

/** Draws a slice-by-slice picture: rows are j (top = 0), characters are i; "#" tissue 40 HU, "." air −1000 HU. */
function volumeFromSlices(slices: string[][]): { data: Int16Array; shape: Vec3 } {
  const n2 = slices.length, n1 = slices[0].length, n0 = slices[0][0].length;
  const data = new Int16Array(n0 * n1 * n2);
  slices.forEach((rows, k) =>
    rows.forEach((row, j) => [...row].forEach((ch, i) => (data[i + n0 * (j + n1 * k)] = ch === "#" ? 40 : -1000)))
  );
  return { data, shape: [n0, n1, n2] };
}

Deno.test("bodyMask() keeps enclosed lung air inside the body, slice by slice", () => {
  // Slice 0: an airway (column i = 3) opens the inner air to the outside within the slice: that air is outside.
  // Slice 1: the same inner air is enclosed (a "lung"): it is body, although in 3D it connects to the outside through
  // slice 0 (as the trachea connects lungs to the air in front of the face). Slice 1 also has a one-voxel diagonal gap
  // in the wall at (6, 5)–(7, 6): 4-connectivity does not leak through it.
  const { data, shape } = volumeFromSlices([
    [
      "..........",
      ".########.",
      ".##...###.",
      ".##...###.",
      ".##...###.",
      ".##.#####.",
      ".##.#####.",
      "..........",
    ],
    [
      "..........",
      ".########.",
      ".##...###.",
      ".##...###.",
      ".##...###.",
      ".#####.##.",
      ".######...",
      "..........",
    ],
  ]);
  const mask = bodyMask(createVolume(data, shape, LPS_AFFINE, "HU"));
  assertEquals(mask.unit, "label");
  assertEquals(mask.shape, shape);
  assertEquals(mask.affine, [...LPS_AFFINE]);
  const picture = [0, 1].map((k) =>
    Array.from(
      { length: shape[1] },
      (_, j) => Array.from({ length: shape[0] }, (_, i) => (mask.data[i + 10 * (j + 8 * k)] ? "B" : "-")).join(""),
    )
  );
  assertEquals(picture, [
    [
      "----------",
      "-BBBBBBBB-",
      "-BB---BBB-",
      "-BB---BBB-",
      "-BB---BBB-",
      "-BB-BBBBB-",
      "-BB-BBBBB-",
      "----------",
    ],
    [
      "----------",
      "-BBBBBBBB-",
      "-BBBBBBBB-",
      "-BBBBBBBB-",
      "-BBBBBBBB-",
      "-BBBBBBBB-",
      "-BBBBBB---",
      "----------",
    ],
  ]);
});

Deno.test("bodyMask() honours airHu and throws on a non-finite one", () => {
  const data = new Int16Array([-600, -400, -600, -400, -600, -400, -600, -400, -600]);
  const vol = createVolume(data, [3, 3, 1], LPS_AFFINE, "HU");
  assertEquals([...bodyMask(vol).data], [0, 1, 0, 1, 1, 1, 0, 1, 0]); // the centre −600 is enclosed by 4 tissue voxels
  assertEquals([...bodyMask(vol, { airHu: -700 }).data], [1, 1, 1, 1, 1, 1, 1, 1, 1]);
  assertEquals([...bodyMask(vol, { airHu: -300 }).data], [0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assertThrows(() => bodyMask(vol, { airHu: NaN }), RangeError, "airHu");
});

Deno.test("bodyMask() equals a scipy.ndimage.label reference on a real chest CT", async () => {
  const ct = reorient(await readVolume(CHEST_CT, { unit: "HU" }), "RAS");
  assert(ct.data instanceof Int16Array);
  const mask = bodyMask(ct);
  const { dir, cleanup } = await tempDir();
  try {
    await writeRaw(`${dir}/ct.i2`, ct.data);
    // Independent reference: per axial slice, label air with a 4-connected cross; labels seen on the border are out.
    const script = `
import sys, json, numpy as np
from scipy import ndimage
d, shape = sys.argv[1], json.loads(sys.argv[2])
ct = np.fromfile(d + "/ct.i2", dtype="<i2").reshape(shape, order="F")
body = np.ones(shape, dtype=np.uint8)
cross = ndimage.generate_binary_structure(2, 1)
for k in range(shape[2]):
    lab, _ = ndimage.label(ct[:, :, k] < -500, structure=cross)
    border = np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]))
    border = border[border > 0]
    body[:, :, k][np.isin(lab, border)] = 0
body.ravel(order="F").tofile(d + "/body.u1")
print(json.dumps({"body": int(body.sum()), "enclosed_air": int(((ct < -500) & (body == 1)).sum())}))
`;
    const ref = await runPython<{ body: number; enclosed_air: number }>(script, [dir, JSON.stringify(ct.shape)]);
    const want = await readRawUint8(`${dir}/body.u1`);
    assertEquals(mask.data.length, want.length);
    let diff = 0;
    for (let p = 0; p < want.length; p++) if (mask.data[p] !== want[p]) diff++;
    assertEquals(diff, 0);
    // The chest has lungs: a sizeable amount of air must be inside the body.
    assert(ref.enclosed_air > 1000, `enclosed air ${ref.enclosed_air}`);
  } finally {
    await cleanup();
  }
});
