import { assertEquals, assertThrows } from "@std/assert";
import { connectedComponents, type Connectivity } from "../../src/metrics/mod.ts";
import { Rng } from "../../src/data/mod.ts";
import type { Vec3 } from "../../src/io/mod.ts";
import { runPython, tempDir } from "../_support/python.ts";

/**
 * scipy.ndimage.label on raw uint8 masks, each seen as a C-ordered [k, j, i] array (the same memory as ours).
 * Returns, per mask, the label count and the path of the int32 labels it wrote.
 */
const SCIPY_LABEL = `
import sys, json, numpy as np
from scipy import ndimage
out = []
for spec in json.loads(sys.argv[1]):
    n0, n1, n2 = spec["shape"]
    mask = np.fromfile(spec["path"], dtype=np.uint8).reshape(n2, n1, n0)
    structure = ndimage.generate_binary_structure(3, 1 if spec["connectivity"] == 6 else 3)
    labels, count = ndimage.label(mask, structure=structure)
    labels.astype(np.int32).tofile(spec["path"] + ".labels")
    out.append(int(count))
print(json.dumps(out))
`;

interface Case {
  name: string;
  mask: Uint8Array;
  shape: Vec3;
}

/** Runs scipy on every case for both connectivities and compares labels voxel by voxel. */
async function assertMatchesScipy(cases: Case[]): Promise<void> {
  const { dir, cleanup } = await tempDir();
  try {
    const specs = [];
    for (const [c, item] of cases.entries()) {
      for (const connectivity of [6, 26] as const) {
        const path = `${dir}/m${c}_${connectivity}.raw`;
        await Deno.writeFile(path, item.mask);
        specs.push({ path, shape: item.shape, connectivity, item });
      }
    }
    const counts = await runPython<number[]>(SCIPY_LABEL, [JSON.stringify(specs.map(({ item: _, ...s }) => s))]);
    for (const [s, spec] of specs.entries()) {
      const bytes = await Deno.readFile(`${spec.path}.labels`);
      const expected = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      const got = connectedComponents(spec.item.mask, spec.shape, { connectivity: spec.connectivity });
      const what = `${spec.item.name}, connectivity ${spec.connectivity}`;
      assertEquals(got.count, counts[s], `count: ${what}`);
      assertEquals(got.labels, Int32Array.from(expected), `labels: ${what}`);
      const sizes = new Int32Array(got.count);
      for (const l of expected) if (l > 0) sizes[l - 1]++;
      assertEquals(got.sizes, sizes, `sizes: ${what}`);
      assertEquals(got.connectivity, spec.connectivity);
    }
  } finally {
    await cleanup();
  }
}

function randomMask(rng: Rng, shape: Vec3, density: number): Uint8Array {
  return Uint8Array.from({ length: shape[0] * shape[1] * shape[2] }, () => (rng.bool(density) ? 1 : 0));
}

Deno.test("connectedComponents() equals scipy.ndimage.label (6 and 26) on random masks", async () => {
  const rng = new Rng(11);
  const cases: Case[] = [];
  for (
    const [shape, density] of [
      [[17, 13, 11], 0.1],
      [[17, 13, 11], 0.3], // near the 26-connectivity percolation threshold: large, branching components
      [[20, 9, 14], 0.5],
      [[31, 1, 1], 0.5],
      [[1, 23, 19], 0.4],
      [[7, 1, 29], 0.45],
      [[40, 40, 24], 0.2],
    ] as [Vec3, number][]
  ) {
    cases.push({ name: `random ${shape.join("×")} p=${density}`, mask: randomMask(rng, shape, density), shape });
  }
  await assertMatchesScipy(cases);
});

Deno.test("connectedComponents() equals scipy.ndimage.label on adversarial masks", async () => {
  const shape: Vec3 = [9, 8, 7];
  const n = 9 * 8 * 7;
  const at = (i: number, j: number, k: number) => i + 9 * (j + 8 * k);
  const checker = new Uint8Array(n),
    diagonal = new Uint8Array(n),
    spiral = new Uint8Array(n),
    uShape = new Uint8Array(n);
  for (let k = 0; k < 7; k++) {
    for (let j = 0; j < 8; j++) for (let i = 0; i < 9; i++) checker[at(i, j, k)] = (i + j + k) % 2;
  }
  for (let t = 0; t < 7; t++) diagonal[at(t, t, t)] = 1; // corner-touching chain: 1 component (26) or 7 (6)
  for (let t = 0; t < 7; t++) diagonal[at(8 - t, t, 6 - t)] = 1;
  // A U whose arms meet only at the bottom, late in scan order: labels must be merged and renumbered.
  for (let j = 0; j < 8; j++) uShape[at(1, j, 3)] = uShape[at(7, j, 3)] = 1;
  for (let i = 1; i <= 7; i++) uShape[at(i, 7, 3)] = 1;
  // Edge-touching blobs across slices (26 joins them, 6 does not).
  spiral[at(0, 0, 0)] =
    spiral[at(1, 1, 0)] =
    spiral[at(1, 1, 1)] =
    spiral[at(2, 0, 2)] =
    spiral[at(8, 7, 6)] =
      1;
  await assertMatchesScipy([
    { name: "empty", mask: new Uint8Array(n), shape },
    { name: "full", mask: new Uint8Array(n).fill(1), shape },
    { name: "checkerboard", mask: checker, shape },
    { name: "diagonals", mask: diagonal, shape },
    { name: "U", mask: uShape, shape },
    { name: "edge/corner contacts", mask: spiral, shape },
    { name: "single voxel", mask: Uint8Array.of(1), shape: [1, 1, 1] },
  ]);
});

Deno.test("connectedComponents() treats any nonzero value as foreground", () => {
  const mask = Float32Array.of(0, 0.5, -2, 0, 7, 0);
  const got = connectedComponents(mask, [6, 1, 1], { connectivity: 6 });
  assertEquals(Array.from(got.labels), [0, 1, 1, 0, 2, 0]);
  assertEquals(Array.from(got.sizes), [2, 1]);
});

Deno.test("connectedComponents() throws RangeError on a wrong length or connectivity", () => {
  assertThrows(() => connectedComponents(new Uint8Array(5), [2, 2, 2]), RangeError, "mask has 5 voxels");
  assertThrows(
    () => connectedComponents(new Uint8Array(8), [2, 2, 2], { connectivity: 18 as Connectivity }),
    RangeError,
    "connectivity 18: expected one of 6, 26",
  );
});
