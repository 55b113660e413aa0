import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertGreater,
  assertLess,
  assertNotEquals,
  assertThrows,
} from "@std/assert";
import { generatePhantom, LESION_TYPES, type Phantom, type PhantomOptions, TISSUE } from "../../src/data/mod.ts";
import { applyAffine } from "../../src/io/mod.ts";
import { bodyMask } from "../../src/preprocess/mod.ts";
import { runPython, tempDir } from "../_support/python.ts";

/** Small grids so that a phantom takes tens of milliseconds; the field of view still holds a whole torso. */
const SMALL: PhantomOptions = { shape: [96, 96, 48], spacingMm: [3.75, 3.75, 6.5] };
const MEDIUM: PhantomOptions = { shape: [144, 144, 64], spacingMm: [2.5, 2.5, 5] };

function meanWhere(p: Phantom, keep: (n: number) => boolean): { mean: number; count: number } {
  let sum = 0, count = 0;
  for (let n = 0; n < p.ct.data.length; n++) {
    if (keep(n)) {
      sum += p.ct.data[n];
      count++;
    }
  }
  return { mean: sum / count, count };
}

/** Voxels of `label` whose 6 neighbours all have the same label (away from partial-volume edges). */
function interior(p: Phantom, label: number): (n: number) => boolean {
  const [ni, nj, nk] = p.tissue.shape;
  const t = p.tissue.data;
  return (n) => {
    if (t[n] !== label) return false;
    const i = n % ni, j = Math.floor(n / ni) % nj, k = Math.floor(n / (ni * nj));
    if (i === 0 || j === 0 || k === 0 || i === ni - 1 || j === nj - 1 || k === nk - 1) return false;
    return t[n - 1] === label && t[n + 1] === label && t[n - ni] === label && t[n + ni] === label &&
      t[n - ni * nj] === label && t[n + ni * nj] === label;
  };
}

Deno.test("generatePhantom() is deterministic: same seed, same bytes; other seeds differ", () => {
  const a = generatePhantom(11, SMALL), b = generatePhantom(11, SMALL), c = generatePhantom(12, SMALL);
  assertEquals(a.ct.data, b.ct.data);
  assertEquals(a.lesions.data, b.lesions.data);
  assertEquals(a.info, b.info);
  assertNotEquals(a.ct.data, c.ct.data);
  assertNotEquals(a.info.patient, c.info.patient);
});

Deno.test("generatePhantom() returns int16 HU, 0/1 masks and a centred diagonal RAS+ affine", () => {
  const p = generatePhantom(3, SMALL);
  assert(p.ct.data instanceof Int16Array);
  assertEquals(p.ct.unit, "HU");
  assertEquals(p.ct.shape, [96, 96, 48]);
  assertEquals(p.ct.spacingMm, [3.75, 3.75, 6.5]);
  for (const v of [p.lesions, p.body]) {
    assert(v.data instanceof Uint8Array);
    assert(v.data.every((x) => x === 0 || x === 1), "mask must be exactly 0/1");
    assertEquals(v.affine, p.ct.affine);
  }
  const a = p.ct.affine;
  for (const e of [1, 2, 4, 6, 8, 9]) assertEquals(a[e], 0);
  assert(a[0] > 0 && a[5] > 0 && a[10] > 0);
  const centre = applyAffine(a, [47.5, 47.5, 23.5]);
  for (const x of centre) assertAlmostEquals(x, 0, 1e-9);
  assertEquals(p.info.affine.flat(), [...a]);
  const min = p.ct.data.reduce((m, v) => Math.min(m, v), 0), max = p.ct.data.reduce((m, v) => Math.max(m, v), 0);
  assert(min >= -1024 && max <= 3071, `HU range [${min}, ${max}]`);
});

Deno.test("generatePhantom() gives plausible CT numbers per tissue", () => {
  for (const seed of [1, 2, 3]) {
    const p = generatePhantom(seed, MEDIUM);
    const lung = meanWhere(p, interior(p, TISSUE.lung));
    assertGreater(lung.count, 1000);
    assertAlmostEquals(lung.mean, -850, 60, `lung interior of seed ${seed}: ${lung.mean}`);
    // Air: −1000 plus noise, clipped at −1024 as scanners do (which lifts the mean by a few HU).
    const outside = meanWhere(p, interior(p, TISSUE.air));
    assertAlmostEquals(outside.mean, -1000, 10, `air of seed ${seed}: ${outside.mean}`);
    const fat = meanWhere(p, interior(p, TISSUE.subcutaneous_fat));
    assertAlmostEquals(fat.mean, -100, 30, `fat of seed ${seed}: ${fat.mean}`);
    const liver = meanWhere(p, interior(p, TISSUE.liver));
    assertAlmostEquals(liver.mean, 58, 20, `liver of seed ${seed}: ${liver.mean}`);
    const muscle = meanWhere(p, interior(p, TISSUE.muscle));
    assertAlmostEquals(muscle.mean, 45, 25, `muscle of seed ${seed}: ${muscle.mean}`);
    const bone = meanWhere(p, (n) => p.tissue.data[n] === TISSUE.bone_cortical);
    assertGreater(bone.mean, 300, `cortical bone of seed ${seed}: ${bone.mean}`);
  }
});

Deno.test("generatePhantom() varies patient size and position between seeds", () => {
  const infos = [1, 2, 3, 4, 5, 6].map((s) => generatePhantom(s, SMALL).info.patient);
  const widths = infos.map((i) => i.widthMm), xs = infos.map((i) => i.centerMm[0]);
  assertGreater(Math.max(...widths) - Math.min(...widths), 15);
  assertGreater(Math.max(...xs) - Math.min(...xs), 5);
  for (const w of widths) assert(w > 220 && w < 350, `body width ${w} mm`);
});

/** scipy.ndimage.label with 26-connectivity as the oracle: size of the blob at each centre and of every blob. */
const BLOBS = `
import sys, json, numpy as np, scipy.ndimage as ndi
ni, nj, nk = map(int, sys.argv[2:5])
mask = np.fromfile(sys.argv[1], dtype=np.uint8).reshape(nk, nj, ni)
lab, n = ndi.label(mask, structure=np.ones((3, 3, 3)))
sizes = np.bincount(lab.ravel())
centres = json.loads(sys.argv[5])
at = [int(lab[k, j, i]) for i, j, k in centres]
print(json.dumps({"blobs": int(n), "atCentre": at, "sizeAtCentre": [int(sizes[l]) if l else 0 for l in at]}))
`;

Deno.test("generatePhantom() records every lesion as one blob of the mask with its voxel count", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    let lesionCount = 0;
    const types = new Set<string>();
    for (const seed of [21, 22, 23, 24, 25, 26]) {
      const p = generatePhantom(seed, { ...MEDIUM, lesionRate: 1, maxLesions: 6 });
      const lesions = p.info.lesions;
      assertGreater(lesions.length, 0, `seed ${seed} has lesionRate 1 but no lesion`);
      await Deno.writeFile(`${dir}/m.raw`, p.lesions.data);
      const [ni, nj, nk] = p.lesions.shape;
      const res = await runPython<{ blobs: number; atCentre: number[]; sizeAtCentre: number[] }>(BLOBS, [
        `${dir}/m.raw`,
        String(ni),
        String(nj),
        String(nk),
        JSON.stringify(lesions.map((l) => l.centerVoxel)),
      ]);
      assertEquals(res.blobs, lesions.length, `seed ${seed}: one blob per lesion`);
      assertEquals(new Set(res.atCentre).size, lesions.length, `seed ${seed}: distinct blobs`);
      assert(res.atCentre.every((l) => l > 0), `seed ${seed}: every centre lies in the mask`);
      assertEquals(res.sizeAtCentre, lesions.map((l) => l.voxelCount), `seed ${seed}: voxel counts`);
      const total = p.lesions.data.reduce((s, v) => s + v, 0);
      assertEquals(total, lesions.reduce((s, l) => s + l.voxelCount, 0));
      for (const l of lesions) {
        lesionCount++;
        types.add(l.type);
        const world = applyAffine(p.ct.affine, l.centerVoxel);
        for (let d = 0; d < 3; d++) assertAlmostEquals(world[d], l.centerMm[d], 1e-3);
        assert(l.radiusMm >= 3 && l.radiusMm <= 30, `radius ${l.radiusMm}`);
        assertAlmostEquals(l.volumeMm3, l.voxelCount * 2.5 * 2.5 * 5, 1e-2);
        if (l.type === "ggo_nodule") assert(l.targetHu >= -650 && l.targetHu <= -300);
        if (l.type === "solid_nodule") assert(l.targetHu >= 0 && l.targetHu <= 60);
        if (l.type === "liver_lesion") assertLess(l.meanHu, meanWhere(p, interior(p, TISSUE.liver)).mean);
      }
      // Lesions stay inside their organ.
      const organ: Record<string, number[]> = {
        lung: [TISSUE.lung, TISSUE.lung_vessel],
        liver: [TISSUE.liver, TISSUE.liver_vessel],
        kidney: [TISSUE.kidney, TISSUE.renal_sinus],
      };
      const allowed = new Set(lesions.flatMap((l) => organ[l.organ]));
      for (let n = 0; n < p.lesions.data.length; n++) {
        if (p.lesions.data[n]) assert(allowed.has(p.tissue.data[n]), `lesion voxel on tissue ${p.tissue.data[n]}`);
      }
    }
    assertGreater(lesionCount, 6);
    assertGreater(types.size, 2, `lesion types seen: ${[...types]}`);
    for (const t of types) assert((LESION_TYPES as readonly string[]).includes(t));
  } finally {
    await cleanup();
  }
});

Deno.test("generatePhantom() with lesionRate 0 gives the same patient without lesions", () => {
  for (const seed of [31, 32, 33]) {
    const clean = generatePhantom(seed, { ...SMALL, lesionRate: 0 });
    const sick = generatePhantom(seed, { ...SMALL, lesionRate: 1 });
    assertEquals(clean.info.lesions, []);
    assert(clean.lesions.data.every((v) => v === 0));
    assertEquals(clean.tissue.data, sick.tissue.data);
    assertEquals(clean.info.patient, sick.info.patient);
  }
});

Deno.test("generatePhantom() with the default lesion rate leaves some scans lesion-free", () => {
  const counts = Array.from({ length: 12 }, (_, s) => generatePhantom(100 + s, SMALL).info.lesions.length);
  assert(counts.some((c) => c === 0), `lesion counts ${counts}`);
  assert(counts.some((c) => c > 0), `lesion counts ${counts}`);
});

Deno.test("generatePhantom() body mask is the body outline that preprocess bodyMask() finds from HU", () => {
  const p = generatePhantom(41, MEDIUM);
  const found = bodyMask(p.ct);
  let differ = 0;
  for (let n = 0; n < found.data.length; n++) if (found.data[n] !== p.body.data[n]) differ++;
  assertLess(differ / found.data.length, 1e-3);
  const inside = p.body.data.reduce((s, v) => s + v, 0) / p.body.data.length;
  assert(inside > 0.2 && inside < 0.6, `body fraction ${inside}`);
});

Deno.test("generatePhantom() throws RangeError on bad options", () => {
  assertThrows(() => generatePhantom(1.5, SMALL), RangeError, "seed 1.5");
  assertThrows(() => generatePhantom(1, { shape: [96, 0, 48] }), RangeError, "shape [96, 0, 48]");
  assertThrows(() => generatePhantom(1, { ...SMALL, spacingMm: [1, -1, 1] }), RangeError, "spacingMm");
  assertThrows(() => generatePhantom(1, { ...SMALL, lesionRate: 1.2 }), RangeError, "lesionRate 1.2");
  assertThrows(() => generatePhantom(1, { ...SMALL, maxLesions: 0 }), RangeError, "maxLesions 0");
  assertThrows(() => generatePhantom(1, { ...SMALL, lesionWeights: { solid_nodule: -1 } }), RangeError);
  assertThrows(() => generatePhantom(1, { ...SMALL, positionJitterMm: [1, 1, -1] }), RangeError, "positionJitterMm");
});

Deno.test("generatePhantom() honours lesion weights", () => {
  for (const seed of [51, 52, 53]) {
    const p = generatePhantom(seed, {
      ...MEDIUM,
      lesionRate: 1,
      lesionWeights: { solid_nodule: 0, ggo_nodule: 0, kidney_tumor: 0, liver_lesion: 1 },
    });
    assert(p.info.lesions.every((l) => l.type === "liver_lesion" && l.organ === "liver"));
  }
});
