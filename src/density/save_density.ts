/**
 * Density model files: {@linkcode saveDensity} and {@linkcode loadDensity}. A file is a screener-kit checkpoint
 * (`src/train/checkpoint.ts`) whose meta holds the model's architecture (`toJSON()`) and fit config and whose
 * tensors hold its weights as `density/<name>`; `fitDensity`'s `checkpoint.bin` has the same layout (plus optimiser
 * moments as `adam/…`), so inference can load a run's checkpoint directly.
 *
 * @module
 */
import { type Checkpoint, CheckpointError, loadCheckpoint, type NamedTensor, saveCheckpoint } from "../train/mod.ts";
import { createDensityModel } from "./create_density.ts";
import { DENSITY_KINDS, type DensityModel, type DensitySpec } from "./density_model.ts";
import type { DensityFitConfig } from "./fit_config.ts";

/** The `format` tag of density files. */
export const DENSITY_FORMAT = "screener-kit/density@1";

/** The JSON meta of a density file. */
export interface DensityFileMeta {
  /** Always {@linkcode DENSITY_FORMAT}. */
  format: typeof DENSITY_FORMAT;
  /** The model's architecture: `createDensityModel(meta.model)` rebuilds it. */
  model: DensitySpec;
  /** How it was fitted, if known. */
  config: DensityFitConfig | null;
  /** Optimiser steps (or streamed batches) behind the weights. */
  step: number;
}

/** Options for {@linkcode saveDensity}. */
export interface SaveDensityOptions {
  /** The fit config, recorded in the file. @default {null} */
  config?: DensityFitConfig | null;
  /** Steps behind the weights, recorded in the file. @default {0} */
  step?: number;
}

/** What {@linkcode loadDensity} returns. */
export interface LoadedDensity {
  /** The model with its saved weights (caller disposes). */
  model: DensityModel;
  /** The file's meta. */
  meta: DensityFileMeta;
}

/** The prefix of weight tensors in density files. */
export const DENSITY_WEIGHT_PREFIX = "density/";

/** The checkpoint of a model: its weights under {@linkcode DENSITY_WEIGHT_PREFIX}, then `extra` tensors. */
export async function densityCheckpoint<M extends DensityFileMeta>(
  model: DensityModel,
  meta: M,
  extra: Map<string, NamedTensor> = new Map(),
): Promise<Checkpoint<M>> {
  const tensors = new Map<string, NamedTensor>();
  for (const [name, t] of await model.getWeights()) tensors.set(`${DENSITY_WEIGHT_PREFIX}${name}`, t);
  for (const [name, t] of extra) tensors.set(name, t);
  return { meta, tensors };
}

/** The weights of a density checkpoint, by name without the prefix. */
export function densityWeights(ckpt: Checkpoint<unknown>): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  for (const [n, t] of ckpt.tensors) {
    if (n.startsWith(DENSITY_WEIGHT_PREFIX)) out.set(n.slice(DENSITY_WEIGHT_PREFIX.length), t);
  }
  return out;
}

/**
 * Writes a density model (architecture, weights, optional fit config) to one file, atomically.
 *
 * @param path File to write (conventionally `*.bin`).
 * @param model The model.
 * @param options See {@linkcode SaveDensityOptions}.
 * @example
 * ```ts ignore
 * await saveDensity("runs/density/flow.bin", flow, { config, step: 2000 });
 * ```
 */
export async function saveDensity(path: string, model: DensityModel, options: SaveDensityOptions = {}): Promise<void> {
  const { config = null, step = 0 } = options;
  await saveCheckpoint(
    path,
    await densityCheckpoint(model, { format: DENSITY_FORMAT, model: model.toJSON(), config, step }),
  );
}

/**
 * Reads a density model written by {@linkcode saveDensity} or by `fitDensity` (its `checkpoint.bin`).
 *
 * @param path The file.
 * @returns The model with its weights, and the meta.
 * @throws {CheckpointError} If the file cannot be read, is not a density file, or its weights do not fit its model.
 * @example
 * ```ts ignore
 * const { model } = await loadDensity("runs/density/checkpoint.bin");
 * const scores = tf.neg(model.logProb(y, c)); // anomaly scores
 * ```
 */
export async function loadDensity(path: string): Promise<LoadedDensity> {
  const ckpt = await loadCheckpoint<DensityFileMeta>(path);
  const meta = ckpt.meta;
  if (meta?.format !== DENSITY_FORMAT) {
    throw new CheckpointError(path, `format is ${JSON.stringify(meta?.format)}: expected "${DENSITY_FORMAT}"`);
  }
  if (!DENSITY_KINDS.includes(meta.model?.kind)) {
    throw new CheckpointError(
      path,
      `model kind is ${JSON.stringify(meta.model?.kind)}: expected one of ${DENSITY_KINDS}`,
    );
  }
  let model: DensityModel;
  try {
    model = createDensityModel(meta.model);
  } catch (cause) {
    throw new CheckpointError(path, (cause as Error).message, { cause });
  }
  try {
    model.setWeights(densityWeights(ckpt));
  } catch (cause) {
    model.dispose();
    throw new CheckpointError(path, (cause as Error).message, { cause });
  }
  return { model, meta };
}
