/**
 * Per-case metric bars.
 *
 * @module
 */
import { baseLayout, type Figure, roundTo } from "./figure.ts";

/** One case of {@linkcode caseBarsFigure}: its name and metric values (`null` = undefined, drawn as a gap). */
export interface CaseBarsRow {
  id: string;
  values: Record<string, number | null>;
}

/** Options for {@linkcode caseBarsFigure}. */
export interface CaseBarsFigureOptions {
  /** Metrics to draw, in order, as keys of `values` → legend label. Default: every key of the first case. */
  metrics?: Record<string, string>;
  /** Figure title. @default {"Per-case metrics"} */
  title?: string;
  /** Dataset value per metric key, drawn as a dotted horizontal line in the metric's colour. */
  reference?: Record<string, number | null>;
}

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

/**
 * Grouped bars: one group per case, one bar per metric, y in [0, 1].
 *
 * @param rows Cases in display order.
 * @param options See {@linkcode CaseBarsFigureOptions}.
 * @returns A Plotly figure spec.
 * @example
 * ```ts
 * import { caseBarsFigure } from "./case_bars_figure.ts";
 * const fig = caseBarsFigure([{ id: "a", values: { auroc: 0.9, dice: null } }], { metrics: { auroc: "AUROC", dice: "Dice" } });
 * if (fig.data.length !== 2) throw new Error("one trace per metric");
 * ```
 */
export function caseBarsFigure(rows: CaseBarsRow[], options: CaseBarsFigureOptions = {}): Figure {
  const { title = "Per-case metrics", reference = {} } = options;
  const metrics = options.metrics ??
    Object.fromEntries(Object.keys(rows[0]?.values ?? {}).map((k) => [k, k]));
  const ids = rows.map((r) => r.id);
  const keys = Object.keys(metrics);
  const shapes = keys.flatMap((key, m) => {
    const value = reference[key];
    if (value === null || value === undefined) return [];
    return [{
      type: "line",
      xref: "paper",
      x0: 0,
      x1: 1,
      y0: value,
      y1: value,
      line: { color: COLORS[m % COLORS.length], dash: "dot", width: 1.5 },
    }];
  });
  return {
    data: keys.map((key, m) => ({
      type: "bar",
      name: metrics[key],
      x: ids,
      y: rows.map((r) => {
        const v = r.values[key];
        return v === null || v === undefined ? null : roundTo(v, 5);
      }),
      marker: { color: COLORS[m % COLORS.length] },
    })),
    layout: baseLayout(title, {
      barmode: "group",
      xaxis: {
        title: { text: "case" },
        type: "category",
        tickangle: ids.length * Math.max(1, ...ids.map((id) => id.length)) > 60 ? -40 : 0,
        automargin: true,
      },
      yaxis: { title: { text: "value" }, range: [0, 1.05] },
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
      shapes,
      // Cases where every metric is undefined (e.g. no lesions) get a note instead of empty space.
      annotations: rows.filter((r) => keys.every((k) => r.values[k] === null || r.values[k] === undefined)).map(
        (r) => ({ x: r.id, y: 0.02, text: "n/a", showarrow: false, yanchor: "bottom", font: { color: "grey" } }),
      ),
      margin: { l: 60, r: 20, t: 80, b: 60 },
      width: Math.max(640, Math.min(1200, 100 + 18 * ids.length * Math.max(1, keys.length))),
      height: 460,
    }),
  };
}
