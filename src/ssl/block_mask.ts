/**
 * Block masking of a crop for the condition model (METHOD §4).
 *
 * @module
 */
import type { Rng } from "../data/mod.ts";
import type { Vec3 } from "../io/mod.ts";
import { checkProbability, checkVec3, isPositiveInteger } from "./_validate.ts";

/** Options for {@linkcode blockMask}; the defaults are the authors' (METHOD §4). */
export interface BlockMaskOptions {
  /**
   * Block size in voxels along i, j, k. Default: a quarter of the crop per axis, rounded up (`ceil(n / 4)`): the
   * authors' 24 × 24 × 16 for a 96 × 96 × 64 crop, 8 × 8 × 8 for 32³. @default {undefined}
   */
  blockVox?: Vec3;
  /** Fraction of the blocks masked: exactly `round(ratio · blocks)` of them, chosen uniformly. @default {0.6} */
  ratio?: number;
  /** Probability that a crop is masked at all (else its mask is all zeros). @default {0.9} */
  probability?: number;
  /**
   * Shift the block grid by a random offset in `[0, block)` voxels per axis, so block borders fall anywhere; the
   * partial blocks at the crop's borders then count as blocks, and the masked voxel fraction only approximates
   * `ratio`. Off, the grid starts at voxel 0 (the authors' layout as far as is known) and, when the block size divides
   * the crop, exactly `ratio` of the voxels (rounded to whole blocks) are masked. @default {false}
   */
  randomOffset?: boolean;
}

/** Resolved and validated {@linkcode BlockMaskOptions} for a crop shape. */
export function resolveBlockMaskOptions(cropVox: Vec3, options: BlockMaskOptions): Required<BlockMaskOptions> {
  const action = "make block mask";
  checkVec3(action, "cropVox", cropVox, isPositiveInteger, "3 positive integers");
  const {
    blockVox = [Math.ceil(cropVox[0] / 4), Math.ceil(cropVox[1] / 4), Math.ceil(cropVox[2] / 4)],
    ratio = 0.6,
    probability = 0.9,
    randomOffset = false,
  } = options;
  checkVec3(action, "blockVox", blockVox, isPositiveInteger, "3 positive integers");
  checkProbability(action, "ratio", ratio);
  checkProbability(action, "probability", probability);
  return { blockVox, ratio, probability, randomOffset };
}

/**
 * Draws a block mask for one crop: with probability `probability`, the crop is cut into a grid of `blockVox` blocks and
 * `round(ratio · blocks)` blocks, chosen uniformly without replacement, are masked; otherwise nothing is. The network
 * (not this function) replaces masked voxels by a learned token and takes the mask as an extra channel; the crop's
 * intensities are left alone.
 *
 * @param cropVox Crop voxels along i, j, k.
 * @param rng Source of all randomness (one draw when the crop is not masked).
 * @param options See {@linkcode BlockMaskOptions}.
 * @returns `Uint8Array` of `ni·nj·nk` values, i fastest (NDHWC `[k][j][i]`, N = C = 1): 1 = masked, 0 = visible.
 * @throws {RangeError} If an option is out of range.
 * @example Authors' setting
 * ```ts ignore
 * const mask = blockMask([96, 96, 64], rng); // 24×24×16 blocks, 38 of 64 masked, with p = 0.9
 * ```
 */
export function blockMask(cropVox: Vec3, rng: Rng, options: BlockMaskOptions = {}): Uint8Array {
  const { blockVox, ratio, probability, randomOffset } = resolveBlockMaskOptions(cropVox, options);
  const [n0, n1, n2] = cropVox;
  const mask = new Uint8Array(n0 * n1 * n2);
  if (!rng.bool(probability)) return mask;
  // Block index of each voxel along each axis; voxel v lies in block floor((v + offset) / size).
  const ids: Int32Array[] = [];
  const counts: number[] = [];
  for (let d = 0; d < 3; d++) {
    const size = blockVox[d];
    const offset = randomOffset ? rng.int(0, size) : 0;
    const id = new Int32Array(cropVox[d]);
    for (let v = 0; v < cropVox[d]; v++) id[v] = Math.floor((v + offset) / size);
    ids.push(id);
    counts.push(id[cropVox[d] - 1] + 1);
  }
  const blocks = counts[0] * counts[1] * counts[2];
  const masked = Math.round(ratio * blocks);
  const order = new Int32Array(blocks);
  for (let q = 0; q < blocks; q++) order[q] = q;
  const isMasked = new Uint8Array(blocks);
  for (let q = 0; q < masked; q++) {
    const r = rng.int(q, blocks); // partial Fisher–Yates
    const t = order[q];
    order[q] = order[r];
    order[r] = t;
    isMasked[order[q]] = 1;
  }
  const [bi, bj, bk] = ids;
  let p = 0;
  for (let k = 0; k < n2; k++) {
    for (let j = 0; j < n1; j++) {
      const row = counts[0] * (bj[j] + counts[1] * bk[k]);
      for (let i = 0; i < n0; i++, p++) mask[p] = isMasked[row + bi[i]];
    }
  }
  return mask;
}
