/**
 * The threshold table: an exact, compact summary of how a score separates lesion from background voxels, from which
 * AUROC, the ROC and PRO curves, AUPRO and the best Dice all follow without another pass over the voxels.
 *
 * Why it is exact: a voxel is predicted "lesion" when its score is ≥ a threshold. The true positives change only at
 * lesion scores, so every ROC, PRO and Dice breakpoint lies at a distinct lesion score or between two of them; it is
 * enough to know, for each distinct lesion score, how many lesion voxels (and how much of each lesion) score exactly
 * that, and how many background voxels score exactly that or fall strictly between it and the next one. Background
 * voxels are binned against the lesion scores with {@linkcode KeyIndex} (no sort of the background), so memory is
 * O(distinct lesion scores) beyond the scores themselves.
 *
 * Scores are compared as float32, the type of stored anomaly maps.
 *
 * @module
 */
import { bitsOf, distinctSortedKeys, floatOfKey, KeyIndex, keyOfBits } from "./_float_keys.ts";

/**
 * How a score separates lesion voxels ("positives") from background voxels ("negatives") at every threshold that
 * matters. A voxel counts as predicted lesion when `score >= threshold`. Index `t` runs over the distinct lesion
 * scores in ascending order.
 */
export interface ThresholdTable {
  /** Distinct lesion scores (float32 values), ascending: the candidate thresholds. Length T. */
  readonly thresholds: Float32Array;
  /** Lesion voxels scoring exactly `thresholds[t]`. Length T. */
  readonly positivesAt: Float64Array;
  /**
   * Σ over lesion voxels scoring exactly `thresholds[t]` of 1 / (voxels of the voxel's lesion region): summed over
   * t from the top, it is the sum over regions of the fraction of each region at or above a threshold (the PRO
   * numerator). Length T; all zero when no regions were given.
   */
  readonly overlapAt: Float64Array;
  /** Background voxels scoring exactly `thresholds[t]`. Length T. */
  readonly negativesAt: Float64Array;
  /**
   * Background voxels scoring strictly between `thresholds[t − 1]` and `thresholds[t]`: index 0 counts those below
   * the lowest threshold, index T those above the highest. Length T + 1.
   */
  readonly negativesBetween: Float64Array;
  /** Lesion voxels in all. */
  readonly positives: number;
  /** Background voxels in all. */
  readonly negatives: number;
  /** Lesion regions (connected components) behind `overlapAt`; 0 when none were given. */
  readonly regions: number;
}

/** Lesion voxels for {@linkcode buildThresholdTable}: their scores and, optionally, the size of each one's region. */
export interface TablePositives {
  /** Score of each lesion voxel (no NaN; −0 is treated as +0). */
  scores: Float32Array;
  /**
   * Region of each lesion voxel, an index into `regionSizes` (same length as `scores`). Omit both to build a table
   * without PRO information.
   */
  regionOf?: Int32Array;
  /** Voxels of each region; every region must have at least one voxel in `scores`. */
  regionSizes?: ArrayLike<number>;
}

/**
 * Builds the {@linkcode ThresholdTable} of lesion scores against background scores.
 *
 * @param positives Lesion voxels: scores and, for PRO, their regions.
 * @param negatives Background scores, in one or more chunks (e.g. one per case); not modified, no NaN.
 * @returns The table; `thresholds` is empty when there are no positives.
 * @throws {RangeError} If `regionOf` and `scores` differ in length or a region index is out of range.
 * @example
 * ```ts
 * import { buildThresholdTable } from "./threshold_table.ts";
 * const table = buildThresholdTable({ scores: Float32Array.of(0.9, 0.5) }, [Float32Array.of(0.1, 0.5, 0.7)]);
 * // thresholds [0.5, 0.9]: one background voxel below 0.5, one tied at 0.5, one between 0.5 and 0.9
 * if (table.negativesBetween.join() !== "1,1,0" || table.negativesAt.join() !== "1,0") throw new Error("table");
 * ```
 */
export function buildThresholdTable(positives: TablePositives, negatives: Iterable<Float32Array>): ThresholdTable {
  const { scores, regionOf, regionSizes } = positives;
  const keys = distinctSortedKeys(scores);
  const index = new KeyIndex(keys);
  const T = keys.length;
  const thresholds = new Float32Array(T);
  for (let t = 0; t < T; t++) thresholds[t] = floatOfKey(keys[t]);
  const positivesAt = new Float64Array(T);
  const overlapAt = new Float64Array(T);
  const bits = bitsOf(scores);
  let regions = 0;
  if (regionOf !== undefined && regionSizes !== undefined) {
    if (regionOf.length !== scores.length) {
      throw new RangeError(
        `Cannot build threshold table: regionOf has ${regionOf.length} values but scores has ${scores.length}`,
      );
    }
    regions = regionSizes.length;
    for (let p = 0; p < scores.length; p++) {
      const t = index.locate(keyOfBits(bits[p]));
      const r = regionOf[p];
      if (!(r >= 0 && r < regions)) {
        throw new RangeError(`Cannot build threshold table: region index ${r} is outside [0, ${regions})`);
      }
      positivesAt[t]++;
      overlapAt[t] += 1 / regionSizes[r];
    }
  } else {
    for (let p = 0; p < scores.length; p++) positivesAt[index.locate(keyOfBits(bits[p]))]++;
  }
  const negativesAt = new Float64Array(T);
  const negativesBetween = new Float64Array(T + 1);
  let negativeCount = 0;
  for (const chunk of negatives) {
    binNegatives(chunk, index, negativesAt, negativesBetween);
    negativeCount += chunk.length;
  }
  return {
    thresholds,
    positivesAt,
    overlapAt,
    negativesAt,
    negativesBetween,
    positives: scores.length,
    negatives: negativeCount,
    regions,
  };
}

function binNegatives(chunk: Float32Array, index: KeyIndex, at: Float64Array, between: Float64Array): void {
  const bits = bitsOf(chunk);
  const keys = index.keys;
  const T = keys.length;
  for (let i = 0; i < bits.length; i++) {
    const key = keyOfBits(bits[i]);
    const t = index.locate(key);
    if (t < T && keys[t] === key) at[t]++;
    else between[t]++;
  }
}

/** One operating point of a threshold sweep, from the highest threshold down. */
export interface SweepPoint {
  /** Lesion voxels at or above the threshold. */
  truePositives: number;
  /** Background voxels at or above the threshold. */
  falsePositives: number;
  /** Σ over regions of the fraction of the region at or above the threshold. */
  overlap: number;
  /**
   * A threshold that gives exactly these counts: `Infinity` at the start, a lesion score after a diagonal step, the
   * next float32 above the lesion score below after a horizontal step, `-Infinity` once everything is included.
   */
  threshold: number;
}

/**
 * Walks a table from the highest threshold down and calls `visit` at every change of the counts, in two steps per
 * lesion score: first the background voxels strictly above it (and below the previous one) join — a horizontal move
 * in ROC and PRO space — then the voxels tied at it, lesion and background together — a diagonal move, since a
 * threshold cannot split a tie. The walk starts at (0, 0) and ends with every voxel predicted lesion.
 *
 * @param table A threshold table.
 * @param visit Called with each point (a fresh object each time), in order; return `false` to stop.
 */
export function sweepThresholds(table: ThresholdTable, visit: (point: SweepPoint) => boolean | void): void {
  const { thresholds, positivesAt, overlapAt, negativesAt, negativesBetween } = table;
  let tp = 0, fp = 0, overlap = 0;
  if (visit({ truePositives: 0, falsePositives: 0, overlap: 0, threshold: Infinity }) === false) return;
  const scratch = new Float32Array(1);
  for (let t = thresholds.length - 1; t >= -1; t--) {
    const above = negativesBetween[t + 1];
    if (above > 0) {
      fp += above;
      let threshold = -Infinity;
      if (t >= 0) {
        scratch[0] = thresholds[t];
        threshold = floatOfKey(keyOfBits(bitsOf(scratch)[0]) + 1);
      }
      if (visit({ truePositives: tp, falsePositives: fp, overlap, threshold }) === false) return;
    }
    if (t < 0) break;
    tp += positivesAt[t];
    fp += negativesAt[t];
    // Once every lesion voxel is in, each region is fully covered: snap to the exact sum instead of the rounded one.
    overlap = tp === table.positives ? table.regions : overlap + overlapAt[t];
    if (visit({ truePositives: tp, falsePositives: fp, overlap, threshold: thresholds[t] }) === false) return;
  }
}
