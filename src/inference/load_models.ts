/**
 * A run folder's fitted models, loaded once for many inputs: `RUN/descriptor` and `RUN/condition` (pretraining
 * runs), `RUN/density` (the density fit, with `pipeline.json` saying how features were made).
 *
 * @module
 */
import { join } from "node:path";
import { type Vec3, writeJsonAtomic } from "../io/mod.ts";
import { type ConditionKind, DENSITY_RUN_FILES, type FeatureExtractor, loadDensity } from "../density/mod.ts";
import type { ClaheOptions } from "../preprocess/mod.ts";
import { loadPretrained, type PretrainConfig } from "../ssl/mod.ts";
import type { AnomalyModels } from "./anomaly_map.ts";
import type { FeatureMapModels } from "./feature_maps.ts";

/** How the density's features were made: saved as `RUN/density/pipeline.json` by the fit, read by inference. */
export interface PipelineSpec {
  conditionKind: ConditionKind;
  /** Positional encoding width (positional condition). */
  positionalDim: number;
  /** Window `[wi, wj, wk]` used for features (the training crop). */
  windowVox: Vec3;
  /** Preprocessing spacing in mm. */
  preprocessSpacingMm: Vec3;
  /** CLAHE options of the preprocessing, or `null` for none (absent in specs written before CLAHE existed). */
  clahe?: ClaheOptions | null;
  /**
   * Grid of the condition network in mm (`FeatureMapModels.conditionSpacingMm`), or `null` for the preprocessing grid
   * (absent in specs written before it existed).
   */
  conditionSpacingMm?: Vec3 | null;
  /** Test-time masking of the condition network (`FeatureExtractor.conditionMasking`); absent in older specs: none. */
  conditionMasking?: "checkerboard" | null;
}

/** File names in a run folder. */
export const PIPELINE_FILES = {
  descriptor: "descriptor",
  condition: "condition",
  density: "density",
  spec: "pipeline.json",
} as const;

/** Writes `RUN/density/pipeline.json`. */
export function savePipelineSpec(runDir: string, spec: PipelineSpec): Promise<void> {
  return writeJsonAtomic(join(runDir, PIPELINE_FILES.density, PIPELINE_FILES.spec), spec);
}

/** Loaded models plus a `dispose()` for all of them. */
export interface LoadedAnomalyModels extends AnomalyModels {
  spec: PipelineSpec;
  dispose(): void;
}

/**
 * Loads the frozen descriptor (and condition model for `masked`) and the fitted density of a run folder.
 *
 * @param runDir Folder with `descriptor/`, optionally `condition/`, and `density/`.
 * @throws {Error} Naming the missing file when the run is incomplete.
 */
export async function loadAnomalyModels(runDir: string): Promise<LoadedAnomalyModels> {
  const specPath = join(runDir, PIPELINE_FILES.density, PIPELINE_FILES.spec);
  let spec: PipelineSpec;
  try {
    spec = JSON.parse(await Deno.readTextFile(specPath));
  } catch (cause) {
    throw new Error(`Cannot load models of run "${runDir}": ${specPath} is missing or invalid: run "deno task fit"`, {
      cause,
    });
  }
  const descriptor = (await loadPretrained(join(runDir, PIPELINE_FILES.descriptor))).model;
  const condition = spec.conditionKind === "masked"
    ? (await loadPretrained(join(runDir, PIPELINE_FILES.condition))).model
    : null;
  const { model: density } = await loadDensity(join(runDir, PIPELINE_FILES.density, DENSITY_RUN_FILES.checkpoint));
  const extractor: FeatureExtractor = {
    descriptor,
    condition,
    conditionKind: spec.conditionKind,
    positionalDim: spec.positionalDim,
    conditionMasking: spec.conditionMasking ?? null,
  };
  return {
    extractor,
    density,
    windowVox: spec.windowVox,
    preprocess: { spacingMm: spec.preprocessSpacingMm, clahe: spec.clahe ?? null },
    conditionSpacingMm: spec.conditionSpacingMm ?? null,
    spec,
    dispose() {
      descriptor.dispose();
      condition?.dispose();
      density.dispose();
    },
  };
}

/**
 * Checks that the condition model saw scans preprocessed as the descriptor's (one image feeds both at inference).
 *
 * @throws {Error} Naming both settings and the fix when the spacing or CLAHE differ.
 */
export function checkSamePreprocessing(desc: PretrainConfig, cond: PretrainConfig, runDir: string): void {
  const d = JSON.stringify([desc.preprocessSpacingMm, desc.clahe]);
  const c = JSON.stringify([cond.preprocessSpacingMm, cond.clahe]);
  if (d !== c) {
    throw new Error(
      `Cannot fit run "${runDir}": descriptor and condition were trained on differently preprocessed scans ` +
        `([spacing, CLAHE] ${d} vs ${c}); retrain one with the other's --preprocess-spacing / --clahe`,
    );
  }
}

/** The frozen networks of a run, without a density, plus a `dispose()`. */
export interface LoadedFeatureModels extends FeatureMapModels {
  dispose(): void;
}

/**
 * Loads the frozen descriptor and condition model of a run folder (`RUN/descriptor`, `RUN/condition`) as a
 * `masked` extractor, with the descriptor's window (training crop) and preprocessing; no density is needed.
 *
 * @param runDir Folder with `descriptor/` and `condition/` pretraining runs.
 * @throws {Error} Naming the missing file, or when the two were trained on differently preprocessed scans.
 */
export async function loadFeatureModels(runDir: string): Promise<LoadedFeatureModels> {
  const desc = await loadPretrained(join(runDir, PIPELINE_FILES.descriptor));
  let cond;
  try {
    cond = await loadPretrained(join(runDir, PIPELINE_FILES.condition));
    checkSamePreprocessing(desc.config, cond.config, runDir);
  } catch (e) {
    desc.model.dispose();
    cond?.model.dispose();
    throw e;
  }
  return {
    extractor: { descriptor: desc.model, condition: cond.model, conditionKind: "masked", positionalDim: 0 },
    windowVox: desc.config.cropVox,
    preprocess: { spacingMm: desc.config.preprocessSpacingMm, clahe: desc.config.clahe },
    dispose() {
      desc.model.dispose();
      cond.model.dispose();
    },
  };
}
