import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertLessOrEqual,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import { createVolume, type Vec3, type Volume } from "../../src/io/mod.ts";
import { clahe, type ClaheOptions } from "../../src/preprocess/mod.ts";
import { maxAbsDiff, RAS_AFFINE } from "./_fixtures.ts";

/** The fixture's metadata, as written by testdata/make_clahe_fixture.py. */
interface ClaheFixture {
  versions: Record<string, string>;
  shape: Vec3;
  cases: { name: string; transform: "none" | "half"; options: ClaheOptions; skimage_call: string }[];
}

/** Reads the skimage fixture: metadata, the input and each case's skimage output (float32, i fastest). */
async function readFixture(): Promise<{ meta: ClaheFixture; input: Float32Array; outputs: Float32Array[] }> {
  const meta = JSON.parse(
    await Deno.readTextFile(new URL("./testdata/clahe_fixture.json", import.meta.url)),
  ) as ClaheFixture;
  const gz = await Deno.readFile(new URL("./testdata/clahe_fixture.f32.gz", import.meta.url));
  const stream = new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"));
  const all = new Float32Array(await new Response(stream).arrayBuffer()); // little-endian, as this machine
  const n = meta.shape[0] * meta.shape[1] * meta.shape[2];
  assertEquals(all.length, n * (1 + meta.cases.length), "fixture length");
  const part = (c: number) => all.slice(c * n, (c + 1) * n);
  return { meta, input: part(0), outputs: meta.cases.map((_, c) => part(c + 1)) };
}

/** A seeded volume of float32 values in [0, 1) on `RAS_AFFINE`, windowed-image style (`unit`). */
function randomVolume(shape: Vec3, seed: number): Volume<Float32Array> {
  const rng = new Rng(seed);
  const data = Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, () => rng.next());
  return createVolume(data, shape, RAS_AFFINE, "unit");
}

/** numpy's rint: nearest integer, ties to even (non-negative input). */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 === 1 ? r - 1 : r;
}

/**
 * Global histogram equalisation of the image as skimage quantises it, written from the definition: uint16
 * `rint(v·65535)`, stretched to 14 bits, binned by `1 + 16384 // nbins`, mapped through the whole-image cdf
 * (`floor(cdf · (16383 / N))`, skimage's map_histogram), then stretched to [0, 1] by the result's min and max.
 */
function globalEqualisation(data: Float32Array, nbins: number): Float32Array {
  const u = Array.from(data, (v) => rint(Math.fround(v * 65535)));
  const uMin = u.reduce((a, b) => Math.min(a, b));
  const uMax = u.reduce((a, b) => Math.max(a, b));
  const binSize = 1 + Math.floor(16384 / nbins);
  const bin = u.map((x) => Math.floor(rint(((x - uMin) / (uMax - uMin)) * 16383) / binSize));
  const counts = new Array<number>(nbins).fill(0);
  for (const b of bin) counts[b]++;
  const map: number[] = [];
  counts.reduce((cdf, c, b) => (map[b] = Math.floor(Math.min((cdf + c) * (16383 / data.length), 16383)), cdf + c), 0);
  const r = bin.map((b) => map[b]);
  const rMin = r.reduce((a, b) => Math.min(a, b));
  const rMax = r.reduce((a, b) => Math.max(a, b));
  return Float32Array.from(r, (x) => (x - rMin) / (rMax - rMin));
}

Deno.test("clahe() equals skimage.exposure.equalize_adapthist on the stored fixture", async () => {
  const { meta, input, outputs } = await readFixture();
  assertEquals(meta.versions["scikit-image"], "0.26.0");
  for (const [c, testCase] of meta.cases.entries()) {
    // "half": float32(float32(0.5·x) + 0.25), exact in float32 arithmetic on both sides.
    const data = testCase.transform === "none" ? input : input.map((v) => Math.fround(Math.fround(v * 0.5) + 0.25));
    const out = clahe(createVolume(data, meta.shape, RAS_AFFINE, "unit"), testCase.options);
    // skimage sums the blend in float32 and truncates; clahe() truncates the exact sum (see its doc comment). They may
    // differ by one 14-bit level, 1 / (rMax − rMin) ≈ 6.1e-5 after the final stretch here, on a few voxels; nothing
    // else may differ. Measured: 0, 6.2e-5 (58 voxels), 6.1e-5 (49 voxels), 0.
    const diff = maxAbsDiff(out.data, outputs[c]);
    assertLessOrEqual(diff, 1e-4, `${testCase.name} (${testCase.skimage_call}): max |diff| ${diff}`);
    const differing = out.data.filter((v, p) => v !== outputs[c][p]).length;
    assertLessOrEqual(differing, 0.02 * data.length, `${testCase.name}: ${differing} voxels differ`);
  }
});

Deno.test("clahe() keeps the grid, affine and input, and returns unit values spanning [0, 1]", () => {
  const image = randomVolume([17, 13, 9], 5);
  const copy = Float32Array.from(image.data);
  for (const options of [{}, { kernelVox: [5, 4, 3] as Vec3, clipLimit: 0.01 }, { kernelVox: [17, 40, 1] as Vec3 }]) {
    const out = clahe(image, options);
    assertEquals(out.shape, image.shape);
    assertEquals(out.affine, image.affine);
    assertEquals(out.spacingMm, image.spacingMm);
    assertEquals(out.unit, "unit");
    assertEquals(Math.min(...out.data), 0);
    assertEquals(Math.max(...out.data), 1);
    assert(out.data.every((v) => v >= 0 && v <= 1));
  }
  assertEquals(image.data, copy, "the input is not modified");
});

Deno.test("clahe() maps a constant volume to all 1", () => {
  // skimage's final rescale_intensity clips a constant result to [0, 1], giving 1 (e.g. for its default kernel on a
  // 24×20×16 volume). With kernelVox [6, 5, 3] skimage 0.26 instead returns a pattern of 0s and 1s: its float32 blend
  // drops some voxels one level below the others. clahe() blends exactly, so every case below is all 1.
  for (const value of [0, 0.3, 0.5, 1]) {
    for (const kernelVox of [undefined, [6, 5, 3] as Vec3, [24, 20, 16] as Vec3]) {
      for (const clipLimit of [0.01, 0.05, 1]) {
        const image = createVolume(new Float32Array(24 * 20 * 16).fill(value), [24, 20, 16], RAS_AFFINE, "unit");
        const out = clahe(image, { kernelVox, clipLimit });
        assert(out.data.every((v) => v === 1), `value ${value}, kernelVox ${kernelVox}, clipLimit ${clipLimit}`);
      }
    }
  }
});

Deno.test("clahe() with one tile and clipLimit 1 equals global histogram equalisation of the quantised image", () => {
  for (const [shape, nbins, seed] of [[[19, 14, 11], 256, 1], [[8, 30, 5], 64, 2], [[12, 12, 12], 1000, 3]] as const) {
    const image = randomVolume(shape, seed);
    const out = clahe(image, { kernelVox: shape, clipLimit: 1, nbins });
    assertEquals(out.data, globalEqualisation(image.data, nbins), `shape ${shape}, nbins ${nbins}`);
  }
});

Deno.test("clahe() is monotone in the input within a single tile, clipped or not", () => {
  for (const clipLimit of [0.01, 0.05, 1]) {
    const image = randomVolume([16, 15, 14], 7);
    const out = clahe(image, { kernelVox: [16, 15, 14], clipLimit }).data;
    const order = Array.from(image.data.keys()).sort((a, b) => image.data[a] - image.data[b]);
    for (let n = 1; n < order.length; n++) {
      assertGreaterOrEqual(out[order[n]], out[order[n - 1]], `clipLimit ${clipLimit}, rank ${n}`);
    }
  }
});

Deno.test("clahe() throws one RangeError per bad input or option, with the value in the message", () => {
  const image = randomVolume([6, 5, 4], 9);
  const withVoxel = (value: number) => {
    const data = Float32Array.from(image.data);
    data[1 + 6 * (2 + 5 * 3)] = value;
    return createVolume(data, image.shape, image.affine, "unit");
  };
  const cases: [() => unknown, string][] = [
    [() => clahe(withVoxel(NaN)), "voxel (1, 2, 3) is NaN: expected finite values in [0, 1]"],
    [() => clahe(withVoxel(-0.25)), "voxel (1, 2, 3) is -0.25: expected finite values in [0, 1]"],
    [() => clahe(withVoxel(1.5)), "voxel (1, 2, 3) is 1.5"],
    [() => clahe(withVoxel(Infinity)), "voxel (1, 2, 3) is Infinity"],
    [() => clahe({ ...image, shape: [0, 5, 4], data: new Float32Array(0) }), "shape is [0, 5, 4]: expected 3 positive"],
    [() => clahe({ ...image, shape: [6, 5, 5] }), "data has 120 voxels but shape 6×5×5 needs 150"],
    [() => clahe(image, { clipLimit: 0 }), "clipLimit is 0: expected a number in (0, 1]"],
    [() => clahe(image, { clipLimit: 1.5 }), "clipLimit is 1.5"],
    [() => clahe(image, { clipLimit: NaN }), "clipLimit is NaN"],
    [() => clahe(image, { kernelVox: [2, 0, 2] }), "kernelVox is [2, 0, 2]: expected 3 positive integers"],
    [() => clahe(image, { kernelVox: [2, 1.5, 2] }), "kernelVox is [2, 1.5, 2]"],
    [() => clahe(image, { kernelVox: [2, 2] as unknown as Vec3 }), "kernelVox is [2, 2]"],
    [() => clahe(image, { nbins: 0 }), "nbins is 0: expected an integer in [1, 16384]"],
    [() => clahe(image, { nbins: 12.5 }), "nbins is 12.5"],
    [() => clahe(image, { nbins: 20000 }), "nbins is 20000"],
    [
      () =>
        clahe(createVolume(new Float32Array(512 * 512 * 4), [512, 512, 4], RAS_AFFINE, "unit"), {
          kernelVox: [1, 1, 1],
        }),
      "makes 512×512×4 tiles of 256 bins (268435456 bins): expected at most 134217728",
    ],
  ];
  for (const [call, message] of cases) {
    const error = assertThrows(call, RangeError);
    assertStringIncludes(error.message, "Cannot apply CLAHE: ");
    assertStringIncludes(error.message, message);
  }
});
