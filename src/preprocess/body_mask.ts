/**
 * Body mask of a CT volume: everything that is not air connected to the outside of the patient (METHOD §2).
 *
 * @module
 */
import { createVolume, type Volume, type VoxelArray } from "../io/mod.ts";

/** Options for {@linkcode bodyMask}. */
export interface BodyMaskOptions {
  /** Voxels with HU strictly below this value are air. @default {-500} */
  airHu?: number;
}

/**
 * Computes the body mask of a CT volume: air is `HU < airHu`; the air that is 4-connected, within its axial slice, to
 * the in-plane border of that slice is "outside"; the body is everything else (tissue, the table, and enclosed air
 * such as lungs, airways and bowel gas).
 *
 * Why per axial slice and not a 3D flood fill: in 3D the airways connect the lungs to the outside air through the
 * trachea, mouth and nose, so a 3D fill from the border would leak into the lungs and remove them from the body. Within
 * one axial slice below the head, the lungs are enclosed by the chest wall. The fill uses 2D 4-connectivity (edge
 * neighbours only), so air cannot leak through a one-voxel diagonal gap in the skin. It is iterative, with an explicit
 * stack of voxel indices (no recursion), and visits each voxel at most a few times: O(n) time, one `Int32Array` of one
 * slice as scratch memory.
 *
 * Layout: assumes the canonical RAS layout of `reorient(volume, "RAS")` from `src/io`, where k is the axial (slice)
 * axis and the (i, j) plane is axial. On another layout the fill still runs per k-slice, which is then not axial.
 *
 * @param ct CT volume in Hounsfield units (`unit === "HU"`), canonical RAS layout (k axial).
 * @param options See {@linkcode BodyMaskOptions}.
 * @returns A `Uint8Array` volume on the same grid and affine, `unit === "label"`: 1 = body, 0 = outside air.
 * @throws {RangeError} If `airHu` is not a finite number.
 * @example Lungs stay inside the body
 * ```ts ignore
 * const mask = bodyMask(ct); // ct from readVolume() + reorient(…, "RAS")
 * const bodyVoxels = mask.data.reduce((s, v) => s + v, 0);
 * ```
 */
export function bodyMask(ct: Volume<VoxelArray>, options: BodyMaskOptions = {}): Volume<Uint8Array> {
  const { airHu = -500 } = options;
  if (!Number.isFinite(airHu)) {
    throw new RangeError(`Cannot compute body mask as airHu must be a finite number: current value is ${airHu}`);
  }
  const [n0, n1, n2] = ct.shape;
  const plane = n0 * n1;
  const src = ct.data;
  // Starts as all body; the fill clears the outside air. Each voxel is pushed at most once (cleared when pushed).
  const out = new Uint8Array(plane * n2).fill(1);
  const stack = new Int32Array(plane);
  for (let k = 0; k < n2; k++) {
    const base = k * plane;
    let top = 0;
    // Seeds: the air voxels on the in-plane border of this slice (rows j = 0, n1 − 1 and columns i = 0, n0 − 1).
    const seed = (p: number) => {
      if (out[base + p] === 1 && src[base + p] < airHu) {
        out[base + p] = 0;
        stack[top++] = p;
      }
    };
    for (let i = 0; i < n0; i++) {
      seed(i);
      seed((n1 - 1) * n0 + i);
    }
    for (let j = 0; j < n1; j++) {
      seed(j * n0);
      seed(j * n0 + n0 - 1);
    }
    // Pop a voxel and push its 4 in-plane neighbours that are air and not yet cleared.
    while (top > 0) {
      const p = stack[--top];
      const i = p % n0;
      if (i > 0) seed(p - 1);
      if (i < n0 - 1) seed(p + 1);
      if (p >= n0) seed(p - n0);
      if (p < plane - n0) seed(p + n0);
    }
  }
  return createVolume(out, ct.shape, ct.affine, "label");
}
