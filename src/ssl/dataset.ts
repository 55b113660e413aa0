/**
 * The list of training scans: every CT file in a folder, or the files named by a manifest.
 *
 * @module
 */
import { dirname, isAbsolute, join, resolve } from "node:path";
import { stemOf, VOLUME_EXTENSIONS } from "../io/mod.ts";

/**
 * File-name patterns (tested on the name without folder and volume extension) of label files that sit beside scans
 * and are not scans: phantom lesion masks (`*_lesions`), phantom tissue labels (`*_tissue`, from
 * `deno task phantoms --write-tissue`), organ segmentations (`*_organseg*`) and masks (`*_mask*`).
 */
export const LABEL_FILE_PATTERNS: readonly RegExp[] = [/_lesions$/i, /_tissue$/i, /_organseg/i, /_mask/i];

/** Options for {@linkcode listScans}. */
export interface ListScansOptions {
  /** Folder listing only: names (stems) matching any of these are skipped. @default {LABEL_FILE_PATTERNS} */
  exclude?: readonly RegExp[];
}

const isVolumeName = (name: string) => VOLUME_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));

/**
 * Lists the CT files to train on.
 *
 * - A folder: its `.nii`, `.nii.gz` and `.nrrd` files (not sub-folders, not hidden files), minus label files matching
 *   `exclude`, sorted by name.
 * - A manifest (any other file that is not itself a volume): one path per line; relative paths are resolved against
 *   the manifest's folder; leading and trailing spaces are trimmed; blank lines and lines starting with `#` are
 *   skipped. Order is kept and `exclude` is not applied (the manifest says what it means). Every listed file must
 *   exist and have a volume extension.
 * - A single volume file: that file alone.
 *
 * Returned paths are the folder joined with each name (folder), or absolute (manifest entries).
 *
 * @param dirOrManifest A folder, a manifest file or a volume file.
 * @param options See {@linkcode ListScansOptions}.
 * @returns The paths, at least one.
 * @throws {Deno.errors.NotFound} If `dirOrManifest` or a file the manifest lists does not exist (named with its line).
 * @throws {RangeError} If the folder holds no scans, the manifest lists none, or lists a file that is not a volume.
 * @example
 * ```ts ignore
 * const paths = await listScans("../shared/data/ct"); // 7 scans; the organ segmentation is skipped
 * const more = await listScans("data/train.txt"); // "# comment", "phantoms/phantom_0000.nii.gz", …
 * ```
 */
export async function listScans(dirOrManifest: string, options: ListScansOptions = {}): Promise<string[]> {
  const { exclude = LABEL_FILE_PATTERNS } = options;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dirOrManifest);
  } catch (error) {
    throw new Deno.errors.NotFound(
      `Cannot list scans in "${dirOrManifest}": it does not exist: expected a folder of CT files or a manifest`,
      { cause: error },
    );
  }
  if (info.isDirectory) return await listFolder(dirOrManifest, exclude);
  if (isVolumeName(dirOrManifest)) return [dirOrManifest];
  return await readManifest(dirOrManifest);
}

async function listFolder(dir: string, exclude: readonly RegExp[]): Promise<string[]> {
  const names: string[] = [];
  let labels = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory || entry.name.startsWith(".") || !isVolumeName(entry.name)) continue;
    if (exclude.some((re) => re.test(stemOf(entry.name)))) labels++;
    else names.push(entry.name);
  }
  if (names.length === 0) {
    const skipped = labels > 0 ? ` (${labels} label file${labels === 1 ? "" : "s"} skipped)` : "";
    throw new RangeError(
      `Cannot list scans in "${dir}": the folder has no CT files${skipped}: expected at least one ${
        VOLUME_EXTENSIONS.join(", ")
      } file`,
    );
  }
  names.sort();
  return names.map((name) => join(dir, name));
}

async function readManifest(manifest: string): Promise<string[]> {
  const text = await Deno.readTextFile(manifest);
  const base = dirname(resolve(manifest));
  const entries: { path: string; line: number }[] = [];
  text.split(/\r?\n/).forEach((raw, n) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    entries.push({ path: isAbsolute(line) ? line : resolve(base, line), line: n + 1 });
  });
  if (entries.length === 0) {
    throw new RangeError(`Cannot list scans in manifest "${manifest}": it lists no files: expected one path per line`);
  }
  const notVolumes = entries.filter((e) => !isVolumeName(e.path));
  if (notVolumes.length > 0) {
    throw new RangeError(
      `Cannot list scans in manifest "${manifest}": ${describe(notVolumes)} ${
        notVolumes.length === 1 ? "is not a CT file" : "are not CT files"
      }: expected ${VOLUME_EXTENSIONS.join(", ")}`,
    );
  }
  const missing: typeof entries = [];
  for (const e of entries) {
    try {
      if (!(await Deno.stat(e.path)).isFile) missing.push(e);
    } catch {
      missing.push(e);
    }
  }
  if (missing.length > 0) {
    throw new Deno.errors.NotFound(
      `Cannot list scans in manifest "${manifest}": ${describe(missing)} ${
        missing.length === 1 ? "does" : "do"
      } not exist: expected existing files (relative paths are resolved against "${base}")`,
    );
  }
  return entries.map((e) => e.path);
}

function describe(entries: readonly { path: string; line: number }[]): string {
  const shown = entries.slice(0, 5).map((e) => `"${e.path}" (line ${e.line})`).join(", ");
  return entries.length > 5 ? `${shown} and ${entries.length - 5} more` : shown;
}
