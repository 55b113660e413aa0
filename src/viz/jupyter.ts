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
 * Wraps a figure as a Jupyter MIME bundle. Display it in a Deno notebook with {@linkcode displayFigure}.
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

/** A function that publishes a MIME bundle, shaped like `Deno.jupyter.display`. */
export type DisplayFn = (bundle: JupyterBundle, options: { raw: true }) => Promise<void>;

/** Options for {@linkcode displayFigure}. */
export interface DisplayFigureOptions {
  /**
   * How long to wait after publishing, in milliseconds. Deno 2.9's kernel evaluates on one thread and publishes
   * `display_data` from another task, asynchronously, while the cell's `idle` status goes out directly; a figure of
   * a few hundred kB can then reach the frontend after `idle`, and headless runners (nbconvert, papermill) stop
   * collecting a cell's outputs at `idle` and drop it. Waiting here keeps the cell busy while the figure is sent.
   * @default {500}
   */
  settleMs?: number;
  /** The publisher; defaults to `Deno.jupyter.display`, which exists only inside `deno jupyter`. */
  display?: DisplayFn;
}

/**
 * Shows a figure in a Deno notebook: publishes {@linkcode jupyterBundle}(figure) as display data, then waits
 * `settleMs` so that the kernel sends it before the cell ends (see {@linkcode DisplayFigureOptions.settleMs}).
 *
 * @param figure A figure spec from `src/viz/`.
 * @param options Wait and publisher.
 * @throws {RangeError} If `settleMs` is negative or not finite.
 * @example
 * ```ts ignore
 * import { displayFigure, trainingCurvesFigure } from "../src/viz/mod.ts";
 * await displayFigure(trainingCurvesFigure([{ name: "run", records: [] }])); // in a Deno notebook cell
 * ```
 */
export async function displayFigure(figure: Figure, options: DisplayFigureOptions = {}): Promise<void> {
  const settleMs = options.settleMs ?? 500;
  if (!Number.isFinite(settleMs) || settleMs < 0) {
    throw new RangeError(`displayFigure: settleMs must be a finite number >= 0, got ${settleMs}`);
  }
  const display: DisplayFn = options.display ??
    ((bundle, opts) => Deno.jupyter.display(bundle, opts));
  await display(jupyterBundle(figure), { raw: true });
  if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
}
