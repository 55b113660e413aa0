/**
 * The evaluation report: every figure of a dataset evaluation (ROC, PRO with the FPR cut, score histograms, per-case
 * bars, training curves, slice views) and the summary tables, as figure specs and as one HTML page.
 *
 * @module
 */
import { type DatasetEvaluation, type MeanInterval, proCurve, rocCurve, type ScoreHistogram } from "../metrics/mod.ts";
import { caseBarsFigure } from "./case_bars_figure.ts";
import type { NamedFigure } from "./figure.ts";
import { scoreHistogramFigure } from "./histogram_figure.ts";
import { escapeHtml, renderHtml } from "./html.ts";
import { proFigure } from "./pro_figure.ts";
import { rocFigure } from "./roc_figure.ts";
import { sliceFigure, type SliceStack } from "./slice_view.ts";
import { trainingCurvesFigure, type TrainingLog } from "./training_curves.ts";

/** What the report shows. */
export interface EvalReportInput {
  /** From `SegmentationEvaluator.compute()`. */
  evaluation: DatasetEvaluation;
  /** From `SegmentationEvaluator.histogram()`. */
  histogram: ScoreHistogram;
  /** Plain-words description of the evaluation region, e.g. "body mask (bodyMask of the CT)". */
  region: string;
  /** Slice views, per case. */
  slices?: { caseId: string; stacks: SliceStack[] }[];
  /** Training logs to plot. */
  trainingLogs?: TrainingLog[];
}

/** Options for {@linkcode evalReportFigures}. */
export interface EvalReportFiguresOptions {
  /** Points per curve (ROC, PRO) kept for drawing. @default {2000} */
  maxCurvePoints?: number;
}

/**
 * Builds every figure of the report.
 *
 * @param input Evaluation, histogram, slices and logs.
 * @param options See {@linkcode EvalReportFiguresOptions}.
 * @returns Figures with ids: `roc`, `pro`, `histogram`, `cases`, `training` (with logs), `slices_<case>_<axis>`.
 */
export function evalReportFigures(input: EvalReportInput, options: EvalReportFiguresOptions = {}): NamedFigure[] {
  const { maxCurvePoints = 2000 } = options;
  const { metrics, table } = input.evaluation;
  const roc = rocCurve(table, { maxPoints: maxCurvePoints });
  const pro = proCurve(table, { maxPoints: maxCurvePoints });
  const n = metrics.cases.length;
  const figures: NamedFigure[] = [
    {
      id: "roc",
      title: `Voxel ROC, pooled over ${n} case(s)`,
      figure: rocFigure([{ name: "pooled", fpr: roc.fpr, tpr: roc.tpr, auroc: metrics.auroc }]),
    },
    {
      id: "pro",
      title: `PRO curve (${metrics.connectivity}-connected regions), pooled`,
      figure: proFigure([{ name: "pooled", fpr: pro.fpr, pro: pro.pro, aupro: metrics.aupro }], {
        fprLimit: metrics.fprLimit,
      }),
    },
    {
      id: "histogram",
      title: "Score histograms: lesion vs background",
      figure: scoreHistogramFigure(input.histogram, { threshold: roundForLabel(metrics.thresholdBest) }),
    },
    {
      id: "cases",
      title: "Per-case metrics (dotted: pooled dataset value)",
      figure: caseBarsFigure(
        metrics.cases.map((c) => ({
          id: c.id,
          values: { auroc: c.auroc, aupro: c.aupro, diceAtGlobal: c.diceAtGlobal, diceBest: c.diceBest },
        })),
        {
          metrics: {
            auroc: "AUROC",
            aupro: `AUPRO@${metrics.fprLimit}`,
            diceAtGlobal: "Dice at global threshold",
            diceBest: "Dice at own best threshold",
          },
          reference: { auroc: metrics.auroc, aupro: metrics.aupro, diceAtGlobal: metrics.diceBest },
        },
      ),
    },
  ];
  if (input.trainingLogs && input.trainingLogs.length > 0) {
    figures.push({ id: "training", title: "Training curves", figure: trainingCurvesFigure(input.trainingLogs) });
  }
  for (const { caseId, stacks } of input.slices ?? []) {
    for (const stack of stacks) {
      const id = `slices_${caseId.toLowerCase().replace(/[^a-z0-9_-]+/g, "-")}_${stack.axis}`;
      figures.push({
        id,
        title: `${caseId}: ${stack.axis} (scores ≥ ${roundForLabel(metrics.thresholdBest)}; outline: ground truth)`,
        figure: sliceFigure(stack, { threshold: metrics.thresholdBest, title: `${caseId}, ${stack.axis}` }),
      });
    }
  }
  return figures;
}

/** Options for {@linkcode evalReportHtml}. */
export interface EvalReportHtmlOptions extends EvalReportFiguresOptions {
  /** Text of plotly.js (`await loadPlotlyJs()`). */
  plotlyJs: string;
  /** Page title. @default {"Evaluation report"} */
  title?: string;
  /** Figures already built with {@linkcode evalReportFigures} (built here otherwise). */
  figures?: NamedFigure[];
}

/**
 * The report as one self-contained HTML page: summary of the pooled metrics and per-case means (with bootstrap
 * intervals), the per-case table, then every figure.
 *
 * @param input Evaluation, histogram, slices and logs.
 * @param options plotly.js text, title, prebuilt figures.
 * @returns The page.
 */
export function evalReportHtml(input: EvalReportInput, options: EvalReportHtmlOptions): string {
  const { plotlyJs, title = "Evaluation report" } = options;
  const figures = options.figures ?? evalReportFigures(input, options);
  return renderHtml(figures, { plotlyJs, title, introHtml: summaryHtml(input) });
}

function summaryHtml(input: EvalReportInput): string {
  const m = input.evaluation.metrics;
  const pct = Math.round(m.bootstrap.level * 100);
  const fmt = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? "–" : v.toFixed(digits));
  const interval = (mi: MeanInterval) =>
    mi.mean === null ? "–" : `${fmt(mi.mean)} [${fmt(mi.ci![0])}, ${fmt(mi.ci![1])}] (n = ${mi.n})`;
  const rows: [string, string, string][] = [
    ["voxel AUROC", fmt(m.auroc), interval(m.means.auroc)],
    [`AUPRO@${m.fprLimit}`, fmt(m.aupro), interval(m.means.aupro)],
    [
      `Dice at the global best threshold ${roundForLabel(m.thresholdBest)}`,
      fmt(m.diceBest),
      interval(m.means.diceAtGlobal),
    ],
    ["Dice at each case's own best threshold", "–", interval(m.means.diceBest)],
  ];
  const summary = `<table>
<tr><th class="l">metric</th><th>pooled over voxels</th><th>mean over cases [${pct}% bootstrap interval]</th></tr>
${rows.map(([a, b, c]) => `<tr><td class="l">${escapeHtml(a)}</td><td>${b}</td><td>${c}</td></tr>`).join("\n")}
</table>
<p>${m.cases.length} case(s), ${m.lesionFreeCases} without lesions; ${m.lesions} lesion(s) (${m.connectivity}-connected
components), ${m.lesionsDetected} detected at the global threshold (at least one voxel at or above it);
${m.positives} lesion and ${m.negatives} background voxels. Region: ${escapeHtml(input.region)}. Bootstrap:
${m.bootstrap.samples} resamples of the cases, seed ${m.bootstrap.seed}, percentile intervals.</p>`;
  const header = [
    "case",
    "AUROC",
    `AUPRO@${m.fprLimit}`,
    "Dice (global thr.)",
    "Dice (own best)",
    "own best thr.",
    "lesions",
    "detected",
    "lesion voxels",
    "region voxels",
    "notes",
  ];
  const caseRows = m.cases.map((c) =>
    `<tr><td class="l">${escapeHtml(c.id)}</td><td>${fmt(c.auroc)}</td><td>${fmt(c.aupro)}</td>` +
    `<td>${fmt(c.diceAtGlobal)}</td><td>${fmt(c.diceBest)}</td><td>${fmt(c.thresholdBest, 3)}</td>` +
    `<td>${c.lesions.length}</td><td>${c.lesionsDetected}</td><td>${c.lesionVoxels}</td><td>${c.regionVoxels}</td>` +
    `<td class="l">${escapeHtml(c.notes.join("; "))}</td></tr>`
  );
  return `${summary}
<details><summary>Per-case table</summary>
<table>
<tr>${
    header.map((h, i) => `<th${i === 0 || i === header.length - 1 ? ' class="l"' : ""}>${escapeHtml(h)}</th>`).join("")
  }</tr>
${caseRows.join("\n")}
</table>
</details>`;
}

/** A threshold shortened for labels (6 significant digits). */
function roundForLabel(value: number): number {
  return Number(value.toPrecision(6));
}
