/**
 * The one currency between stages: a 3D scalar image on a regular grid with its affine.
 *
 * @module
 */
import { type Mat4, spacingOf, type Vec3 } from "./affine.ts";

export type { Mat4, Vec3 } from "./affine.ts";

/** Typed arrays a volume may hold (the NIfTI datatypes the project reads). */
export type VoxelArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Float32Array
  | Float64Array;

/** What voxel values mean. */
export const VOXEL_UNITS = ["HU", "unit", "score", "label", "other"] as const;
/** "HU" raw CT, "unit" a [0, 1] window, "score" an anomaly map, "label" a mask, "other" anything else. */
export type VoxelUnit = typeof VOXEL_UNITS[number];

/**
 * A 3D scalar image on a regular grid.
 *
 * Index order (i, j, k) as in NIfTI, i fastest: `data[i + shape[0] * (j + shape[1] * k)]`.
 * tfjs (NDHWC) and ONNX (NCDHW) see the same buffer as `[k, j, i]` (D, H, W) with no copy.
 * World coordinates are RAS+ mm: `affine` maps (i, j, k, 1) to (x, y, z, 1) of the voxel's centre.
 */
export interface Volume<T extends VoxelArray = VoxelArray> {
  /** Voxel values, i fastest; their meaning is `unit`. */
  readonly data: T;
  /** Voxels along i, j, k. */
  readonly shape: Vec3;
  /** Voxel size along i, j, k in mm: the column norms of the affine's 3×3 block. */
  readonly spacingMm: Vec3;
  /** Row-major 4×4 map from voxel index (i, j, k, 1) to world RAS+ mm. */
  readonly affine: Mat4;
  /** What the values mean. */
  readonly unit: VoxelUnit;
}

/**
 * Builds a {@linkcode Volume}, checking that `data` holds exactly `shape[0]·shape[1]·shape[2]` voxels and that the
 * affine is 16 finite numbers; `spacingMm` is derived from the affine.
 *
 * @throws {RangeError} If the sizes disagree or a dimension is not a positive integer.
 * @throws {TypeError} If the affine is not 16 finite numbers.
 */
export function createVolume<T extends VoxelArray>(
  data: T,
  shape: Vec3,
  affine: Mat4,
  unit: VoxelUnit = "other",
): Volume<T> {
  if (shape.length !== 3 || shape.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new RangeError(`Cannot create volume: shape must be 3 positive integers, got [${shape.join(", ")}]`);
  }
  const n = shape[0] * shape[1] * shape[2];
  if (data.length !== n) {
    throw new RangeError(
      `Cannot create volume: data has ${data.length} voxels but shape ${shape.join("×")} needs ${n}`,
    );
  }
  if (affine.length !== 16 || affine.some((v) => !Number.isFinite(v))) {
    throw new TypeError(`Cannot create volume: affine must be 16 finite numbers, got [${affine.join(", ")}]`);
  }
  return {
    data,
    shape: [shape[0], shape[1], shape[2]],
    spacingMm: spacingOf(affine),
    affine: Array.from(affine),
    unit,
  };
}

/** Number of voxels of a shape. */
export function voxelCount(shape: Vec3): number {
  return shape[0] * shape[1] * shape[2];
}

/** Same grid (shape and affine within `toleranceMm`) — the condition for voxel-wise comparison of two volumes. */
export function sameGrid(a: Pick<Volume, "shape" | "affine">, b: Pick<Volume, "shape" | "affine">, toleranceMm = 1e-3) {
  if (a.shape.some((n, d) => n !== b.shape[d])) return false;
  for (let e = 0; e < 16; e++) if (Math.abs(a.affine[e] - b.affine[e]) > toleranceMm) return false;
  return true;
}
