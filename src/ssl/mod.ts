/**
 * Self-supervised pretraining data (METHOD §3–4): the list of training scans, their loading and caching, crop-pair
 * geometry with positive voxel pairs, crop resampling, intensity augmentations, block masking, and batches of crop
 * pairs for the descriptor and condition models. Plain typed arrays; no tfjs.
 *
 * @module
 */
export * from "./dataset.ts";
export * from "./training_scan.ts";
export * from "./crop_pair.ts";
export * from "./crop_image.ts";
export * from "./augment.ts";
export * from "./block_mask.ts";
export * from "./batch.ts";
export * from "./projector.ts";
export * from "./vicreg.ts";
export * from "./pretrain_config.ts";
export * from "./pretrain.ts";
export * from "./view_agreement.ts";
