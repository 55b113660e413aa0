/**
 * Crop-pair geometry for dense self-supervised pretraining (METHOD §3): two crops of one scan at their own spacings,
 * both containing one anchor voxel, and the positive voxel pairs that link them.
 *
 * @module
 */
import type { Rng } from "../data/mod.ts";
import { type Mat4, mat4Multiply, type Vec3 } from "../io/mod.ts";
import type { TrainingScan } from "./training_scan.ts";
import { checkNumber, checkVec3, isPositiveFinite, isPositiveInteger } from "./_validate.ts";

/**
 * Where a crop lies: a grid of `shape` voxels, axis-aligned with the scan's preprocessed grid (canonical RAS), at its
 * own spacing. Crop voxel (a, b, c) (a fastest, flat index `a + ni·(b + nj·c)`, the same buffer as NDHWC `[c][b][a]`)
 * has its centre at the scan's continuous voxel index `startIndex + (a, b, c)·stepIndex` (component-wise), hence at
 * world `affine · (a, b, c, 1)`.
 */
export interface CropGrid {
  /** Crop voxels along i, j, k: `[ni, nj, nk]`. */
  readonly shape: Vec3;
  /** Crop voxel size along i, j, k in mm. */
  readonly spacingMm: Vec3;
  /** Row-major 4×4 map from crop voxel index (a, b, c, 1) to world RAS+ mm of the crop voxel centre. */
  readonly affine: Mat4;
  /** The scan's continuous voxel index of crop voxel (0, 0, 0)'s centre. */
  readonly startIndex: Vec3;
  /** Scan voxels per crop voxel along i, j, k: `spacingMm / scan spacing`. */
  readonly stepIndex: Vec3;
}

/** Two crops of one scan and their positive voxel pairs. */
export interface CropPair {
  /** The anchor: a body voxel of the scan, `(i, j, k)` integers, inside both crops. */
  readonly anchor: Vec3;
  /** First crop. */
  readonly a: CropGrid;
  /** Second crop. */
  readonly b: CropGrid;
  /** Per pair: flat voxel index `a + ni·(b + nj·c)` into crop `a`. */
  readonly pairsA: Int32Array;
  /** Per pair: flat voxel index into crop `b`. */
  readonly pairsB: Int32Array;
  /** Per pair: flat voxel index `i + n0·(j + n1·k)` of the scan voxel both crop voxels stand for. */
  readonly voxels: Int32Array;
}

/** Options for {@linkcode sampleCropPair}. */
export interface CropPairOptions {
  /** Crop voxels along i, j, k (`[ni, nj, nk]`); METHOD §3: 96 × 96 × 64. @default {[96, 96, 64]} */
  cropVox?: Vec3;
  /** Smallest crop spacing along i, j, k in mm; drawn per crop and axis in [min, max]. @default {[1, 1, 1.5]} */
  minSpacingMm?: Vec3;
  /**
   * Largest crop spacing in mm: (2, 2, 3) for the descriptor (METHOD §3), (4, 4, 6) for the condition model (§4).
   * @default {[2, 2, 3]}
   */
  maxSpacingMm?: Vec3;
  /** Most positive pairs per crop pair (METHOD §3: 1024). @default {1024} */
  maxPairs?: number;
}

/** Rejection draws allowed per wanted pair before falling back to an exact pass over the overlap. */
const DRAWS_PER_PAIR = 4;

/**
 * Draws two crops of one scan and up to `maxPairs` positive voxel pairs between them (METHOD §3).
 *
 * 1. Anchor: a body voxel drawn uniformly (`bodyMask` ≠ 0).
 * 2. Each crop independently: spacing drawn per axis uniformly in `[minSpacingMm, maxSpacingMm]`; the anchor's
 *    continuous position in the crop drawn uniformly per axis in `[−0.5, n − 0.5)` crop voxels (anywhere in the
 *    crop's footprint, at a random sub-voxel phase), which fixes the crop's origin. Both crops thus contain the anchor,
 *    so they overlap. A crop may extend beyond the scan (its voxels there are filled; see `sampleCrop`).
 * 3. Positive pairs: the scan voxels whose centres fall in both crops' footprints (each maps, by rounding to the
 *    nearest crop voxel centre, to a voxel inside each crop) and inside the body mask: `min(maxPairs, count)` distinct
 *    ones drawn uniformly without replacement. Each pair is `(pairsA[q], pairsB[q])`, the crop voxels nearest to the
 *    scan voxel centre `voxels[q]`: per axis, each crop voxel centre is within half a crop voxel of that point, so the
 *    two crop voxels of a pair are at most `(sA + sB)/2` apart per axis. Two scan voxels may map to the same crop
 *    voxel when a crop is coarser than the scan (a repeated target, harmless for VICReg).
 *
 * The draw is uniform rejection sampling in the overlap box (fast when the body fills much of it); if that has not
 * found `maxPairs` pairs after `4·maxPairs` draws (little body or a small overlap), one exact reservoir-sampling pass
 * over the overlap box replaces it. Both are uniform over the eligible voxels and reproducible from `rng`.
 *
 * @param scan A preprocessed scan (see `createTrainingScan`, `loadTrainingScan`).
 * @param rng Source of all randomness; the same state gives the same pair.
 * @param options See {@linkcode CropPairOptions}.
 * @returns The crops' grids and the pairs (at least one: the anchor itself).
 * @throws {RangeError} If an option is out of range.
 * @example Tiny crops
 * ```ts ignore
 * const pair = sampleCropPair(scan, new Rng(1), { cropVox: [32, 32, 32], maxPairs: 256 });
 * const a = sampleCrop(scan.image, pair.a); // Float32Array, 32³
 * ```
 */
export function sampleCropPair(scan: TrainingScan, rng: Rng, options: CropPairOptions = {}): CropPair {
  const { cropVox, minSpacingMm, maxSpacingMm, maxPairs } = resolveCropPairOptions(options);
  const mask = scan.bodyMask;
  const anchor = pickBodyVoxel(mask.data, mask.shape, scan.bodyVoxelCount, rng);
  const a = placeCrop(scan, anchor, cropVox, minSpacingMm, maxSpacingMm, rng);
  const b = placeCrop(scan, anchor, cropVox, minSpacingMm, maxSpacingMm, rng);
  const { pairsA, pairsB, voxels } = samplePairs(mask.data, mask.shape, a, b, maxPairs, rng);
  return { anchor, a, b, pairsA, pairsB, voxels };
}

/** Resolved and validated {@linkcode CropPairOptions}. */
export function resolveCropPairOptions(options: CropPairOptions): Required<CropPairOptions> {
  const { cropVox = [96, 96, 64], minSpacingMm = [1, 1, 1.5], maxSpacingMm = [2, 2, 3], maxPairs = 1024 } = options;
  const action = "sample crop pair";
  checkVec3(action, "cropVox", cropVox, isPositiveInteger, "3 positive integers");
  checkVec3(action, "minSpacingMm", minSpacingMm, isPositiveFinite, "3 positive numbers");
  checkVec3(action, "maxSpacingMm", maxSpacingMm, isPositiveFinite, "3 positive numbers");
  if (maxSpacingMm.some((s, d) => s < minSpacingMm[d])) {
    throw new RangeError(
      `Cannot ${action} with maxSpacingMm [${maxSpacingMm.join(", ")}]: expected each axis ≥ minSpacingMm [${
        minSpacingMm.join(", ")
      }]`,
    );
  }
  checkNumber(action, "maxPairs", maxPairs, isPositiveInteger, "a positive integer");
  return { cropVox, minSpacingMm, maxSpacingMm, maxPairs };
}

/** A body voxel drawn uniformly: rejection over the grid, then (if the body is tiny) the m-th body voxel. */
function pickBodyVoxel(mask: Uint8Array, shape: Vec3, bodyCount: number, rng: Rng): Vec3 {
  const n = mask.length;
  let p = -1;
  for (let t = 0; t < 64 && p < 0; t++) {
    const q = rng.int(0, n);
    if (mask[q] !== 0) p = q;
  }
  if (p < 0) {
    let m = rng.int(0, bodyCount);
    for (let q = 0; q < n; q++) {
      if (mask[q] !== 0 && m-- === 0) {
        p = q;
        break;
      }
    }
  }
  const plane = shape[0] * shape[1];
  const k = Math.floor(p / plane);
  const j = Math.floor((p - k * plane) / shape[0]);
  return [p - k * plane - j * shape[0], j, k];
}

/** Keeps the anchor's drawn crop position off the footprint's edge by this many crop voxels (rounding safety). */
const EDGE_GUARD = 1e-6;

function placeCrop(scan: TrainingScan, anchor: Vec3, shape: Vec3, lo: Vec3, hi: Vec3, rng: Rng): CropGrid {
  const spacingMm: number[] = [];
  const stepIndex: number[] = [];
  const startIndex: number[] = [];
  for (let d = 0; d < 3; d++) {
    const s = lo[d] === hi[d] ? lo[d] : rng.uniform(lo[d], hi[d]);
    const step = s / scan.image.spacingMm[d];
    const u = Math.min(Math.max(rng.uniform(-0.5, shape[d] - 0.5), -0.5 + EDGE_GUARD), shape[d] - 0.5 - EDGE_GUARD);
    spacingMm.push(s);
    stepIndex.push(step);
    startIndex.push(anchor[d] - u * step);
  }
  // deno-fmt-ignore
  const toScanIndex = [
    stepIndex[0], 0, 0, startIndex[0],
    0, stepIndex[1], 0, startIndex[1],
    0, 0, stepIndex[2], startIndex[2],
    0, 0, 0, 1,
  ];
  return {
    shape: [shape[0], shape[1], shape[2]],
    spacingMm: [spacingMm[0], spacingMm[1], spacingMm[2]],
    affine: mat4Multiply(scan.image.affine, toScanIndex),
    startIndex: [startIndex[0], startIndex[1], startIndex[2]],
    stepIndex: [stepIndex[0], stepIndex[1], stepIndex[2]],
  };
}

/**
 * For scan axis d: the crop voxel index (rounded) of each scan index 0..n−1, or −1 outside the crop; also the first
 * and last scan index inside (an interval, since the map is monotonic).
 */
function axisMap(crop: CropGrid, d: number, n: number): { map: Int32Array; first: number; last: number } {
  const map = new Int32Array(n).fill(-1);
  const start = crop.startIndex[d], step = crop.stepIndex[d], m = crop.shape[d];
  let first = n, last = -1;
  for (let p = 0; p < n; p++) {
    const c = Math.round((p - start) / step);
    if (c >= 0 && c <= m - 1) {
      map[p] = c;
      if (p < first) first = p;
      last = p;
    }
  }
  return { map, first, last };
}

function samplePairs(
  mask: Uint8Array,
  shape: Vec3,
  a: CropGrid,
  b: CropGrid,
  maxPairs: number,
  rng: Rng,
): { pairsA: Int32Array; pairsB: Int32Array; voxels: Int32Array } {
  const mapsA = [0, 1, 2].map((d) => axisMap(a, d, shape[d]));
  const mapsB = [0, 1, 2].map((d) => axisMap(b, d, shape[d]));
  const lo = [0, 1, 2].map((d) => Math.max(mapsA[d].first, mapsB[d].first));
  const len = [0, 1, 2].map((d) => Math.max(0, Math.min(mapsA[d].last, mapsB[d].last) - lo[d] + 1));
  const [n0, n1] = shape;
  const boxCount = len[0] * len[1] * len[2];
  let chosen = new Int32Array(Math.min(maxPairs, boxCount));
  let count = 0;
  if (boxCount > 0) {
    // Rejection sampling of distinct body voxels in the box.
    const seen = new Set<number>();
    const budget = DRAWS_PER_PAIR * maxPairs;
    const plane = len[0] * len[1];
    for (let t = 0; t < budget && count < chosen.length; t++) {
      const f = rng.int(0, boxCount);
      const bk = Math.floor(f / plane);
      const bj = Math.floor((f - bk * plane) / len[0]);
      const p = lo[0] + f - bk * plane - bj * len[0] + n0 * (lo[1] + bj + n1 * (lo[2] + bk));
      if (mask[p] === 0 || seen.has(p)) continue;
      seen.add(p);
      chosen[count++] = p;
    }
    if (count < chosen.length) {
      // Exact fallback: reservoir sampling (Algorithm R) over every body voxel of the box.
      count = 0;
      let eligible = 0;
      for (let k = lo[2]; k < lo[2] + len[2]; k++) {
        for (let j = lo[1]; j < lo[1] + len[1]; j++) {
          const row = n0 * (j + n1 * k);
          for (let i = lo[0]; i < lo[0] + len[0]; i++) {
            const p = row + i;
            if (mask[p] === 0) continue;
            eligible++;
            if (count < chosen.length) chosen[count++] = p;
            else {
              const r = rng.int(0, eligible);
              if (r < count) chosen[r] = p;
            }
          }
        }
      }
    }
    chosen = chosen.subarray(0, count);
  }
  const pairsA = new Int32Array(count);
  const pairsB = new Int32Array(count);
  const [ai, aj, ak] = mapsA.map((m) => m.map);
  const [bi, bj, bk] = mapsB.map((m) => m.map);
  const [na0, na1] = a.shape;
  const [nb0, nb1] = b.shape;
  const plane = n0 * n1;
  for (let q = 0; q < count; q++) {
    const p = chosen[q];
    const k = Math.floor(p / plane);
    const j = Math.floor((p - k * plane) / n0);
    const i = p - k * plane - j * n0;
    pairsA[q] = ai[i] + na0 * (aj[j] + na1 * ak[k]);
    pairsB[q] = bi[i] + nb0 * (bj[j] + nb1 * bk[k]);
  }
  return { pairsA, pairsB, voxels: chosen.slice(0, count) };
}
