/**
 * I/O stage: the {@linkcode Volume} type, affine helpers, NIfTI and NRRD readers, the NIfTI writer and
 * reorientation.
 *
 * @module
 */
export * from "./affine.ts";
export * from "./volume.ts";
export * from "./errors.ts";
export * from "./atomic.ts";
