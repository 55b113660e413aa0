/**
 * Where the windows of a sliding-window pass start along each axis (METHOD §6).
 *
 * @module
 */
import type { Vec3 } from "../io/mod.ts";
import { checkOverlap, checkVec3 } from "./_checks.ts";

/** Options for {@linkcode windowPositions}; the same fields as `SlidingWindowOptions`, so one object serves both. */
export interface WindowPositionsOptions {
  /** Window size in voxels along i, j, k. @default {[96, 96, 64]} */
  windowVox?: Vec3;
  /** Fraction of a window shared with each neighbour along an axis, in [0, 1). @default {0.5} */
  overlap?: number;
}

/** Window starts along i, j, k, in voxels of the volume; the windows are their Cartesian product. */
export type WindowStarts = readonly [readonly number[], readonly number[], readonly number[]];

/**
 * Start index of every window along each axis. Along an axis with `n` voxels and window `w`:
 * - `n ≥ w`: the step is `max(1, floor(w·(1 − overlap)))` (MONAI's `_get_scan_interval`: the windows share at least
 *   the requested fraction; a 1e-9 guard keeps float error such as 30·(1 − 0.9) = 2.99…96 from dropping a voxel of
 *   step), the starts are `0, step, 2·step, …` and the last is snapped to `n − w`, so the count is
 *   `ceil((n − w) / step) + 1` and no window leaves the volume (MONAI's `dense_patch_slices`);
 * - `n < w`: one window, padded on both sides and starting at `−floor((w − n) / 2)` (MONAI pads `floor(diff / 2)`
 *   before and the rest after), so the volume sits in the middle of the window.
 *
 * For even windows at overlap 0.5 (the defaults) the step is exactly `w / 2`.
 *
 * @param shape Volume size in voxels along i, j, k.
 * @param options See {@linkcode WindowPositionsOptions}.
 * @returns Increasing start indices per axis (negative only on a padded axis).
 * @throws {RangeError} If a shape or window entry is not a positive integer, or `overlap` is not in [0, 1).
 * @example Positions along one 160-voxel axis with a 64-voxel window
 * ```ts ignore
 * windowPositions([256, 256, 160], { windowVox: [96, 96, 64] })[2]; // [0, 32, 64, 96]
 * ```
 */
export function windowPositions(shape: Vec3, options: WindowPositionsOptions = {}): WindowStarts {
  const { windowVox = [96, 96, 64], overlap = 0.5 } = options;
  checkVec3(shape, "shape", "compute window positions");
  checkVec3(windowVox, "windowVox", "compute window positions");
  checkOverlap(overlap, "compute window positions");
  const axis = (d: number): number[] => {
    const n = shape[d], w = windowVox[d];
    if (n < w) return [-Math.floor((w - n) / 2)];
    const step = Math.max(1, Math.floor(w * (1 - overlap) + 1e-9));
    const count = Math.ceil((n - w) / step) + 1;
    const starts: number[] = [];
    for (let t = 0; t < count - 1; t++) starts.push(t * step);
    starts.push(n - w);
    return starts;
  };
  return [axis(0), axis(1), axis(2)];
}
