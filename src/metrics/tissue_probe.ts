/**
 * Tissue probe of a pretrained run: how much anatomy its frozen features carry, read out the standard way for
 * self-supervised representations — a linear probe ({@linkcode fitLinearProbe}) that predicts each body voxel's
 * ground-truth tissue label of a phantom from the voxel's features, fitted on training phantoms and scored by
 * balanced accuracy and per-tissue recall on held-out ones.
 *
 * Features (on the run's preprocessed grid, the rows of the context ablation, `ablationRows`): `hu` (HU and smoothed
 * HU: what intensity alone tells), `descriptor` (the descriptor f(x)), `condition` (the condition model g(x), which
 * METHOD §4 wants to encode where a voxel is and what surrounds it). A condition that knew its anatomy would tell the
 * kidney from the liver and from muscle at similar HU, far better than `hu`. It uses ground-truth labels: a
 * diagnostic, like the context ablation, not part of the method.
 *
 * @module
 */
import { TISSUES } from "../data/tissues.ts";
import type { ContextOraclePair } from "../density/mod.ts";
import {
  type AblationFeatureOptions,
  type AblationRowSet,
  drawAblationRows,
  type FeatureMapModels,
} from "../inference/mod.ts";
import {
  fitLinearProbe,
  type LinearProbeOptions,
  probePredict,
  type ProbeReport,
  probeReport,
} from "./linear_probe.ts";

/** The feature sets a tissue probe can read. */
export const PROBE_FEATURES = ["hu", "descriptor", "condition"] as const;
/** One of {@linkcode PROBE_FEATURES}. */
export type ProbeFeature = typeof PROBE_FEATURES[number];
/** The feature sets probed by default: each alone, and HU with the condition (what the condition adds to intensity). */
export const DEFAULT_PROBE_SETS: readonly string[] = ["hu", "descriptor", "condition", "hu+condition"];

/**
 * The parts of a feature-set name: feature sets joined by "+", e.g. `hu+condition` (their columns side by side).
 *
 * @throws {RangeError} If a part is not one of {@linkcode PROBE_FEATURES} or repeats.
 */
export function probeSetParts(name: string): ProbeFeature[] {
  const parts = name.split("+").map((s) => s.trim());
  for (const p of parts) {
    if (!(PROBE_FEATURES as readonly string[]).includes(p)) {
      throw new RangeError(
        `Cannot probe "${name}": "${p}" is not a feature set: expected some of ${
          PROBE_FEATURES.join(", ")
        }, joined by +`,
      );
    }
  }
  if (new Set(parts).size !== parts.length) throw new RangeError(`Cannot probe "${name}": a feature set repeats`);
  return parts as ProbeFeature[];
}

/** Options of {@linkcode tissueProbe}. */
export interface TissueProbeOptions extends AblationFeatureOptions, LinearProbeOptions {
  /** Body voxels drawn per scan, training and test alike (without replacement). @default {20000} */
  rowsPerScan?: number;
  /** Seed of the row draws: scan s of the training set uses `deriveSeed(seed, "train", s)`, of the test set "test". */
  seed?: number;
  /** Feature sets to probe, in this order (names as {@linkcode probeSetParts} reads them). @default {DEFAULT_PROBE_SETS} */
  features?: readonly string[];
  /** Called after each scan's rows are drawn. */
  onScan?: (set: "train" | "test", scans: number, rows: number) => void;
}

/** The probe of one feature set. */
export interface FeatureProbe {
  /** Feature width. */
  dim: number;
  /** Held-out scores (test rows). */
  test: ProbeReport;
  /** Scores on the rows it was fitted on. */
  train: ProbeReport;
  /** L-BFGS iterations and whether they converged. */
  iterations: number;
  converged: boolean;
}

/** Result of {@linkcode tissueProbe}. */
export interface TissueProbeResult {
  /** Tissue names, index = label (`TISSUES`). */
  tissues: readonly string[];
  trainScans: number;
  testScans: number;
  trainRows: number;
  testRows: number;
  /** Feature-set name → its probe. */
  probes: Map<string, FeatureProbe>;
}

/** Draws one set's rows (`drawAblationRows`, seed stream = the set's name). */
async function drawRows(
  pairs: AsyncIterable<ContextOraclePair> | Iterable<ContextOraclePair>,
  set: "train" | "test",
  models: FeatureMapModels,
  options: TissueProbeOptions,
): Promise<AblationRowSet[]> {
  const { rowsPerScan = 20000, seed = 0, onScan } = options;
  const pool = await drawAblationRows(
    pairs,
    models,
    { ...options, rowsPerScan, seed, stream: set, onScan: onScan && ((scans, rows) => onScan(set, scans, rows)) },
    `probe tissue on ${set} scan`,
  );
  if (pool.length === 0) throw new RangeError(`Cannot probe tissue: no ${set} scans: expected at least one`);
  return pool;
}

/** The columns of some feature sets side by side, `[rows, dim]`, plus the labels. */
function featureRows(
  pool: AblationRowSet[],
  sets: ProbeFeature[],
): { x: Float32Array; labels: Uint8Array; dim: number } {
  const first = pool[0];
  const width = (f: ProbeFeature) => f === "hu" ? 2 : f === "descriptor" ? first.dy : first.dc;
  const dim = sets.reduce((s, f) => s + width(f), 0);
  const count = pool.reduce((s, p) => s + p.count, 0);
  const x = new Float32Array(count * dim), labels = new Uint8Array(count);
  let at = 0;
  for (const p of pool) {
    for (let r = 0; r < p.count; r++) {
      let col = (at + r) * dim;
      for (const f of sets) {
        const w = width(f);
        x.set(p[f].subarray(r * w, (r + 1) * w), col);
        col += w;
      }
    }
    labels.set(p.label, at);
    at += p.count;
  }
  return { x, labels, dim };
}

/**
 * Fits a linear tissue probe on each feature set of a run's frozen networks and scores it on held-out scans.
 * Memory: `rowsPerScan × scans × (2 + Dy + Dc + 27 + 1) × 4` bytes for the rows, plus one scan's feature maps.
 *
 * @param train Training CTs with their tissue labels, read lazily.
 * @param test Held-out CTs with their tissue labels.
 * @param models The run's frozen networks (condition kind `masked`).
 * @param options See {@linkcode TissueProbeOptions}.
 * @throws {RangeError} If a set has no scan or a scan fails (its index and set named).
 */
export async function tissueProbe(
  train: AsyncIterable<ContextOraclePair> | Iterable<ContextOraclePair>,
  test: AsyncIterable<ContextOraclePair> | Iterable<ContextOraclePair>,
  models: FeatureMapModels,
  options: TissueProbeOptions = {},
): Promise<TissueProbeResult> {
  const { features = DEFAULT_PROBE_SETS, rowsPerScan = 20000 } = options;
  if (!Number.isInteger(rowsPerScan) || rowsPerScan < 1) {
    throw new RangeError(`Cannot probe tissue: rowsPerScan is ${rowsPerScan}: expected a positive integer`);
  }
  if (features.length === 0) throw new RangeError("Cannot probe tissue: no feature sets: expected at least one");
  const sets = features.map(probeSetParts);
  const labels = options.labels ?? TISSUES.length;
  const trainPool = await drawRows(train, "train", models, options);
  const testPool = await drawRows(test, "test", models, options);
  const probes = new Map<string, FeatureProbe>();
  for (const [i, name] of features.entries()) {
    const tr = featureRows(trainPool, sets[i]), te = featureRows(testPool, sets[i]);
    const probe = fitLinearProbe(tr.x, tr.labels, tr.dim, labels, options);
    probes.set(name, {
      dim: tr.dim,
      test: probeReport(probePredict(probe, te.x), te.labels, labels),
      train: probeReport(probePredict(probe, tr.x), tr.labels, labels),
      iterations: probe.iterations,
      converged: probe.converged,
    });
  }
  const count = (pool: AblationRowSet[]) => pool.reduce((s, p) => s + p.count, 0);
  return {
    tissues: TISSUES.slice(0, labels),
    trainScans: trainPool.length,
    testScans: testPool.length,
    trainRows: count(trainPool),
    testRows: count(testPool),
    probes,
  };
}
