/**
 * Inference stage (METHOD §6): sliding-window inference with Gaussian blending over any {@linkcode Predictor}, and
 * the output side (mask to the body, back onto the scan's grid), and `anomalyMap`, the adapter that runs the
 * frozen networks and the density through it; `contextOracleMap` gives the map of the context-oracle reference the
 * same output side. The inferer itself (`sliding_window.ts`) imports neither tfjs nor ONNX Runtime; only
 * `anomaly_map.ts` (and, through the density stage, `context_oracle_map.ts`) does.
 *
 * @module
 */
export * from "./window_positions.ts";
export * from "./importance_map.ts";
export * from "./sliding_window.ts";
export * from "./anomaly_output.ts";
export * from "./feature_maps.ts";
export * from "./anomaly_map.ts";
export * from "./load_models.ts";
export * from "./context_oracle_map.ts";
export * from "./context_ablation.ts";
