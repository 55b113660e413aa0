/**
 * Inference stage (METHOD §6): sliding-window inference with Gaussian blending over any {@linkcode Predictor}, and
 * the output side (mask to the body, back onto the scan's grid); `featureMaps`, the frozen networks' descriptor and
 * condition over a whole scan (optionally the condition on a coarser grid); `anomalyMap`, the adapter that runs the
 * networks and the density through it; `contextOracleMap` and the context ablation (`fitContextAblation`,
 * `contextAblationMaps`), diagnostics that use ground-truth tissue labels. The inferer itself (`sliding_window.ts`)
 * imports neither tfjs nor ONNX Runtime.
 *
 * @module
 */
export * from "./window_positions.ts";
export * from "./importance_map.ts";
export * from "./sliding_window.ts";
export * from "./smooth_map.ts";
export * from "./anomaly_output.ts";
export * from "./feature_maps.ts";
export * from "./anomaly_map.ts";
export * from "./load_models.ts";
export * from "./context_oracle_map.ts";
export * from "./context_ablation.ts";
