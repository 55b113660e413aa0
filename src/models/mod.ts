/**
 * Models stage: the 3D U-Net family (ConvNeXt-style blocks), its named configurations, and the descriptor /
 * condition networks of the method.
 *
 * @module
 */
export * from "./unet.ts";
export * from "./configs.ts";
export * from "./dense_model.ts";
export * from "./flops.ts";
