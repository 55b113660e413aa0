/**
 * Pictures stage: Plotly figure specs as plain JSON (ROC, PRO with the FPR cut, score histograms, per-case bars,
 * training curves, slice views) and their renderers (Jupyter MIME bundle, self-contained HTML, PNG via Chromium),
 * plus the evaluation report that combines them.
 *
 * @module
 */
export * from "./figure.ts";
export * from "./roc_figure.ts";
export * from "./pro_figure.ts";
export * from "./histogram_figure.ts";
export * from "./case_bars_figure.ts";
export * from "./training_curves.ts";
export * from "./slice_view.ts";
export * from "./jupyter.ts";
export * from "./html.ts";
export * from "./plotly_js.ts";
export * from "./png.ts";
export * from "./eval_report.ts";
