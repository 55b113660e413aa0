/**
 * Feature sets for the density model (METHOD §5): the frozen descriptor y = f(x) and a condition c per voxel, from
 * windows of preprocessed scans, and a bounded pool of (y, c) rows sampled inside the body for fitting q(y | c).
 *
 * Condition variants:
 * - `masked`: c = g(x), the masking-invariant condition model (§4), applied to the unmasked window (mask channel 0):
 *   it was trained to give the same features whether or not a region is hidden, so it describes context, not the
 *   local pathology. Our condition network outputs at stride 1, so no upsampling is needed (a strided condition
 *   network would be upsampled trilinearly here).
 * - `positional`: sinusoidal encoding (CFlow-style) of the voxel's normalised index (i/(n0−1), j/(n1−1), k/(n2−1))
 *   in the preprocessed (canonical RAS) volume, `positionalDim` wide.
 * - `none`: no condition (Dc = 0).
 *
 * @module
 */
import type { Rng } from "../data/rng.ts";
import type { Vec3, Volume } from "../io/mod.ts";
import type { DenseModel } from "../models/mod.ts";
import { tf } from "../nn/mod.ts";
import type { TrainingScan } from "../ssl/mod.ts";
import { positionalEncoding } from "./positional.ts";

/** How the condition c of a voxel is obtained. */
export const CONDITION_KINDS = ["masked", "positional", "none"] as const;
/** One of {@linkcode CONDITION_KINDS}. */
export type ConditionKind = typeof CONDITION_KINDS[number];

/** The frozen networks and the condition kind: everything that turns a window into (y, c) rows. */
export interface FeatureExtractor {
  /** The descriptor network f. */
  descriptor: DenseModel;
  /** The condition network g (`masked` only). */
  condition: DenseModel | null;
  /** Which condition. */
  conditionKind: ConditionKind;
  /** Width of the positional encoding (a multiple of 6; `positional` only). */
  positionalDim: number;
  /**
   * Test-time masking of the condition network's input (`masked` only; this project's option, not in METHOD):
   * `checkerboard` cuts each window into blocks of a quarter of the window per axis (the training masks' blocks),
   * runs g twice, once with the blocks of even (bi + bj + bk) hidden and once with the odd ones, and gives each voxel
   * the condition of the pass that hid its own block — so c is inferred from the surroundings, as in training, and
   * cannot copy a lesion that fills the voxel's block. Twice the condition network's cost. `null`/absent: g sees the
   * whole window (METHOD §4). @default {null}
   */
  conditionMasking?: "checkerboard" | null;
}

/** Descriptor width Dy of an extractor. */
export function descriptorDim(ext: FeatureExtractor): number {
  return ext.descriptor.unet.config.outChannels;
}

/** Condition width Dc of an extractor (0 for `none`). */
export function conditionDim(ext: FeatureExtractor): number {
  if (ext.conditionKind === "none") return 0;
  if (ext.conditionKind === "positional") return ext.positionalDim;
  if (!ext.condition) throw new RangeError('Cannot use condition "masked" without a condition model');
  return ext.condition.unet.config.outChannels;
}

/**
 * Features of a batch of windows.
 *
 * @param ext The frozen networks.
 * @param windows `[n, wk, wj, wi, 1]` intensities in [0, 1] (NDHWC, i fastest within a window).
 * @param n Number of windows.
 * @param windowVox Window size `[wi, wj, wk]`.
 * @param coords For `positional`: normalised coordinates `[n·V, 3]` of every window voxel (V = wi·wj·wk).
 * @returns y `[n·V, Dy]` and c `[n·V, Dc]` (null for `none`), row-major, rows in window-voxel order.
 */
export async function windowFeatures(
  ext: FeatureExtractor,
  windows: Float32Array,
  n: number,
  windowVox: Vec3,
  coords?: Float32Array,
): Promise<{ y: Float32Array; c: Float32Array | null }> {
  const [wi, wj, wk] = windowVox;
  const [yT, cT] = tf.tidy(() => {
    const x = tf.tensor5d(windows, [n, wk, wj, wi, 1]);
    const y = ext.descriptor.apply(x);
    return ext.conditionKind === "masked" ? [y, conditionOf(ext, x, windowVox)] : [y];
  });
  const y = (await yT.data()) as Float32Array;
  yT.dispose();
  let c: Float32Array | null = null;
  if (cT) {
    c = (await cT.data()) as Float32Array;
    cT.dispose();
  } else if (ext.conditionKind === "positional") {
    if (!coords) throw new RangeError('Cannot compute "positional" conditions without voxel coordinates');
    c = positionalEncoding(coords, ext.positionalDim);
  }
  return { y, c };
}

/** g(x) of `[n, wk, wj, wi, 1]` windows, with the extractor's test-time masking (call inside `tf.tidy`). */
function conditionOf(ext: FeatureExtractor, x: tf.Tensor5D, windowVox: Vec3): tf.Tensor5D {
  if (!ext.condition) throw new RangeError('Cannot use condition "masked" without a condition model');
  if (ext.conditionMasking !== "checkerboard") return ext.condition.apply(x);
  const [wi, wj, wk] = windowVox;
  const even = tf.tile(tf.tensor5d(checkerboardMask(windowVox), [1, wk, wj, wi, 1]), [x.shape[0], 1, 1, 1, 1]);
  const odd = tf.sub(1, even) as tf.Tensor5D;
  const cEven = ext.condition.apply(x, even), cOdd = ext.condition.apply(x, odd);
  return tf.add(tf.mul(cEven, even), tf.mul(cOdd, odd)) as tf.Tensor5D;
}

/**
 * The condition c = g(x) alone of a batch of windows (`masked` only), with the extractor's `conditionMasking`.
 *
 * @param ext The frozen networks (`conditionKind` "masked").
 * @param windows `[n, wk, wj, wi, 1]` intensities in [0, 1] (NDHWC).
 * @param n Number of windows.
 * @param windowVox Window size `[wi, wj, wk]`.
 * @returns c `[n·V, Dc]`, row-major, rows in window-voxel order.
 */
export async function windowConditions(
  ext: FeatureExtractor,
  windows: Float32Array,
  n: number,
  windowVox: Vec3,
): Promise<Float32Array> {
  const [wi, wj, wk] = windowVox;
  const cT = tf.tidy(() => conditionOf(ext, tf.tensor5d(windows, [n, wk, wj, wi, 1]), windowVox));
  const c = (await cT.data()) as Float32Array;
  cT.dispose();
  return c;
}

/**
 * The checkerboard block mask of a window (1 = hidden), `[wk, wj, wi]` with i fastest: blocks of
 * `ceil(window / 4)` voxels per axis, hidden where the block indices (bi + bj + bk) are even.
 *
 * @param windowVox Window size `[wi, wj, wk]`.
 * @returns 0/1 values, float32, one per window voxel.
 */
export function checkerboardMask(windowVox: Vec3): Float32Array {
  const [wi, wj, wk] = windowVox;
  const [bi, bj, bk] = windowVox.map((w) => Math.max(1, Math.ceil(w / 4)));
  const out = new Float32Array(wi * wj * wk);
  for (let k = 0, q = 0; k < wk; k++) {
    for (let j = 0; j < wj; j++) {
      for (let i = 0; i < wi; i++, q++) {
        out[q] = (Math.floor(i / bi) + Math.floor(j / bj) + Math.floor(k / bk)) % 2 === 0 ? 1 : 0;
      }
    }
  }
  return out;
}

/** Options for {@linkcode collectFeatures}. */
export interface CollectFeaturesOptions {
  /** Window size `[wi, wj, wk]` (divisible by the U-Net's down-sampling). @default {[32, 32, 32]} */
  windowVox?: Vec3;
  /** Windows drawn per scan. @default {16} */
  windowsPerScan?: number;
  /** Body voxels sampled per window. @default {2048} */
  samplesPerWindow?: number;
  /**
   * Precomputed condition channels of each scan on its grid (e.g. a condition network run on a coarser grid and
   * brought back), in place of running the condition network on each window: row c is read from these volumes at the
   * sampled voxel. Only with the `masked` condition; one entry per scan, each Dc volumes. @default {undefined}
   */
  conditionVolumes?: readonly (readonly Volume<Float32Array>[])[];
  /** Called after each window. */
  onProgress?: (done: number, total: number) => void;
}

/** A bounded pool of (y, c) rows for fitting. */
export interface FeaturePool {
  /** `[count, dy]` row-major. */
  y: Float32Array;
  /** `[count, dc]` row-major, or null when dc = 0. */
  c: Float32Array | null;
  count: number;
  dy: number;
  dc: number;
}

/**
 * Samples (y, c) rows from body voxels of scans, one window at a time: each window (a random axis-aligned block of
 * the preprocessed volume, zero-filled where it leaves the volume) goes through the frozen networks, then
 * `samplesPerWindow` of its body voxels (with replacement) become rows. Memory is bounded by the pool,
 * `scans × windowsPerScan × samplesPerWindow × (Dy + Dc) × 4` bytes, plus one window's features — never all voxels.
 *
 * @param scans Preprocessed scans (image in [0, 1] and body mask, canonical RAS).
 * @param ext The frozen networks and condition kind.
 * @param rng Seeded source of the window positions and voxel draws.
 */
export async function collectFeatures(
  scans: readonly TrainingScan[],
  ext: FeatureExtractor,
  rng: Rng,
  options: CollectFeaturesOptions = {},
): Promise<FeaturePool> {
  const { windowVox = [32, 32, 32], windowsPerScan = 16, samplesPerWindow = 2048, conditionVolumes, onProgress } =
    options;
  const dy = descriptorDim(ext), dc = conditionDim(ext);
  if (conditionVolumes) {
    if (ext.conditionKind !== "masked") {
      throw new RangeError(
        `Cannot collect features with precomputed conditions for the "${ext.conditionKind}" condition: expected "masked"`,
      );
    }
    if (conditionVolumes.length !== scans.length) {
      throw new RangeError(
        `Cannot collect features: ${conditionVolumes.length} sets of condition volumes for ${scans.length} scans`,
      );
    }
    conditionVolumes.forEach((vols, s) => {
      const n = scans[s].image.data.length;
      if (vols.length !== dc || vols.some((v) => v.data.length !== n)) {
        throw new RangeError(
          `Cannot collect features: the condition volumes of scan ${s} are ${vols.length} of ${
            vols[0]?.data.length ?? 0
          } voxels: expected ${dc} of ${n} (the condition network's width, the scan's grid)`,
        );
      }
    });
  }
  const net: FeatureExtractor = conditionVolumes ? { ...ext, condition: null, conditionKind: "none" } : ext;
  const total = scans.length * windowsPerScan;
  const count = total * samplesPerWindow;
  const y = new Float32Array(count * dy);
  const c = dc > 0 ? new Float32Array(count * dc) : null;
  const [wi, wj, wk] = windowVox;
  const v = wi * wj * wk;
  const window = new Float32Array(v);
  const coords = ext.conditionKind === "positional" ? new Float32Array(3 * v) : undefined;
  let row = 0, done = 0;
  for (const [si, scan] of scans.entries()) {
    const [n0, n1, n2] = scan.image.shape;
    const img = scan.image.data, body = scan.bodyMask.data;
    for (let w = 0; w < windowsPerScan; w++) {
      const o0 = rng.int(0, Math.max(1, n0 - wi + 1));
      const o1 = rng.int(0, Math.max(1, n1 - wj + 1));
      const o2 = rng.int(0, Math.max(1, n2 - wk + 1));
      const inBody: number[] = [], source: number[] = [];
      let q = 0;
      for (let k = 0; k < wk; k++) {
        for (let j = 0; j < wj; j++) {
          for (let i = 0; i < wi; i++, q++) {
            const a = o0 + i, b = o1 + j, cc = o2 + k;
            const inside = a < n0 && b < n1 && cc < n2;
            const s = inside ? a + n0 * (b + n1 * cc) : -1;
            window[q] = inside ? img[s] : 0;
            if (inside && body[s]) {
              inBody.push(q);
              source.push(s);
            }
            if (coords) {
              coords[3 * q] = a / Math.max(1, n0 - 1);
              coords[3 * q + 1] = b / Math.max(1, n1 - 1);
              coords[3 * q + 2] = cc / Math.max(1, n2 - 1);
            }
          }
        }
      }
      const f = await windowFeatures(net, window, 1, windowVox, coords);
      const vols = conditionVolumes?.[si];
      for (let s = 0; s < samplesPerWindow; s++) {
        // A window without body voxels (rare: the crop lies in air) contributes its centre voxel's rows.
        const pick = inBody.length > 0 ? rng.int(0, inBody.length) : -1;
        const vox = pick >= 0 ? inBody[pick] : (v >> 1);
        y.set(f.y.subarray(vox * dy, (vox + 1) * dy), row * dy);
        if (c && vols) {
          // Precomputed: the voxel's own value (zero where the window left the scan).
          const at = pick >= 0 ? source[pick] : centreSource(o0, o1, o2, windowVox, scan.image.shape);
          for (let d = 0; d < dc; d++) c[row * dc + d] = at >= 0 ? vols[d].data[at] : 0;
        } else if (c && f.c) c.set(f.c.subarray(vox * dc, (vox + 1) * dc), row * dc);
        row++;
      }
      onProgress?.(++done, total);
    }
  }
  return { y, c, count, dy, dc };
}

/**
 * Concatenates per-scan chunks of rows into one pool (chunks are released by the caller afterwards).
 *
 * @param chunks Rows of each scan: y `[count, dy]`, c `[count, dc]` (null when dc = 0).
 * @param dy Width of y.
 * @param dc Width of c (0: no condition).
 */
export function concatPool(
  chunks: readonly { y: Float32Array; c: Float32Array | null; count: number }[],
  dy: number,
  dc: number,
): FeaturePool {
  const count = chunks.reduce((a, ch) => a + ch.count, 0);
  const pool: FeaturePool = {
    y: new Float32Array(count * dy),
    c: dc > 0 ? new Float32Array(count * dc) : null,
    count,
    dy,
    dc,
  };
  let at = 0;
  for (const ch of chunks) {
    pool.y.set(ch.y, at * dy);
    if (dc > 0) pool.c!.set(ch.c!, at * dc);
    at += ch.count;
  }
  return pool;
}

/** Index in the scan of a window's centre voxel (`v >> 1` in window order), or −1 outside the scan. */
function centreSource(o0: number, o1: number, o2: number, windowVox: Vec3, shape: Vec3): number {
  const [wi, wj] = windowVox;
  const half = (wi * wj * windowVox[2]) >> 1;
  const i = o0 + (half % wi), j = o1 + (Math.floor(half / wi) % wj), k = o2 + Math.floor(half / (wi * wj));
  return i < shape[0] && j < shape[1] && k < shape[2] ? i + shape[0] * (j + shape[1] * k) : -1;
}

/** Draws `batchSize` rows of a pool uniformly with replacement (a `DensitySampler` body). */
export function samplePool(pool: FeaturePool, rng: Rng, batchSize: number) {
  const y = new Float32Array(batchSize * pool.dy);
  const c = pool.c ? new Float32Array(batchSize * pool.dc) : null;
  for (let r = 0; r < batchSize; r++) {
    const s = rng.int(0, pool.count);
    y.set(pool.y.subarray(s * pool.dy, (s + 1) * pool.dy), r * pool.dy);
    if (c && pool.c) c.set(pool.c.subarray(s * pool.dc, (s + 1) * pool.dc), r * pool.dc);
  }
  return { y, c, count: batchSize };
}
