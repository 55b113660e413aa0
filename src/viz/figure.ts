/**
 * The figure type every `src/viz/` builder returns: a Plotly figure spec as plain JSON (no DOM, no plotly.js in
 * the process), which the renderers turn into a Jupyter MIME bundle, a self-contained HTML page or a PNG.
 *
 * @module
 */

/** One Plotly trace (`{ type: "scatter", x, y, … }`), as plain JSON. */
export type PlotlyTrace = Record<string, unknown>;

/** A Plotly figure spec: what `Plotly.newPlot(div, figure)` takes. */
export interface Figure {
  /** Traces, drawn in order. */
  data: PlotlyTrace[];
  /** Layout: title, axes, sliders, size (`width`/`height` in px). */
  layout: Record<string, unknown>;
  /** Animation frames (the slice view's slider steps through them). */
  frames?: { name: string; data: PlotlyTrace[] }[];
  /** Plotly config (e.g. `{ responsive: true }`). */
  config?: Record<string, unknown>;
}

/** A figure with the id and caption a report or a PNG export uses. */
export interface NamedFigure {
  /** File-name-safe id: `[a-z0-9_-]+`, e.g. "roc" or "slices_phantom_0003_axial". */
  id: string;
  /** Caption shown above the figure in reports. */
  title: string;
  figure: Figure;
}

/** Layout defaults shared by the figures: white template, compact margins. */
export function baseLayout(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: { text: title, x: 0.02, xanchor: "left" }, // left: clear of the mode bar at the top right
    template: "plotly_white",
    margin: { l: 60, r: 20, t: 50, b: 50 },
    font: { family: "sans-serif", size: 13 },
    ...extra,
  };
}

/** Rounds to `digits` significant digits, so that JSON stays short; non-finite values become `null`. */
export function roundTo(value: number, digits = 4): number | null {
  if (!Number.isFinite(value)) return null;
  return Number(value.toPrecision(digits));
}

/** `roundTo` over an array. */
export function roundAll(values: ArrayLike<number>, digits = 4): (number | null)[] {
  return Array.from(values, (v) => roundTo(v, digits));
}
