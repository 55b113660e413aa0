/**
 * Splits one volume's scores inside an evaluation region into lesion and background scores. Private to the metrics
 * stage.
 *
 * @module
 */

/** Scores inside the region, split by label, as float32 (−0 stored as +0). */
export interface SplitScores {
  positives: Float32Array;
  /** Voxel index of each positive. */
  positiveIndex: Int32Array;
  negatives: Float32Array;
}

/**
 * Validates lengths and NaN, then splits in two passes (count, then copy into exact-size arrays).
 *
 * @throws {RangeError} If lengths differ or a score inside the region is NaN; the message starts with
 *   "Cannot <action>".
 */
export function splitByLabel(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  mask: ArrayLike<number> | undefined,
  action: string,
): SplitScores {
  const n = scores.length;
  if (labels.length !== n) {
    throw new RangeError(`Cannot ${action}: labels has ${labels.length} values but scores has ${n}`);
  }
  if (mask !== undefined && mask.length !== n) {
    throw new RangeError(`Cannot ${action}: mask has ${mask.length} values but scores has ${n}`);
  }
  let nPos = 0, nNeg = 0;
  for (let i = 0; i < n; i++) {
    if (mask !== undefined && mask[i] === 0) continue;
    const s = scores[i];
    if (s !== s) throw new RangeError(`Cannot ${action}: score at index ${i} is NaN: expected a number`);
    if (labels[i] !== 0) nPos++;
    else nNeg++;
  }
  const positives = new Float32Array(nPos), positiveIndex = new Int32Array(nPos), negatives = new Float32Array(nNeg);
  let p = 0, q = 0;
  for (let i = 0; i < n; i++) {
    if (mask !== undefined && mask[i] === 0) continue;
    if (labels[i] !== 0) {
      positiveIndex[p] = i;
      positives[p++] = scores[i] + 0;
    } else negatives[q++] = scores[i] + 0;
  }
  return { positives, positiveIndex, negatives };
}

/** Number of `values` ≥ `threshold`, comparing as float32. */
export function countAtOrAbove(values: Float32Array, threshold: number): number {
  const t = Math.fround(threshold);
  let count = 0;
  for (let i = 0; i < values.length; i++) if (values[i] >= t) count++;
  return count;
}
