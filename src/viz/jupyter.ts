/**
 * Jupyter rendering: the MIME bundle that JupyterLab and nbconvert render with their own plotly.js, so the Deno
 * kernel needs none.
 *
 * @module
 */
import type { Figure } from "./figure.ts";

/** MIME type of a Plotly figure in Jupyter. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** A Jupyter display bundle holding a Plotly figure and a plain-text fallback. */
export interface JupyterBundle {
  [PLOTLY_MIME]: Figure;
  "text/plain": string;
}

/**
 * Wraps a figure as a Jupyter MIME bundle. Display it in a Deno notebook with
 * `await Deno.jupyter.display(jupyterBundle(figure), { raw: true })`.
 *
 * @param figure A figure spec from `src/viz/`.
 * @returns The bundle (the figure is JSON-copied, so typed arrays or `undefined` never reach the frontend).
 * @example
 * ```ts
 * import { jupyterBundle } from "./jupyter.ts";
 * const bundle = jupyterBundle({ data: [{ type: "scatter", x: [0, 1], y: [1, 0] }], layout: { title: { text: "t" } } });
 * if (!bundle["application/vnd.plotly.v1+json"].data.length) throw new Error("figure");
 * ```
 */
export function jupyterBundle(figure: Figure): JupyterBundle {
  const layout = figure.layout as { title?: { text?: string } };
  return {
    [PLOTLY_MIME]: JSON.parse(JSON.stringify(figure)),
    "text/plain": `<Plotly figure: ${layout.title?.text ?? "untitled"}, ${figure.data.length} trace(s)>`,
  };
}
