/**
 * Score histograms of lesion vs background voxels.
 *
 * @module
 */
import type { ScoreHistogram } from "../metrics/mod.ts";
import { baseLayout, type Figure, roundAll } from "./figure.ts";

/** Options for {@linkcode scoreHistogramFigure}. */
export interface ScoreHistogramFigureOptions {
  /** Figure title. @default {"Anomaly scores: lesion vs background voxels"} */
  title?: string;
  /** Logarithmic y axis (background usually outnumbers lesions by orders of magnitude). @default {true} */
  logY?: boolean;
  /** A threshold to mark with a vertical line (e.g. the best-Dice threshold). */
  threshold?: number;
}

/**
 * Overlaid histograms, each normalised to a density (fraction of its class per score unit), so lesion and background
 * compare despite their sizes.
 *
 * @param histogram Counts on shared bins (`SegmentationEvaluator.histogram()` or `scoreHistogram()`).
 * @param options See {@linkcode ScoreHistogramFigureOptions}.
 * @returns A Plotly figure spec.
 * @example
 * ```ts
 * import { scoreHistogramFigure } from "./histogram_figure.ts";
 * const fig = scoreHistogramFigure({ edges: Float64Array.of(0, 1, 2), lesion: Float64Array.of(0, 5), background: Float64Array.of(9, 1) });
 * if (fig.data.length !== 2) throw new Error("two histograms");
 * ```
 */
export function scoreHistogramFigure(histogram: ScoreHistogram, options: ScoreHistogramFigureOptions = {}): Figure {
  const { title = "Anomaly scores: lesion vs background voxels", logY = true, threshold } = options;
  const { edges } = histogram;
  const bins = edges.length - 1;
  const centers = Array.from({ length: bins }, (_, b) => (edges[b] + edges[b + 1]) / 2);
  const width = bins > 0 ? (edges[bins] - edges[0]) / bins : 1;
  const density = (counts: Float64Array) => {
    const total = counts.reduce((s, v) => s + v, 0);
    return roundAll(Array.from(counts, (c) => (total > 0 && c > 0 ? c / total / width : NaN)));
  };
  const bar = (name: string, counts: Float64Array, color: string) => ({
    type: "bar",
    name: `${name} (${counts.reduce((s, v) => s + v, 0)} voxels)`,
    x: roundAll(centers, 6),
    y: density(counts),
    width,
    marker: { color },
    opacity: 0.6,
  });
  const shapes = threshold === undefined ? [] : [{
    type: "line",
    x0: threshold,
    x1: threshold,
    yref: "paper",
    y0: 0,
    y1: 1,
    line: { color: "black", dash: "dash", width: 1.5 },
  }];
  return {
    data: [bar("background", histogram.background, "#1f77b4"), bar("lesion", histogram.lesion, "#d62728")],
    layout: baseLayout(title, {
      barmode: "overlay",
      bargap: 0,
      xaxis: { title: { text: threshold === undefined ? "score" : `score (dashed: threshold ${threshold})` } },
      yaxis: { title: { text: "density (fraction per score unit)" }, type: logY ? "log" : "linear" },
      shapes,
      legend: { x: 0.98, xanchor: "right", y: 0.98, yanchor: "top", bgcolor: "rgba(255, 255, 255, 0.7)" },
      width: 640,
      height: 420,
    }),
  };
}
