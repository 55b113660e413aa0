/**
 * Trivial anomaly scores that use nothing but a voxel's own CT number. The phantom benchmark is only worth something
 * if these stay well below a real method: they are its floor, and `deno task baselines` reports them.
 *
 * @module
 */
import { createVolume, sameGrid, type Volume, type VoxelArray } from "../io/mod.ts";

/**
 * The CT number itself as the score: brighter is "more anomalous".
 *
 * @param ct Volume in HU.
 * @returns A float32 volume on the same grid with `unit === "score"`.
 */
export function rawHuScore(ct: Volume<VoxelArray>): Volume<Float32Array> {
  return createVolume(Float32Array.from(ct.data), ct.shape, ct.affine, "score");
}

/** Options for {@linkcode huDensityScore}. */
export interface HuDensityScoreOptions {
  /** Histogram bin width in HU. @default {5} */
  binWidthHu?: number;
}

/**
 * Rarity of a voxel's CT number within its own scan: `−log p(HU)`, with `p` the histogram density (per HU) of the
 * CT numbers inside the body. It is the intensity-only, unconditional version of the method's `−log q(y | c)`.
 * Voxels outside the body get the lowest score found inside it (METHOD §6).
 *
 * @param ct Volume in HU.
 * @param bodyMask Region whose histogram is the model (nonzero = inside), same grid as `ct`.
 * @returns A float32 volume on the same grid with `unit === "score"`.
 * @throws {RangeError} If the grids differ, the bin width is not positive, or the body mask is empty.
 * @example
 * ```ts ignore
 * const score = huDensityScore(ct, bodyMask(ct), { binWidthHu: 5 }); // bodyMask from src/preprocess
 * ```
 */
export function huDensityScore(
  ct: Volume<VoxelArray>,
  bodyMask: Volume<Uint8Array>,
  options: HuDensityScoreOptions = {},
): Volume<Float32Array> {
  const { binWidthHu = 5 } = options;
  if (!(binWidthHu > 0 && Number.isFinite(binWidthHu))) {
    throw new RangeError(`Cannot compute HU density score with binWidthHu ${binWidthHu}: expected a positive number`);
  }
  if (!sameGrid(ct, bodyMask)) {
    throw new RangeError(
      `Cannot compute HU density score: body mask grid ${bodyMask.shape.join("×")} differs from CT grid ` +
        `${ct.shape.join("×")}: expected the same shape and affine`,
    );
  }
  const data = ct.data, inside = bodyMask.data;
  let lo = Infinity, hi = -Infinity, count = 0;
  for (let i = 0; i < data.length; i++) {
    if (inside[i] === 0) continue;
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    count++;
  }
  if (count === 0) throw new RangeError("Cannot compute HU density score: the body mask is empty: expected a body");
  const base = Math.floor(lo / binWidthHu);
  const bins = new Float64Array(Math.floor(hi / binWidthHu) - base + 1);
  for (let i = 0; i < data.length; i++) if (inside[i] !== 0) bins[Math.floor(data[i] / binWidthHu) - base]++;
  const scoreOfBin = new Float32Array(bins.length);
  let minScore = Infinity;
  for (let b = 0; b < bins.length; b++) {
    scoreOfBin[b] = -Math.log(bins[b] / (count * binWidthHu)); // empty bins are never looked up inside the body
    if (bins[b] > 0 && scoreOfBin[b] < minScore) minScore = scoreOfBin[b];
  }
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    out[i] = inside[i] === 0 ? minScore : scoreOfBin[Math.floor(data[i] / binWidthHu) - base];
  }
  return createVolume(out, ct.shape, ct.affine, "score");
}
