/**
 * ROC curve and AUROC from a {@linkcode ThresholdTable}.
 *
 * @module
 */
import { CurveCollector } from "./_curve_points.ts";
import { requireBothClasses } from "./_table_checks.ts";
import { sweepThresholds, type ThresholdTable } from "./threshold_table.ts";

/** A ROC curve: false-positive rate against true-positive rate, from (0, 0) to (1, 1). */
export interface RocCurve {
  /** Background voxels at or above the threshold / all background voxels. */
  fpr: Float64Array;
  /** Lesion voxels at or above the threshold / all lesion voxels. */
  tpr: Float64Array;
  /** A threshold giving each point (see `SweepPoint.threshold`). */
  thresholds: Float64Array;
  /** Area under the full curve (ties as diagonal steps): equals {@linkcode aurocOfTable}. */
  auroc: number;
}

/** Options for {@linkcode rocCurve}. */
export interface RocCurveOptions {
  /** Thin the curve to about this many points for plotting; the AUROC is computed on every point. @default {Infinity} */
  maxPoints?: number;
}

/**
 * The exact ROC curve of a threshold table.
 *
 * @param table Lesion vs background scores.
 * @param options See {@linkcode RocCurveOptions}.
 * @returns Points from (0, 0) to (1, 1) and the area under them.
 * @throws {RangeError} If the table has no lesion or no background voxels.
 * @example
 * ```ts
 * import { buildThresholdTable, rocCurve } from "./mod.ts";
 * const roc = rocCurve(buildThresholdTable({ scores: Float32Array.of(2, 3) }, [Float32Array.of(1, 2.5)]));
 * if (roc.auroc !== 0.75) throw new Error(`expected 0.75, got ${roc.auroc}`);
 * ```
 */
export function rocCurve(table: ThresholdTable, options: RocCurveOptions = {}): RocCurve {
  const { maxPoints = Infinity } = options;
  requireBothClasses(table, "compute ROC curve");
  const P = table.positives, N = table.negatives;
  const points = new CurveCollector(maxPoints);
  let area = 0, x0 = 0, y0 = 0;
  sweepThresholds(table, (p) => {
    const x = p.falsePositives / N, y = p.truePositives / P;
    area += (x - x0) * (y + y0) / 2;
    x0 = x;
    y0 = y;
    points.add(x, y, p.threshold);
  });
  const { x, y, thresholds } = points.finish();
  return { fpr: x, tpr: y, thresholds, auroc: area };
}

/**
 * Exact AUROC of a threshold table (Mann–Whitney with ties counted one half): the same value as `auroc()` on the
 * voxels the table was built from, up to rounding of the sum.
 *
 * @throws {RangeError} If the table has no lesion or no background voxels.
 */
export function aurocOfTable(table: ThresholdTable): number {
  requireBothClasses(table, "compute AUROC");
  const { positivesAt, negativesAt, negativesBetween } = table;
  let below = 0, sum = 0;
  for (let t = 0; t < positivesAt.length; t++) {
    below += negativesBetween[t];
    sum += positivesAt[t] * (below + 0.5 * negativesAt[t]);
    below += negativesAt[t];
  }
  return sum / table.positives / table.negatives;
}
