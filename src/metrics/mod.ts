/**
 * Metrics stage: voxel AUROC (function and pooling accumulator).
 *
 * @module
 */
export * from "./auroc.ts";
