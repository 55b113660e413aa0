/**
 * AUPRO: the area under the per-region overlap (PRO) curve up to a false-positive-rate limit (METHOD §7), following
 * MVTec's reference definition as used by anomalib:
 *
 * 1. regions = connected components of the ground-truth mask (26-connectivity by default; say which);
 * 2. at each threshold, PRO = mean over regions of the fraction of the region's voxels scoring ≥ threshold, and
 *    FPR = fraction of background voxels scoring ≥ threshold;
 * 3. the (FPR, PRO) points, from (0, 0), are joined by straight lines (a tie of lesion and background scores is one
 *    diagonal step) and integrated by the trapezoid rule from FPR 0 to `fprLimit`, the last point interpolated
 *    linearly at `fprLimit`;
 * 4. the area is divided by `fprLimit`, so a perfect score gives 1 and a random one about `fprLimit / 2` (0.15).
 *
 * @module
 */
import type { Vec3 } from "../io/mod.ts";
import { CurveCollector } from "./_curve_points.ts";
import { connectedComponents, type Connectivity } from "./connected_components.ts";
import { requireBothClasses } from "./_table_checks.ts";
import { buildThresholdTable, sweepThresholds, type ThresholdTable } from "./threshold_table.ts";
import { splitByLabel } from "./_split.ts";

/** A PRO curve: FPR against the mean per-region overlap, from (0, 0) to (1, 1). */
export interface ProCurve {
  /** Background voxels at or above the threshold / all background voxels. */
  fpr: Float64Array;
  /** Mean over lesion regions of the fraction of the region at or above the threshold. */
  pro: Float64Array;
  /** A threshold giving each point. */
  thresholds: Float64Array;
}

/** Options for {@linkcode proCurve}. */
export interface ProCurveOptions {
  /** Thin the curve to about this many points for plotting. @default {Infinity} */
  maxPoints?: number;
  /** Stop once the FPR exceeds this value (the point just past it is kept). @default {1} */
  maxFpr?: number;
}

/**
 * The exact PRO curve of a threshold table built with regions.
 *
 * @param table Lesion vs background scores, with `regions > 0`.
 * @param options See {@linkcode ProCurveOptions}.
 * @throws {RangeError} If the table has no regions or no background voxels.
 */
export function proCurve(table: ThresholdTable, options: ProCurveOptions = {}): ProCurve {
  const { maxPoints = Infinity, maxFpr = 1 } = options;
  requireRegions(table, "compute PRO curve");
  const points = new CurveCollector(maxPoints);
  sweepThresholds(table, (p) => {
    const x = p.falsePositives / table.negatives;
    points.add(x, p.overlap / table.regions, p.threshold);
    return x <= maxFpr;
  });
  const { x, y, thresholds } = points.finish();
  return { fpr: x, pro: y, thresholds };
}

/**
 * AUPRO of a threshold table built with regions: area under PRO(FPR) from 0 to `fprLimit`, divided by `fprLimit`.
 *
 * @param table Lesion vs background scores, with `regions > 0`.
 * @param fprLimit Upper FPR of the integration, in (0, 1]. @default {0.3}
 * @returns A value in [0, 1].
 * @throws {RangeError} If the table has no regions or no background voxels, or `fprLimit` is out of range.
 */
export function auproOfTable(table: ThresholdTable, fprLimit = 0.3): number {
  requireFprLimit(fprLimit);
  requireRegions(table, "compute AUPRO");
  const N = table.negatives, R = table.regions;
  let area = 0, x0 = 0, y0 = 0;
  sweepThresholds(table, (p) => {
    const x = p.falsePositives / N, y = p.overlap / R;
    if (x <= fprLimit) {
      area += (x - x0) * (y + y0) / 2;
      x0 = x;
      y0 = y;
      return x < fprLimit;
    }
    const yLimit = y0 + (y - y0) * (fprLimit - x0) / (x - x0);
    area += (fprLimit - x0) * (y0 + yLimit) / 2;
    return false;
  });
  return Math.min(1, area / fprLimit);
}

/** Options for {@linkcode aupro}. */
export interface AuproOptions {
  /** Evaluation region, same length as the scores: voxels where it is 0 are ignored. Default: all voxels. */
  mask?: ArrayLike<number>;
  /** Connectivity of the lesion regions. @default {26} */
  connectivity?: Connectivity;
  /** Upper FPR of the integration, in (0, 1]. @default {0.3} */
  fprLimit?: number;
}

/**
 * AUPRO of one volume (see the module doc for the definition). The lesion mask is first restricted to the
 * evaluation region; its connected components there are the regions.
 *
 * @param scores One float32 score per voxel, index order (i, j, k), i fastest.
 * @param labels Ground truth, same length: nonzero = lesion.
 * @param shape Voxels along i, j, k (for the components).
 * @param options Region, connectivity and FPR limit.
 * @returns AUPRO in [0, 1].
 * @throws {RangeError} If lengths differ, a score in the region is NaN, or the region has no lesion or no
 *   background voxel (AUPRO is undefined then).
 * @example A perfect score
 * ```ts
 * import { aupro } from "./aupro.ts";
 * const labels = Uint8Array.of(0, 1, 1, 0, 0, 1);
 * if (aupro(Float32Array.from(labels), labels, [6, 1, 1]) !== 1) throw new Error("expected 1");
 * ```
 */
export function aupro(
  scores: Float32Array,
  labels: ArrayLike<number>,
  shape: Vec3,
  options: AuproOptions = {},
): number {
  const { mask, connectivity = 26, fprLimit = 0.3 } = options;
  requireFprLimit(fprLimit);
  const split = splitByLabel(scores, labels, mask, "compute AUPRO");
  const inRegion = mask === undefined ? labels : Uint8Array.from(labels, (v, i) => (v !== 0 && mask[i] !== 0 ? 1 : 0));
  const { labels: component, sizes } = connectedComponents(inRegion, shape, { connectivity });
  const regionOf = new Int32Array(split.positives.length);
  for (let p = 0; p < regionOf.length; p++) regionOf[p] = component[split.positiveIndex[p]] - 1;
  const table = buildThresholdTable({ scores: split.positives, regionOf, regionSizes: sizes }, [split.negatives]);
  return auproOfTable(table, fprLimit);
}

function requireFprLimit(fprLimit: number): void {
  if (!(fprLimit > 0 && fprLimit <= 1)) {
    throw new RangeError(`Cannot compute AUPRO with fprLimit ${fprLimit}: expected a number in (0, 1]`);
  }
}

function requireRegions(table: ThresholdTable, action: string): void {
  requireBothClasses(table, action);
  if (table.regions === 0) {
    throw new RangeError(
      `Cannot ${action}: the threshold table has no lesion regions: expected one built with regions`,
    );
  }
}
