/**
 * The dataset evaluation of METHOD §7: per-case and pooled voxel AUROC, AUPRO up to an FPR limit, Dice at the best
 * threshold (one global threshold per dataset, and each case's own best), lesion counts and detections, and seeded
 * bootstrap intervals of the per-case means.
 *
 * @module
 */
import type { Vec3 } from "../io/mod.ts";
import { countAtOrAbove, splitByLabel } from "./_split.ts";
import { auproOfTable } from "./aupro.ts";
import { bootstrapMean, type BootstrapOptions, type MeanInterval } from "./bootstrap.ts";
import { connectedComponents, CONNECTIVITIES, type Connectivity } from "./connected_components.ts";
import { bestDiceOfTable, diceOfCounts } from "./dice.ts";
import { aurocOfTable } from "./roc_curve.ts";
import { type ScoreHistogram, scoreHistogram, type ScoreHistogramOptions } from "./score_histogram.ts";
import { buildThresholdTable, type ThresholdTable } from "./threshold_table.ts";

/** Options for {@linkcode SegmentationEvaluator}. */
export interface SegmentationEvaluatorOptions {
  /** Connectivity of the lesion regions (AUPRO regions, lesion count, detection). @default {26} */
  connectivity?: Connectivity;
  /** Upper FPR of the AUPRO integration, in (0, 1]. @default {0.3} */
  fprLimit?: number;
}

/** One case for {@linkcode SegmentationEvaluator.add}: three arrays on one grid, index order (i, j, k), i fastest. */
export interface EvaluationCase {
  /** Name of the case in tables and errors (e.g. the file stem). */
  id: string;
  /** Anomaly score per voxel, higher = more anomalous; compared as float32; no NaN inside the region. */
  scores: ArrayLike<number>;
  /** Ground truth per voxel: nonzero = lesion. */
  labels: ArrayLike<number>;
  /** Evaluation region (e.g. the body mask): nonzero = evaluated. Default: every voxel. */
  region?: ArrayLike<number>;
  /** Voxels along i, j, k. */
  shape: Vec3;
}

/** One lesion: a connected component of the ground truth inside the evaluation region. */
export interface LesionSummary {
  /** Voxels of the lesion inside the region. */
  voxels: number;
  /** Highest score in the lesion. */
  maxScore: number;
  /** Voxel (i, j, k) of that score (the first in memory order on ties). */
  peakVoxel: [number, number, number];
}

/** Metrics of one case on its own. `null` marks an undefined metric; `notes` say why. */
export interface CaseMetrics {
  id: string;
  /** Voxels in the evaluation region. */
  regionVoxels: number;
  /** Lesion voxels inside the region. */
  lesionVoxels: number;
  /** Lesion voxels outside the region: ignored by every metric. */
  lesionVoxelsOutsideRegion: number;
  /** The case's lesions, in label order. */
  lesions: LesionSummary[];
  /** Voxel AUROC of the case; `null` without lesion or background voxels. */
  auroc: number | null;
  /** AUPRO of the case up to `fprLimit`; `null` without lesions or background voxels. */
  aupro: number | null;
  /** Best Dice over the case's own thresholds; `null` without lesion voxels. */
  diceBest: number | null;
  /** The threshold of `diceBest`. */
  thresholdBest: number | null;
  /** Why a metric is `null`, and anything else worth knowing about the case. */
  notes: string[];
}

/** A case's metrics plus those that depend on the dataset's global threshold. */
export interface CaseResult extends CaseMetrics {
  /** Dice at the dataset's best threshold; 0 for a lesion-free case with false positives, `null` if it has none. */
  diceAtGlobal: number | null;
  /** Lesions with at least one voxel scoring ≥ the dataset's best threshold. */
  lesionsDetected: number;
}

/** The dataset's metrics, as {@linkcode SegmentationEvaluator.compute} returns them. */
export interface DatasetMetrics {
  connectivity: Connectivity;
  fprLimit: number;
  /** How cases are combined: voxels of all cases pooled into one set (METHOD §7). */
  reduction: "pooled";
  /** Lesion and background voxels over all cases, inside the regions. */
  positives: number;
  negatives: number;
  /** Lesions (connected components) over all cases; cases without any. */
  lesions: number;
  lesionFreeCases: number;
  /** Pooled voxel AUROC. */
  auroc: number;
  /** Pooled AUPRO: regions of all cases, background of all cases. */
  aupro: number;
  /** Pooled Dice (all voxels as one segmentation) at `thresholdBest`, the threshold that maximises it. */
  diceBest: number;
  /** One global threshold for the dataset: predict lesion where `score >= thresholdBest`. */
  thresholdBest: number;
  /** Lesions with at least one voxel scoring ≥ `thresholdBest`. */
  lesionsDetected: number;
  /** Means over cases (undefined cases left out) with bootstrap intervals. */
  means: {
    auroc: MeanInterval;
    aupro: MeanInterval;
    diceAtGlobal: MeanInterval;
    diceBest: MeanInterval;
  };
  bootstrap: Required<BootstrapOptions> & { method: "percentile" };
  cases: CaseResult[];
}

/** What {@linkcode SegmentationEvaluator.compute} returns: the metrics and the pooled threshold table (for curves). */
export interface DatasetEvaluation {
  metrics: DatasetMetrics;
  /** Pooled lesion vs background table; `rocCurve(table)` and `proCurve(table)` draw from it. */
  table: ThresholdTable;
}

interface StoredCase {
  metrics: CaseMetrics;
  positives: Float32Array;
  negatives: Float32Array;
  /** Region of each positive, as a case-local index into `metrics.lesions`. */
  regionOf: Int32Array;
}

/**
 * Evaluates anomaly maps case by case and pools them into dataset metrics (the accumulator of METHOD §7's metrics).
 *
 * Memory: per case it keeps the float32 scores of the region only (4 bytes per voxel) plus one region index per
 * lesion voxel; volumes can be dropped after {@linkcode add}. Everything is exact: AUROC with ties as one half, AUPRO
 * and both best Dice values over every distinct lesion score (see `ThresholdTable`).
 *
 * Degenerate inputs (per case: the metric is `null` with a note; pooled: a `RangeError`):
 * - an empty region: every per-case metric is `null`;
 * - no lesion voxel in the region: AUROC, AUPRO, best Dice and its threshold are `null`; the case still adds
 *   background to the pooled metrics, and its Dice at the global threshold is 0 with any false positive, else `null`
 *   (0/0);
 * - no background voxel in the region: AUROC and AUPRO are `null`;
 * - the pool without lesion or background voxels: {@linkcode compute} throws `RangeError`.
 *
 * @example
 * ```ts
 * import { SegmentationEvaluator } from "./segmentation_evaluator.ts";
 * const ev = new SegmentationEvaluator();
 * ev.add({ id: "a", scores: Float32Array.of(0.1, 0.9, 0.8, 0.2), labels: Uint8Array.of(0, 1, 1, 0), shape: [4, 1, 1] });
 * ev.add({ id: "b", scores: Float32Array.of(0.3, 0.1), labels: Uint8Array.of(0, 0), shape: [2, 1, 1] });
 * const { metrics } = ev.compute();
 * if (metrics.auroc !== 1 || metrics.diceBest !== 1 || metrics.cases[1].auroc !== null) throw new Error("metrics");
 * ```
 */
export class SegmentationEvaluator {
  readonly connectivity: Connectivity;
  readonly fprLimit: number;
  #cases: StoredCase[] = [];

  /** @throws {RangeError} If `connectivity` or `fprLimit` is out of range. */
  constructor(options: SegmentationEvaluatorOptions = {}) {
    const { connectivity = 26, fprLimit = 0.3 } = options;
    if (!CONNECTIVITIES.includes(connectivity)) {
      throw new RangeError(
        `Cannot create SegmentationEvaluator with connectivity ${connectivity}: expected one of ${
          CONNECTIVITIES.join(", ")
        }`,
      );
    }
    if (!(fprLimit > 0 && fprLimit <= 1)) {
      throw new RangeError(
        `Cannot create SegmentationEvaluator with fprLimit ${fprLimit}: expected a number in (0, 1]`,
      );
    }
    this.connectivity = connectivity;
    this.fprLimit = fprLimit;
  }

  /** Cases added so far. */
  get cases(): number {
    return this.#cases.length;
  }

  /**
   * Evaluates one case and keeps what the pooled metrics need.
   *
   * @param item Scores, labels and optional region on one grid.
   * @returns The case's own metrics (those at the global threshold come from {@linkcode compute}).
   * @throws {RangeError} If the arrays' lengths differ from the shape's voxel count or a score in the region is NaN;
   *   the message names the case and nothing is kept.
   */
  add(item: EvaluationCase): CaseMetrics {
    const { id, scores, labels, region, shape } = item;
    const n = shape[0] * shape[1] * shape[2];
    const action = `evaluate case "${id}"`;
    if (scores.length !== n) {
      throw new RangeError(
        `Cannot ${action}: scores has ${scores.length} values but shape ${shape.join("×")} needs ${n}`,
      );
    }
    const split = splitByLabel(scores, labels, region, action);
    const { positives, positiveIndex, negatives } = split;
    let outside = 0;
    if (region !== undefined) { for (let i = 0; i < n; i++) if (labels[i] !== 0 && region[i] === 0) outside++; }

    // Lesions: connected components of the lesion mask inside the region.
    const inRegion = new Uint8Array(n);
    for (let p = 0; p < positiveIndex.length; p++) inRegion[positiveIndex[p]] = 1;
    const components = connectedComponents(inRegion, shape, { connectivity: this.connectivity });
    const regionOf = new Int32Array(positives.length);
    const maxScore = new Float64Array(components.count).fill(-Infinity);
    const peak = new Int32Array(components.count);
    for (let p = 0; p < positives.length; p++) {
      const r = components.labels[positiveIndex[p]] - 1;
      regionOf[p] = r;
      if (positives[p] > maxScore[r]) {
        maxScore[r] = positives[p];
        peak[r] = positiveIndex[p];
      }
    }
    const plane = shape[0] * shape[1];
    const lesions: LesionSummary[] = Array.from({ length: components.count }, (_, r) => ({
      voxels: components.sizes[r],
      maxScore: maxScore[r],
      peakVoxel: [peak[r] % shape[0], Math.floor(peak[r] / shape[0]) % shape[1], Math.floor(peak[r] / plane)],
    }));

    const table = buildThresholdTable({ scores: positives, regionOf, regionSizes: components.sizes }, [negatives]);
    const notes: string[] = [];
    const metrics: CaseMetrics = {
      id,
      regionVoxels: positives.length + negatives.length,
      lesionVoxels: positives.length,
      lesionVoxelsOutsideRegion: outside,
      lesions,
      auroc: null,
      aupro: null,
      diceBest: null,
      thresholdBest: null,
      notes,
    };
    if (outside > 0) notes.push(`${outside} lesion voxel(s) lie outside the evaluation region and are ignored`);
    if (positives.length + negatives.length === 0) {
      notes.push("the evaluation region is empty: every metric is undefined");
    } else if (positives.length === 0) {
      notes.push(
        "no lesion voxel in the evaluation region: AUROC, AUPRO and best Dice are undefined; Dice at the global " +
          "threshold is 0 if any voxel reaches it, else undefined",
      );
    } else {
      const best = bestDiceOfTable(table);
      metrics.diceBest = best.dice;
      metrics.thresholdBest = best.threshold;
      if (negatives.length === 0) {
        notes.push("no background voxel in the evaluation region: AUROC and AUPRO are undefined");
      } else {
        metrics.auroc = aurocOfTable(table);
        metrics.aupro = auproOfTable(table, this.fprLimit);
      }
    }
    this.#cases.push({ metrics, positives, negatives, regionOf });
    return metrics;
  }

  /**
   * Pooled dataset metrics, the global best threshold and what it gives per case, and bootstrap intervals of the
   * per-case means.
   *
   * @param options Bootstrap settings (resamples, seed, level).
   * @throws {RangeError} If the pooled region has no lesion or no background voxel.
   */
  compute(options: BootstrapOptions = {}): DatasetEvaluation {
    const { samples = 2000, seed = 0, level = 0.95 } = options;
    const cases = this.#cases;
    let positiveCount = 0, negativeCount = 0, regionCount = 0;
    for (const c of cases) {
      positiveCount += c.positives.length;
      negativeCount += c.negatives.length;
      regionCount += c.metrics.lesions.length;
    }
    if (positiveCount === 0 || negativeCount === 0) {
      const missing = positiveCount === 0 ? "lesion" : "background";
      throw new RangeError(
        `Cannot compute pooled metrics over ${cases.length} case(s): the evaluation regions hold ${positiveCount} ` +
          `lesion and ${negativeCount} background voxels: expected at least one ${missing} voxel`,
      );
    }
    const positives = new Float32Array(positiveCount);
    const regionOf = new Int32Array(positiveCount);
    const regionSizes = new Float64Array(regionCount);
    let p0 = 0, r0 = 0;
    for (const c of cases) {
      positives.set(c.positives, p0);
      for (let p = 0; p < c.regionOf.length; p++) regionOf[p0 + p] = r0 + c.regionOf[p];
      for (const lesion of c.metrics.lesions) regionSizes[r0++] = lesion.voxels;
      p0 += c.positives.length;
    }
    const table = buildThresholdTable({ scores: positives, regionOf, regionSizes }, cases.map((c) => c.negatives));
    const best = bestDiceOfTable(table);
    const threshold = Math.fround(best.threshold);
    const results: CaseResult[] = cases.map((c) => {
      const tp = countAtOrAbove(c.positives, threshold);
      const fp = countAtOrAbove(c.negatives, threshold);
      return {
        ...c.metrics,
        diceAtGlobal: diceOfCounts(c.positives.length, tp, fp),
        lesionsDetected: c.metrics.lesions.filter((l) => l.maxScore >= threshold).length,
      };
    });
    const bootstrap = { samples, seed, level };
    const mean = (pick: (c: CaseResult) => number | null) => bootstrapMean(results.map(pick), bootstrap);
    const metrics: DatasetMetrics = {
      connectivity: this.connectivity,
      fprLimit: this.fprLimit,
      reduction: "pooled",
      positives: positiveCount,
      negatives: negativeCount,
      lesions: regionCount,
      lesionFreeCases: results.filter((c) => c.lesions.length === 0).length,
      auroc: aurocOfTable(table),
      aupro: auproOfTable(table, this.fprLimit),
      diceBest: best.dice,
      thresholdBest: best.threshold,
      lesionsDetected: results.reduce((s, c) => s + c.lesionsDetected, 0),
      means: {
        auroc: mean((c) => c.auroc),
        aupro: mean((c) => c.aupro),
        diceAtGlobal: mean((c) => c.diceAtGlobal),
        diceBest: mean((c) => c.diceBest),
      },
      bootstrap: { ...bootstrap, method: "percentile" },
      cases: results,
    };
    return { metrics, table };
  }

  /**
   * Histograms of the pooled lesion and background scores on shared bins.
   *
   * @param options Bins and range (default: 100 bins over the scores' range).
   */
  histogram(options: ScoreHistogramOptions = {}): ScoreHistogram {
    return scoreHistogram(this.#cases.map((c) => c.positives), this.#cases.map((c) => c.negatives), options);
  }

  /** Forgets every case and frees their scores. */
  reset(): void {
    this.#cases = [];
  }
}
