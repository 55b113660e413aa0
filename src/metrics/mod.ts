/**
 * Metrics stage (METHOD §7): exact voxel AUROC, 3D connected components, the threshold table behind ROC, PRO,
 * AUPRO and Dice at the best threshold, score histograms, bootstrap intervals, and the dataset evaluator that
 * combines them per case and pooled, with its metrics.json / cases.csv records; the linear probe of frozen features.
 * The tissue probe of a run (`tissue_probe.ts`) is imported by its path: it runs the networks, which the rest of this
 * stage does not load.
 *
 * @module
 */
export * from "./auroc.ts";
export * from "./connected_components.ts";
export * from "./threshold_table.ts";
export * from "./roc_curve.ts";
export * from "./aupro.ts";
export * from "./dice.ts";
export * from "./bootstrap.ts";
export * from "./score_histogram.ts";
export * from "./segmentation_evaluator.ts";
export * from "./report_files.ts";
export * from "./linear_probe.ts";
