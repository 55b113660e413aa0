/**
 * Shared fixtures of the SSL tests: small preprocessed phantoms and synthetic scans with known geometry.
 *
 * @module
 */
import { generatePhantom } from "../../src/data/mod.ts";
import { applyAffine, createVolume, type Mat4, mat4Invert, type Vec3 } from "../../src/io/mod.ts";
import { preprocessCt } from "../../src/preprocess/mod.ts";
import { createTrainingScan, type CropGrid, type TrainingScan } from "../../src/ssl/mod.ts";

const phantoms = new Map<number, TrainingScan>();

/**
 * A lesion-free phantom (64 × 64 × 48 voxels at 3 × 3 × 4 mm) preprocessed at 2 × 2 × 3 mm (about 95 × 89 × 63
 * voxels), built once per seed.
 */
export function phantomScan(seed = 1): TrainingScan {
  let scan = phantoms.get(seed);
  if (scan === undefined) {
    const { ct } = generatePhantom(seed, { shape: [64, 64, 48], spacingMm: [3, 3, 4], lesionRate: 0 });
    scan = createTrainingScan(preprocessCt(ct, { spacingMm: [2, 2, 3] }), `phantom ${seed}`);
    phantoms.set(seed, scan);
  }
  return scan;
}

/**
 * A synthetic scan on `shape` with `affine`: image `f(world)` clipped to [0, 1] and body mask `body(i, j, k)`.
 */
export function syntheticScan(
  shape: Vec3,
  affine: Mat4,
  f: (w: readonly number[]) => number,
  body: (i: number, j: number, k: number) => boolean,
): TrainingScan {
  const n = shape[0] * shape[1] * shape[2];
  const image = new Float32Array(n);
  const mask = new Uint8Array(n);
  for (let k = 0, p = 0; k < shape[2]; k++) {
    for (let j = 0; j < shape[1]; j++) {
      for (let i = 0; i < shape[0]; i++, p++) {
        image[p] = f(applyAffine(affine, [i, j, k]));
        mask[p] = body(i, j, k) ? 1 : 0;
      }
    }
  }
  return createTrainingScan({
    image: createVolume(image, shape, affine, "unit"),
    bodyMask: createVolume(mask, shape, affine, "label"),
  }, "synthetic");
}

/** Diagonal RAS affine with spacing `s` and origin `o`. */
export function rasAffine(s: Vec3, o: Vec3): number[] {
  return [s[0], 0, 0, o[0], 0, s[1], 0, o[1], 0, 0, s[2], o[2], 0, 0, 0, 1];
}

/** Crop voxel index (a, b, c) of a flat crop index. */
export function cropIndex(grid: CropGrid, flat: number): Vec3 {
  const [n0, n1] = grid.shape;
  const c = Math.floor(flat / (n0 * n1));
  const b = Math.floor((flat - c * n0 * n1) / n0);
  return [flat - c * n0 * n1 - b * n0, b, c];
}

/** Scan voxel index (i, j, k) of a flat scan index. */
export function scanIndex(scan: TrainingScan, flat: number): Vec3 {
  const [n0, n1] = scan.image.shape;
  const k = Math.floor(flat / (n0 * n1));
  const j = Math.floor((flat - k * n0 * n1) / n0);
  return [flat - k * n0 * n1 - j * n0, j, k];
}

/** Continuous crop index of a world point (through the inverse of the crop's affine). */
export function worldToCrop(grid: CropGrid, world: Vec3): [number, number, number] {
  return applyAffine(mat4Invert(grid.affine), world);
}
