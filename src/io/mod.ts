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
export * from "./read_nifti.ts";
export * from "./write_nifti.ts";
export * from "./read_nrrd.ts";
export * from "./read_volume.ts";
export * from "./orientation.ts";
export * from "./run_record.ts";
