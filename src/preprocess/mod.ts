/**
 * Preprocessing stage (METHOD §2): body mask, body crop, resampling, Gaussian smoothing, HU window, and the whole pipeline with its way
 * back onto the scan's grid.
 *
 * @module
 */
export * from "./body_mask.ts";
export * from "./crop.ts";
export * from "./resample.ts";
export * from "./gaussian_filter.ts";
export * from "./window_hu.ts";
export * from "./clahe.ts";
export * from "./pipeline.ts";
