/**
 * Shared fixtures of the preprocess tests: world-linear ramps on chosen grids, and raw-array exchange with the Python
 * oracle (float32/int16/uint8 little-endian files in a temp folder, read with `numpy.fromfile`).
 *
 * @module
 */
import { applyAffine, createVolume, type Mat4, type Vec3, type Volume, type VoxelArray } from "../../src/io/mod.ts";

/** A linear function of world RAS+ mm: value = 2.5·x − 1.75·y + 0.8·z + 40. */
export function ramp(world: readonly number[]): number {
  return 2.5 * world[0] - 1.75 * world[1] + 0.8 * world[2] + 40;
}

/** RAS-like affine with non-unit, unequal spacing and an offset origin. */
export const RAS_AFFINE: Mat4 = [0.7, 0, 0, -31.5, 0, 0.8, 0, 12.25, 0, 0, 1.3, -80.1, 0, 0, 0, 1];

/** LPS-like affine (negative i and j axes), as DICOM-derived NIfTI files have. */
export const LPS_AFFINE: Mat4 = [-0.75, 0, 0, 40.2, 0, -0.9, 0, 55.5, 0, 0, 2.0, -120.3, 0, 0, 0, 1];

/** A float32 volume whose value at each voxel is {@linkcode ramp} at the voxel's world centre. */
export function rampVolume(
  shape: Vec3,
  affine: Mat4,
  f: (world: readonly number[]) => number = ramp,
): Volume<Float32Array> {
  const data = new Float32Array(shape[0] * shape[1] * shape[2]);
  for (let k = 0, p = 0; k < shape[2]; k++) {
    for (let j = 0; j < shape[1]; j++) {
      for (let i = 0; i < shape[0]; i++, p++) data[p] = f(applyAffine(affine, [i, j, k]));
    }
  }
  return createVolume(data, shape, affine, "HU");
}

/** Largest |a − b| over the voxels where `where(p)` holds (all by default); NaN-safe (NaN counts as Infinity). */
export function maxAbsDiff(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  where: (p: number) => boolean = () => true,
): number {
  let d = 0;
  for (let p = 0; p < a.length; p++) {
    if (!where(p)) continue;
    const e = Math.abs(a[p] - b[p]);
    d = Number.isNaN(e) ? Infinity : Math.max(d, e);
  }
  return d;
}

/** Writes a typed array's bytes to `path` (little-endian, as numpy's `fromfile` with '<f4', '<i2', 'u1' reads). */
export async function writeRaw(path: string, data: VoxelArray): Promise<void> {
  await Deno.writeFile(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** Reads a float32 raw file written by numpy's `tofile`. */
export async function readRawFloat32(path: string): Promise<Float32Array> {
  const bytes = await Deno.readFile(path);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** Reads a uint8 raw file written by numpy's `tofile`. */
export async function readRawUint8(path: string): Promise<Uint8Array> {
  return await Deno.readFile(path);
}
