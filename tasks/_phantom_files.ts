/**
 * What the tasks that use the true anatomy (`deno task oracle`, `deno task ablate`) share: phantom folders with
 * ground-truth tissue labels (written by `deno task phantoms … --write-tissue`), and the flags of their row-Gaussian fit.
 *
 * @module
 */
import { join } from "node:path";
import type { ContextOraclePair } from "../src/density/mod.ts";
import { createVolume, readVolume, sameGrid, type Volume } from "../src/io/mod.ts";
import { intFlag, numberFlag, requireFlag, UsageError } from "./_cli.ts";
import { TISSUES } from "../src/data/mod.ts";

const CT_NAME = /^phantom_(\d+)\.nii\.gz$/;

/** The flags both tasks take (`parseFlags` options), to spread beside a task's own. */
export const REFERENCE_FLAGS = {
  train: { type: "string" },
  test: { type: "string" },
  out: { type: "string" },
  steps: { type: "string" },
  seed: { type: "string" },
  "rows-per-scan": { type: "string" },
  "batch-size": { type: "string" },
  hidden: { type: "string" },
  sigma: { type: "string" },
  backend: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Usage lines of the fit flags in {@linkcode REFERENCE_FLAGS}. */
export const REFERENCE_FIT_USAGE = `  --steps N            optimiser steps of each Gaussian (default 3000)
  --seed S             seed of the row draw, weights, batches and noise (default 0)
  --rows-per-scan R    body voxels drawn per training phantom (default 60000)
  --batch-size B       rows per step (default 2048)
  --hidden H           width of the two hidden layers of the Gaussian's MLP (default 128)
  --sigma V            smoothing of HU and tissue one-hot maps, in voxels of the feature grid (default 1)`;

/**
 * The shared part of both tasks' configs from parsed {@linkcode REFERENCE_FLAGS}: folders, labels, fit options and
 * the fixed learning rate, training noise (1 HU) and scoring batch.
 *
 * @throws {UsageError} On a missing folder flag or an out-of-range value.
 */
export function referenceConfig(values: { [K in keyof typeof REFERENCE_FLAGS]?: string | boolean }) {
  const str = (v: string | boolean | undefined) => (typeof v === "string" ? v : undefined);
  return {
    train: requireFlag(str(values.train), "--train"),
    test: requireFlag(str(values.test), "--test"),
    out: requireFlag(str(values.out), "--out"),
    labels: TISSUES.length,
    steps: intFlag(str(values.steps), "--steps", 3000, 1),
    seed: intFlag(str(values.seed), "--seed", 0, 0, 2 ** 31),
    rowsPerScan: intFlag(str(values["rows-per-scan"]), "--rows-per-scan", 60000, 1),
    batchSize: intFlag(str(values["batch-size"]), "--batch-size", 2048, 2),
    hidden: intFlag(str(values.hidden), "--hidden", 128, 1, 65536),
    sigmaVoxels: numberFlag(str(values.sigma), "--sigma", 1, 0, 100),
    peakLr: 1e-3,
    noiseStd: 0.01,
    batchRows: 65536,
  };
}

/** A phantom on disk: CT and tissue-label paths. */
export interface PhantomFiles {
  stem: string;
  ct: string;
  tissue: string;
}

/**
 * Lists a folder's `phantom_NNNN.nii.gz` files, sorted, each with its tissue file.
 *
 * @throws {UsageError} If the folder is unreadable, has no phantoms, or a tissue file is missing.
 */
export async function listPhantoms(dir: string, flag: string): Promise<PhantomFiles[]> {
  const names = new Set<string>();
  try {
    for await (const entry of Deno.readDir(dir)) if (entry.isFile || entry.isSymlink) names.add(entry.name);
  } catch (cause) {
    throw new UsageError(`Cannot read the ${flag} folder "${dir}": ${(cause as Error).message}`);
  }
  const cts = [...names].filter((name) => CT_NAME.test(name)).sort();
  if (cts.length === 0) {
    throw new UsageError(
      `Cannot find phantoms in the ${flag} folder "${dir}": no phantom_NNNN.nii.gz files`,
      `write some first: deno task phantoms --count 8 --seed 1000 --out ${dir} --write-tissue`,
    );
  }
  const files = cts.map((name) => {
    const stem = name.replace(/\.nii\.gz$/, "");
    return { stem, ct: join(dir, name), tissue: join(dir, `${stem}_tissue.nii.gz`) };
  });
  const missing = files.filter((f) => !names.has(`${f.stem}_tissue.nii.gz`));
  if (missing.length > 0) {
    throw new UsageError(
      `Cannot find the tissue labels of ${missing.length} of ${files.length} phantoms in the ${flag} folder ` +
        `"${dir}": "${
          missing[0].tissue
        }" is missing: expected phantom_NNNN_tissue.nii.gz beside each phantom_NNNN.nii.gz`,
      `rewrite the folder with tissue labels: deno task phantoms --count ${files.length} --seed <its seed> ` +
        `--out ${dir} --write-tissue`,
    );
  }
  return files;
}

/** Reads the CT and tissue labels of each phantom in turn (one pair in memory at a time). */
export async function* readPairs(files: PhantomFiles[]): AsyncGenerator<ContextOraclePair> {
  for (const f of files) {
    const ct = await readVolume(f.ct, { unit: "HU" });
    const tissue = toLabels(await readVolume(f.tissue, { unit: "label" }), f.tissue);
    if (!sameGrid(ct, tissue)) {
      throw new Error(
        `Cannot use phantom "${f.ct}": its tissue labels "${f.tissue}" are on grid ${tissue.shape.join("×")}: ` +
          `expected the CT's grid ${ct.shape.join("×")} with the same affine`,
      );
    }
    yield { ct, tissue };
  }
}

/** The label volume as uint8, whatever integer datatype the file used. */
function toLabels(volume: Volume, path: string): Volume<Uint8Array> {
  if (volume.data instanceof Uint8Array) return volume as Volume<Uint8Array>;
  const data = new Uint8Array(volume.data.length);
  for (let p = 0; p < data.length; p++) {
    const v = volume.data[p];
    if (!(Number.isInteger(v) && v >= 0 && v < 256)) {
      throw new Error(`Cannot use tissue labels "${path}": voxel ${p} is ${v}: expected integers in [0, 255]`);
    }
    data[p] = v;
  }
  return createVolume(data, volume.shape, volume.affine, "label");
}
