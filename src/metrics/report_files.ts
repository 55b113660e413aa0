/**
 * The machine-readable files of an evaluation (what `deno task eval` writes next to its HTML report): `metrics.json`
 * (snake_case keys, `null` where a metric is undefined) and `cases.csv` (one row per case, RFC 4180 quoting, empty
 * fields where a metric is undefined). Pure functions of {@linkcode DatasetMetrics}: no file system access, so a
 * notebook can build the same records in memory.
 *
 * @module
 */
import type { DatasetMetrics, MeanInterval } from "./mod.ts";

/** Where an evaluation's inputs came from, recorded verbatim in `metrics.json`. */
export interface EvaluationSources {
  /** Folder of the anomaly maps. */
  pred: string;
  /** Folder of the lesion masks. */
  gt: string;
  /** Folder of the region masks, or `null`. */
  roi: string | null;
  /** Folder of the CTs whose body masks were the region, or `null`. */
  images: string | null;
  /** The region in words (e.g. "body mask of each CT …"). */
  region: string;
}

/** Peak of one lesion's score: voxel index (i, j, k) in the prediction file's own order, and world mm. */
export interface LesionPeak {
  voxel: number[];
  mm: number[];
}

/**
 * The key of the AUPRO entry for an integration limit, e.g. `aupro_0_3` for 0.3.
 *
 * @param fprLimit The FPR limit of the AUPRO, in (0, 1].
 */
export function auproKey(fprLimit: number): string {
  return `aupro_${String(fprLimit).replace(".", "_")}`;
}

/**
 * The `metrics.json` record of an evaluation: pooled metrics, per-case means with bootstrap intervals, the rules
 * behind them, and one entry per case with its lesions' peaks.
 *
 * @param m The dataset's metrics (`SegmentationEvaluator.compute(...).metrics`).
 * @param sources Where the inputs came from; `region_mode` is "roi", "body" or "volume" after `roi` and `images`.
 * @param peaks Lesion peaks per case id, in the order of `m.cases[n].lesions` (missing ids or lesions are omitted).
 * @param evalSeconds Time spent evaluating, seconds (rounded to ms).
 * @returns A JSON-serialisable object.
 */
export function evaluationJson(
  m: DatasetMetrics,
  sources: EvaluationSources,
  peaks: ReadonlyMap<string, readonly LesionPeak[]> = new Map(),
  evalSeconds = 0,
): Record<string, unknown> {
  const aupro = auproKey(m.fprLimit);
  const interval = (mi: MeanInterval) => ({ mean: mi.mean, ci95: mi.ci, n: mi.n });
  return {
    task: "eval",
    pred: sources.pred,
    gt: sources.gt,
    roi: sources.roi,
    images: sources.images,
    region: sources.region,
    region_mode: sources.roi ? "roi" : sources.images ? "body" : "volume",
    connectivity: m.connectivity,
    fpr_limit: m.fprLimit,
    reduction: "pooled: all voxels of all cases inside their regions as one set; means: per-case values averaged " +
      "over the cases where they are defined",
    threshold_rule: "a voxel is predicted lesion when its float32 score >= threshold",
    detection_rule: "a lesion is detected when at least one of its voxels scores >= threshold_best",
    bootstrap: { ...m.bootstrap, over: "cases" },
    case_count: m.cases.length,
    lesion_free_cases: m.lesionFreeCases,
    lesion_voxels: m.positives,
    background_voxels: m.negatives,
    lesions: m.lesions,
    lesions_detected: m.lesionsDetected,
    auroc: { pooled: m.auroc, ...interval(m.means.auroc) },
    [aupro]: { pooled: m.aupro, ...interval(m.means.aupro) },
    dice_best: {
      pooled: m.diceBest,
      threshold: m.thresholdBest,
      at_global_threshold: interval(m.means.diceAtGlobal),
      at_own_best_threshold: interval(m.means.diceBest),
    },
    threshold_best: m.thresholdBest,
    eval_seconds: Number(evalSeconds.toFixed(3)),
    cases: m.cases.map((c) => ({
      case: c.id,
      auroc: c.auroc,
      [aupro]: c.aupro,
      dice_at_global_threshold: c.diceAtGlobal,
      dice_best: c.diceBest,
      threshold_best: c.thresholdBest,
      lesions: c.lesions.length,
      lesions_detected: c.lesionsDetected,
      lesion_voxels: c.lesionVoxels,
      region_voxels: c.regionVoxels,
      lesion_voxels_outside_region: c.lesionVoxelsOutsideRegion,
      lesion_list: c.lesions.map((l, r) => ({
        voxels: l.voxels,
        max_score: l.maxScore,
        peak_voxel: peaks.get(c.id)?.[r]?.voxel,
        peak_mm: peaks.get(c.id)?.[r]?.mm,
      })),
      notes: c.notes,
    })),
  };
}

/** The columns of {@linkcode casesCsv}, for an AUPRO limit. */
function casesCsvHeader(fprLimit: number): string[] {
  return [
    "case",
    "auroc",
    auproKey(fprLimit),
    "dice_at_global_threshold",
    "dice_best",
    "threshold_best",
    "lesions",
    "lesions_detected",
    "lesion_voxels",
    "region_voxels",
    "notes",
  ];
}

/**
 * `cases.csv`: a header and one row per case; undefined metrics are empty fields, notes are joined with "; ", and a
 * field holding a comma, quote or newline is quoted with its quotes doubled (RFC 4180).
 *
 * @param m The dataset's metrics.
 * @returns The file's text, ending in a newline.
 */
export function casesCsv(m: DatasetMetrics): string {
  const field = (v: string | number | null) => {
    if (v === null) return "";
    const text = String(v);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const rows = m.cases.map((c) =>
    [
      c.id,
      c.auroc,
      c.aupro,
      c.diceAtGlobal,
      c.diceBest,
      c.thresholdBest,
      c.lesions.length,
      c.lesionsDetected,
      c.lesionVoxels,
      c.regionVoxels,
      c.notes.join("; "),
    ].map(field).join(",")
  );
  return [casesCsvHeader(m.fprLimit).join(","), ...rows].join("\n") + "\n";
}
