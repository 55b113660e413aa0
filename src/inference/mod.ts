/**
 * Inference stage (METHOD §6): sliding-window inference with Gaussian blending over any {@linkcode Predictor}, and
 * the output side (mask to the body, back onto the scan's grid). Imports neither tfjs nor ONNX Runtime.
 *
 * @module
 */
export * from "./window_positions.ts";
export * from "./importance_map.ts";
export * from "./sliding_window.ts";
export * from "./anomaly_output.ts";
