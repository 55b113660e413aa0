/**
 * PRO curve figure with the FPR limit of AUPRO marked and the integrated area shaded.
 *
 * @module
 */
import { baseLayout, type Figure, roundAll } from "./figure.ts";

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"];

/** One curve of {@linkcode proFigure}: e.g. `{ name: "pooled", ...proCurve(table, { maxPoints: 2000 }) }`. */
export interface ProSeries {
  /** Legend entry. */
  name: string;
  /** False-positive rates, ascending. */
  fpr: ArrayLike<number>;
  /** Mean per-region overlap at each point. */
  pro: ArrayLike<number>;
  /** AUPRO up to the limit, shown in the legend when given. */
  aupro?: number;
}

/** Options for {@linkcode proFigure}. */
export interface ProFigureOptions {
  /** FPR limit of the AUPRO integration, drawn as a vertical line. @default {0.3} */
  fprLimit?: number;
  /** Figure title. @default {"Per-region overlap (PRO)"} */
  title?: string;
}

/**
 * PRO curves (FPR on x, mean per-region overlap on y) with a dashed line at `fprLimit` and the area AUPRO
 * integrates (under the first curve, up to the limit) shaded.
 *
 * @param series Curves to draw (thinned, as every point is embedded).
 * @param options See {@linkcode ProFigureOptions}.
 * @returns A Plotly figure spec.
 * @example
 * ```ts
 * import { proFigure } from "./pro_figure.ts";
 * const fig = proFigure([{ name: "pooled", fpr: [0, 0.5, 1], pro: [0, 0.8, 1] }]);
 * if (fig.data.length !== 3) throw new Error("area + curve + limit");
 * ```
 */
export function proFigure(series: ProSeries[], options: ProFigureOptions = {}): Figure {
  const { fprLimit = 0.3, title = "Per-region overlap (PRO)" } = options;
  const shaded = series.length > 0 ? clipCurve(series[0].fpr, series[0].pro, fprLimit) : { x: [], y: [] };
  return {
    data: [
      {
        type: "scatter",
        mode: "lines",
        name: `area to FPR ${fprLimit}`,
        x: roundAll(shaded.x, 6),
        y: roundAll(shaded.y, 6),
        fill: "tozeroy",
        line: { width: 0 },
        fillcolor: "rgba(31, 119, 180, 0.15)",
        hoverinfo: "skip",
        showlegend: false,
      },
      ...series.map((s, i) => ({
        type: "scatter",
        mode: "lines",
        name: s.aupro === undefined ? s.name : `${s.name} (AUPRO@${fprLimit} ${s.aupro.toFixed(4)})`,
        x: roundAll(s.fpr, 6),
        y: roundAll(s.pro, 6),
        line: { width: 2, color: COLORS[i % COLORS.length] },
      })),
      {
        type: "scatter",
        mode: "lines",
        name: `FPR limit ${fprLimit}`,
        x: [fprLimit, fprLimit],
        y: [0, 1],
        line: { dash: "dash", color: "firebrick", width: 1.5 },
        hoverinfo: "skip",
      },
    ],
    layout: baseLayout(title, {
      xaxis: { title: { text: "false-positive rate (background voxels)" }, range: [0, 1] },
      yaxis: { title: { text: "mean overlap per lesion region" }, range: [0, 1.02] },
      legend: { x: 0.98, xanchor: "right", y: 0.02, yanchor: "bottom" },
      width: 560,
      height: 480,
    }),
  };
}

/** The part of a polyline with x ≤ limit, ending with a point interpolated at the limit. */
function clipCurve(x: ArrayLike<number>, y: ArrayLike<number>, limit: number): { x: number[]; y: number[] } {
  const outX: number[] = [], outY: number[] = [];
  for (let p = 0; p < x.length; p++) {
    if (x[p] <= limit) {
      outX.push(x[p]);
      outY.push(y[p]);
      continue;
    }
    if (p > 0) {
      outX.push(limit);
      outY.push(y[p - 1] + (y[p] - y[p - 1]) * (limit - x[p - 1]) / (x[p] - x[p - 1]));
    }
    break;
  }
  return { x: outX, y: outY };
}
