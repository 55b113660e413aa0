/**
 * One entry point for reading a volume from any supported format.
 *
 * @module
 */
import { VolumeReadError } from "./errors.ts";
import { readNifti } from "./read_nifti.ts";
import { readNrrd } from "./read_nrrd.ts";
import type { Volume } from "./volume.ts";

/** File endings {@linkcode readVolume} understands. */
export const VOLUME_EXTENSIONS = [".nii.gz", ".nii", ".nrrd"] as const;

/** Options for {@linkcode readVolume}. */
export interface ReadVolumeOptions {
  /** What the values mean, recorded on the result. @default {"other"} */
  unit?: Volume["unit"];
}

/**
 * Reads a NIfTI-1 (.nii, .nii.gz) or NRRD (.nrrd) file, chosen by extension, as a {@linkcode Volume} in its own
 * voxel order (no reorientation; see `reorient`). Index order (i, j, k), i fastest; affine to RAS+ mm.
 *
 * @param path File to read.
 * @throws {VolumeReadError} Naming the file and the problem (missing, unknown extension, corrupt, truncated, …).
 * @example
 * ```ts ignore
 * const ct = await readVolume("../shared/data/ct/cip_ct-64_chest.nii.gz", { unit: "HU" });
 * ```
 */
export async function readVolume(path: string, options: ReadVolumeOptions = {}): Promise<Volume> {
  const lower = path.toLowerCase();
  let volume: Volume;
  if (lower.endsWith(".nii") || lower.endsWith(".nii.gz")) volume = await readNifti(path);
  else if (lower.endsWith(".nrrd")) volume = await readNrrd(path);
  else {
    throw new VolumeReadError(path, `extension is not supported: expected one of ${VOLUME_EXTENSIONS.join(", ")}`);
  }
  return options.unit ? { ...volume, unit: options.unit } : volume;
}

/** The file name without folder and volume extension: "a/case_01.nii.gz" → "case_01". */
export function stemOf(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  for (const ext of VOLUME_EXTENSIONS) if (base.toLowerCase().endsWith(ext)) return base.slice(0, -ext.length);
  return base;
}
