/**
 * Voxel AUROC (METHOD §7): the probability that a random lesion voxel scores higher than a random non-lesion voxel,
 * ties counting one half — the Mann–Whitney U statistic divided by (positives · negatives). Exact, with no binning:
 * the scores of each class are copied into typed arrays, sorted, and counted in one merge pass, so tens of millions
 * of voxels need only 4 (float32) or 8 (float64) bytes each.
 *
 * @module
 */

/** Scores accepted by {@linkcode auroc}: one number per voxel. */
export type ScoreArray = Float32Array | Float64Array | ArrayLike<number>;

/** Floating-point type in which {@linkcode AurocAccumulator} keeps scores. */
export const AUROC_PRECISIONS = ["float32", "float64"] as const;
/** One of {@linkcode AUROC_PRECISIONS}. */
export type AurocPrecision = typeof AUROC_PRECISIONS[number];

type FloatArray = Float32Array | Float64Array;

/**
 * Exact voxel AUROC with ties counted as one half; equals `sklearn.metrics.roc_auc_score(labels, scores)` on the
 * voxels where `mask` is nonzero.
 *
 * Scores given as a `Float32Array` are compared as float32; any other array as float64 (no rounding).
 *
 * @param scores One score per voxel; higher means more anomalous.
 * @param labels Ground truth per voxel, same length: nonzero = positive (lesion).
 * @param mask Evaluation region (e.g. the body mask), same length: voxels where it is 0 are ignored. Default: all.
 * @returns AUROC in [0, 1].
 * @throws {RangeError} If the lengths differ, a score in the region is NaN, or the region lacks one class.
 * @example
 * ```ts
 * import { auroc } from "./auroc.ts";
 * const value = auroc(Float32Array.of(0.1, 0.4, 0.35, 0.8), Uint8Array.of(0, 0, 1, 1));
 * if (value !== 0.75) throw new Error(`expected 0.75, got ${value}`);
 * ```
 */
export function auroc(scores: ScoreArray, labels: Uint8Array, mask?: Uint8Array): number {
  const Type = scores instanceof Float32Array ? Float32Array : Float64Array;
  const { positives, negatives } = countClasses(scores, labels, mask, "compute AUROC");
  requireBothClasses(positives, negatives, "");
  const pos = new Type(positives), neg = new Type(negatives);
  gather(scores, labels, mask, pos, neg, 0, 0);
  pos.sort();
  neg.sort();
  return aurocOfSorted(pos, neg);
}

/** Options for {@linkcode AurocAccumulator}. */
export interface AurocAccumulatorOptions {
  /**
   * Type in which scores are kept: "float32" halves the memory and can only tie scores closer than float32
   * resolution (~6e-8 relative); "float64" keeps every score exactly. @default {"float32"}
   */
  precision?: AurocPrecision;
}

/**
 * Pools voxels over many cases (the "pooled" reduction of METHOD §7: all voxels of a dataset in one AUROC) and
 * computes the exact AUROC once. Cases without lesions are fine as long as the pool has both classes.
 *
 * @example
 * ```ts
 * import { AurocAccumulator } from "./auroc.ts";
 * const acc = new AurocAccumulator();
 * acc.add(Float32Array.of(0.1, 0.9), Uint8Array.of(0, 1));
 * acc.add(Float32Array.of(0.2, 0.3), Uint8Array.of(0, 0)); // a lesion-free case
 * if (acc.compute() !== 1) throw new Error("expected 1");
 * ```
 */
export class AurocAccumulator {
  readonly precision: AurocPrecision;
  #pos: FloatArray;
  #neg: FloatArray;
  #nPos = 0;
  #nNeg = 0;
  #cases = 0;
  #sorted = true;

  constructor(options: AurocAccumulatorOptions = {}) {
    const { precision = "float32" } = options;
    if (!AUROC_PRECISIONS.includes(precision)) {
      throw new RangeError(`Cannot create AurocAccumulator with precision "${precision}": expected float32 or float64`);
    }
    this.precision = precision;
    this.#pos = this.#alloc(1024);
    this.#neg = this.#alloc(1024);
  }

  /** Cases added since construction or the last {@linkcode reset}. */
  get cases(): number {
    return this.#cases;
  }

  /** Positive (lesion) voxels pooled so far. */
  get positives(): number {
    return this.#nPos;
  }

  /** Negative voxels pooled so far. */
  get negatives(): number {
    return this.#nNeg;
  }

  /**
   * Adds one case's voxels (those where `mask` is nonzero).
   *
   * @param scores One score per voxel.
   * @param labels Ground truth, same length: nonzero = lesion.
   * @param mask Evaluation region, same length. Default: all voxels.
   * @throws {RangeError} If the lengths differ or a score in the region is NaN; the pool is then unchanged.
   */
  add(scores: ScoreArray, labels: Uint8Array, mask?: Uint8Array): void {
    const { positives, negatives } = countClasses(scores, labels, mask, `add case ${this.#cases} to AUROC`);
    this.#pos = this.#grow(this.#pos, this.#nPos + positives);
    this.#neg = this.#grow(this.#neg, this.#nNeg + negatives);
    gather(scores, labels, mask, this.#pos, this.#neg, this.#nPos, this.#nNeg);
    this.#nPos += positives;
    this.#nNeg += negatives;
    this.#cases++;
    if (positives + negatives > 0) this.#sorted = false;
  }

  /**
   * AUROC over all pooled voxels.
   *
   * @throws {RangeError} If the pool lacks positives or negatives.
   */
  compute(): number {
    requireBothClasses(this.#nPos, this.#nNeg, ` pooled over ${this.#cases} case(s)`);
    const pos = this.#pos.subarray(0, this.#nPos);
    const neg = this.#neg.subarray(0, this.#nNeg);
    if (!this.#sorted) {
      pos.sort();
      neg.sort();
      this.#sorted = true;
    }
    return aurocOfSorted(pos, neg);
  }

  /** Empties the pool and frees its memory. */
  reset(): void {
    this.#pos = this.#alloc(1024);
    this.#neg = this.#alloc(1024);
    this.#nPos = this.#nNeg = this.#cases = 0;
    this.#sorted = true;
  }

  #alloc(n: number): FloatArray {
    return this.precision === "float32" ? new Float32Array(n) : new Float64Array(n);
  }

  #grow(a: FloatArray, need: number): FloatArray {
    if (need <= a.length) return a;
    const b = this.#alloc(Math.max(need, Math.min(2 * a.length, need + (1 << 26))));
    b.set(a);
    return b;
  }
}

/**
 * Mann–Whitney count over sorted arrays: for each distinct positive score, the negatives below it count 1 and those
 * equal to it 1/2. One pass over both arrays.
 */
function aurocOfSorted(pos: FloatArray, neg: FloatArray): number {
  const nP = pos.length, nN = neg.length;
  let sum = 0;
  let j = 0;
  let i = 0;
  while (i < nP) {
    const v = pos[i];
    let i2 = i + 1;
    while (i2 < nP && pos[i2] === v) i2++;
    while (j < nN && neg[j] < v) j++;
    let je = j;
    while (je < nN && neg[je] === v) je++;
    sum += (i2 - i) * (j + 0.5 * (je - j));
    i = i2;
  }
  return sum / nP / nN;
}

function countClasses(
  scores: ScoreArray,
  labels: Uint8Array,
  mask: Uint8Array | undefined,
  action: string,
): { positives: number; negatives: number } {
  const n = scores.length;
  if (labels.length !== n) {
    throw new RangeError(`Cannot ${action}: labels has ${labels.length} values but scores has ${n}`);
  }
  if (mask !== undefined && mask.length !== n) {
    throw new RangeError(`Cannot ${action}: mask has ${mask.length} values but scores has ${n}`);
  }
  let positives = 0, negatives = 0;
  for (let i = 0; i < n; i++) {
    if (mask !== undefined && mask[i] === 0) continue;
    const s = scores[i];
    if (s !== s) throw new RangeError(`Cannot ${action}: score at index ${i} is NaN: expected a number`);
    if (labels[i] !== 0) positives++;
    else negatives++;
  }
  return { positives, negatives };
}

function gather(
  scores: ScoreArray,
  labels: Uint8Array,
  mask: Uint8Array | undefined,
  pos: FloatArray,
  neg: FloatArray,
  p0: number,
  n0: number,
): void {
  let p = p0, q = n0;
  const n = scores.length;
  if (mask === undefined) {
    for (let i = 0; i < n; i++) {
      if (labels[i] !== 0) pos[p++] = scores[i];
      else neg[q++] = scores[i];
    }
  } else {
    for (let i = 0; i < n; i++) {
      if (mask[i] === 0) continue;
      if (labels[i] !== 0) pos[p++] = scores[i];
      else neg[q++] = scores[i];
    }
  }
}

function requireBothClasses(positives: number, negatives: number, where: string): void {
  if (positives === 0 || negatives === 0) {
    const missing = positives === 0 ? "positive (lesion)" : "negative";
    throw new RangeError(
      `Cannot compute AUROC${where}: the evaluation region has ${positives} positive and ${negatives} negative ` +
        `voxels: expected at least one ${missing} voxel`,
    );
  }
}
