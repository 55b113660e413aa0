/**
 * ROC curve figure.
 *
 * @module
 */
import { baseLayout, type Figure, roundAll } from "./figure.ts";

/** One curve of {@linkcode rocFigure}: e.g. `{ name: "pooled", ...rocCurve(table, { maxPoints: 2000 }) }`. */
export interface RocSeries {
  /** Legend entry. */
  name: string;
  /** False-positive rates, ascending, in [0, 1]. */
  fpr: ArrayLike<number>;
  /** True-positive rates, same length. */
  tpr: ArrayLike<number>;
  /** AUROC, shown in the legend when given. */
  auroc?: number;
}

/** Options for {@linkcode rocFigure}. */
export interface RocFigureOptions {
  /** Figure title. @default {"Voxel ROC"} */
  title?: string;
}

/**
 * ROC curves (FPR on x, TPR on y, both [0, 1]) with the chance diagonal.
 *
 * @param series Curves to draw; thin long curves first (`rocCurve(table, { maxPoints })`): every point is embedded.
 * @param options See {@linkcode RocFigureOptions}.
 * @returns A Plotly figure spec.
 * @example
 * ```ts
 * import { rocFigure } from "./roc_figure.ts";
 * const fig = rocFigure([{ name: "pooled", fpr: [0, 0, 1], tpr: [0, 1, 1], auroc: 1 }]);
 * if (fig.data.length !== 2) throw new Error("curve + diagonal");
 * ```
 */
export function rocFigure(series: RocSeries[], options: RocFigureOptions = {}): Figure {
  const { title = "Voxel ROC" } = options;
  return {
    data: [
      ...series.map((s) => ({
        type: "scatter",
        mode: "lines",
        name: s.auroc === undefined ? s.name : `${s.name} (AUROC ${s.auroc.toFixed(4)})`,
        x: roundAll(s.fpr, 6),
        y: roundAll(s.tpr, 6),
        line: { width: 2 },
      })),
      {
        type: "scatter",
        mode: "lines",
        name: "chance",
        x: [0, 1],
        y: [0, 1],
        line: { dash: "dot", color: "grey", width: 1 },
        hoverinfo: "skip",
      },
    ],
    layout: baseLayout(title, {
      xaxis: { title: { text: "false-positive rate (background voxels)" }, range: [0, 1] },
      yaxis: { title: { text: "true-positive rate (lesion voxels)" }, range: [0, 1.02] },
      legend: { x: 0.98, xanchor: "right", y: 0.02, yanchor: "bottom" },
      width: 560,
      height: 480,
    }),
  };
}
