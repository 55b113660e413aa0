/**
 * Axis codes and reorientation by axis permutation and flips only (no resampling, no interpolation).
 *
 * @module
 */
import type { Mat4, Vec3 } from "./affine.ts";
import { createVolume, type Volume, type VoxelArray } from "./volume.ts";

/**
 * Three letters naming, for voxel axes i, j, k, the world direction each points to: one of R/L, one of A/P, one
 * of S/I, e.g. "RAS" (i → Right, j → Anterior, k → Superior) or "LPS" (DICOM-like).
 */
export type Axcodes = string;

/** The project's canonical layout: i → Right, j → Anterior, k → Superior (as nibabel's `as_closest_canonical`). */
export const CANONICAL_AXCODES: Axcodes = "RAS";

const POS = ["R", "A", "S"];
const NEG = ["L", "P", "I"];

/** Orientation of each voxel axis: the world axis (0 x, 1 y, 2 z) it is closest to, and the sign. */
export interface AxisOrientation {
  /** `worldAxis[c]`: world axis closest to voxel axis c. */
  worldAxis: [number, number, number];
  /** `sign[c]`: +1 if voxel axis c points to the positive (R, A, S) end of its world axis, else −1. */
  sign: [number, number, number];
  /**
   * Largest angle in degrees between a voxel axis and its world axis; 0 for an axis-aligned affine. Above the
   * tolerance of {@linkcode isOblique} the affine is oblique.
   */
  obliqueDeg: number;
}

/**
 * Finds, for each voxel axis, the closest world axis and its sign (checking all 6 permutations, so a 45° tie is
 * resolved consistently).
 *
 * @param affine Row-major voxel → RAS+ mm affine.
 */
export function axisOrientation(affine: Mat4): AxisOrientation {
  const cols = [0, 1, 2].map((c) => {
    const v = [affine[c], affine[4 + c], affine[8 + c]];
    const n = Math.hypot(v[0], v[1], v[2]) || 1;
    return v.map((x) => x / n);
  });
  const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  let best = perms[0];
  let bestScore = -Infinity;
  for (const p of perms) {
    const score = Math.abs(cols[0][p[0]]) + Math.abs(cols[1][p[1]]) + Math.abs(cols[2][p[2]]);
    if (score > bestScore + 1e-12) {
      bestScore = score;
      best = p;
    }
  }
  const sign = [0, 1, 2].map((c) => (cols[c][best[c]] >= 0 ? 1 : -1)) as [number, number, number];
  const obliqueDeg = Math.max(
    ...[0, 1, 2].map((c) => (Math.acos(Math.min(1, Math.abs(cols[c][best[c]]))) * 180) / Math.PI),
  );
  return { worldAxis: [best[0], best[1], best[2]], sign, obliqueDeg };
}

/** Axis codes of an affine, e.g. "LPS"; oblique axes get the code of their closest world axis. */
export function axcodesOf(affine: Mat4): Axcodes {
  const o = axisOrientation(affine);
  return [0, 1, 2].map((c) => (o.sign[c] > 0 ? POS : NEG)[o.worldAxis[c]]).join("");
}

/**
 * True when some voxel axis deviates from its closest world axis by more than `toleranceDeg` degrees.
 *
 * @param affine Row-major voxel → RAS+ mm affine.
 * @param toleranceDeg Angle in degrees. @default {0.01}
 */
export function isOblique(affine: Mat4, toleranceDeg = 0.01): boolean {
  return axisOrientation(affine).obliqueDeg > toleranceDeg;
}

/** Options for {@linkcode reorient}. */
export interface ReorientOptions {
  /**
   * What to do with an oblique affine (a voxel axis more than `obliqueToleranceDeg` off every world axis):
   * `"error"` refuses it (the authors rejected such scans); `"nearest"` permutes/flips to the closest axes and
   * keeps the exact (still oblique) affine, so world positions stay right but axes are only nearly canonical.
   * @default {"error"}
   */
  oblique?: "error" | "nearest";
  /** Tolerance in degrees for "axis-aligned". @default {0.01} */
  obliqueToleranceDeg?: number;
}

/** Thrown by {@linkcode reorient} for an oblique affine when `oblique` is "error". */
export class ObliqueAffineError extends RangeError {
  /** @param obliqueDeg Largest deviation of a voxel axis from its closest world axis, in degrees. */
  constructor(readonly obliqueDeg: number) {
    super(
      `Cannot reorient volume: its affine is oblique (a voxel axis is ${
        obliqueDeg.toFixed(3)
      }° off the closest world axis): expected an axis-aligned affine; pass { oblique: "nearest" } to permute to ` +
        "the closest axes and keep the oblique affine exactly",
    );
    this.name = "ObliqueAffineError";
  }
}

function parseAxcodes(codes: Axcodes): { worldAxis: number[]; sign: number[] } {
  const up = codes.toUpperCase();
  const worldAxis: number[] = [];
  const sign: number[] = [];
  for (const ch of up) {
    const p = POS.indexOf(ch), n = NEG.indexOf(ch);
    if (p >= 0) {
      worldAxis.push(p);
      sign.push(1);
    } else if (n >= 0) {
      worldAxis.push(n);
      sign.push(-1);
    }
  }
  if (up.length !== 3 || worldAxis.length !== 3 || new Set(worldAxis).size !== 3) {
    throw new RangeError(
      `Cannot parse axis codes "${codes}": expected three letters, one each of R/L, A/P, S/I (e.g. "RAS")`,
    );
  }
  return { worldAxis, sign };
}

/**
 * Reorders a volume's axes (permutation and flips only) so that its voxel axes point as `target` says, updating
 * the affine exactly: every voxel keeps its world position and value. `reorient(reorient(v, "RAS"),
 * axcodesOf(v.affine))` gives back `v`'s data and affine.
 *
 * @param volume Any volume.
 * @param target Axis codes to reach. @default {"RAS"}
 * @returns A new volume of the same typed-array kind and unit; the input itself if nothing changes.
 * @throws {ObliqueAffineError} If the affine is oblique and `oblique` is "error".
 * @throws {RangeError} If `target` is not valid axis codes.
 */
export function reorient<T extends VoxelArray>(
  volume: Volume<T>,
  target: Axcodes = CANONICAL_AXCODES,
  options: ReorientOptions = {},
): Volume<T> {
  const { oblique = "error", obliqueToleranceDeg = 0.01 } = options;
  const want = parseAxcodes(target);
  const have = axisOrientation(volume.affine);
  if (have.obliqueDeg > obliqueToleranceDeg && oblique === "error") throw new ObliqueAffineError(have.obliqueDeg);
  // For new axis d: the source axis c pointing along want.worldAxis[d], flipped if signs differ.
  const src: number[] = [];
  const flip: boolean[] = [];
  for (let d = 0; d < 3; d++) {
    const c = have.worldAxis.indexOf(want.worldAxis[d]);
    src.push(c);
    flip.push(have.sign[c] !== want.sign[d]);
  }
  if (src[0] === 0 && src[1] === 1 && src[2] === 2 && !flip.some(Boolean)) return volume;
  const shape = volume.shape;
  const newShape: Vec3 = [shape[src[0]], shape[src[1]], shape[src[2]]];
  const strides = [1, shape[0], shape[0] * shape[1]];
  // Source linear offset and step along each new axis.
  let start = 0;
  const step = [0, 0, 0];
  for (let d = 0; d < 3; d++) {
    const c = src[d];
    step[d] = flip[d] ? -strides[c] : strides[c];
    if (flip[d]) start += (shape[c] - 1) * strides[c];
  }
  const input = volume.data;
  const out = new (input.constructor as new (n: number) => T)(input.length);
  let o = 0;
  for (let k = 0; k < newShape[2]; k++) {
    for (let j = 0; j < newShape[1]; j++) {
      let s = start + k * step[2] + j * step[1];
      const si = step[0];
      for (let i = 0; i < newShape[0]; i++, s += si) out[o++] = input[s];
    }
  }
  // New index e_d maps to old index: old_c = flip ? n_c − 1 − e_d : e_d. affine_new = affine_old · T.
  const a = volume.affine;
  const affine = new Array<number>(16).fill(0);
  for (let r = 0; r < 3; r++) {
    let t = a[4 * r + 3];
    for (let d = 0; d < 3; d++) {
      const c = src[d];
      const col = a[4 * r + c];
      affine[4 * r + d] = flip[d] ? -col : col;
      if (flip[d]) t += col * (shape[c] - 1);
    }
    affine[4 * r + 3] = t;
  }
  affine[15] = 1;
  return createVolume(out, newShape, affine, volume.unit);
}
