/**
 * The context ablation of the phantom benchmark: which half of the method limits it, the descriptor or the condition?
 * It fits the same density family, q(y | c) = N(μ(c), diag σ²(c)) (`fitRowGaussian`), for every pairing of
 *
 * - y, what a voxel looks like: `hu` (the context oracle's `[HU, G_σ ∗ HU] / 100`) or `descriptor` (the run's frozen
 *   descriptor f(x), Dy wide);
 * - c, what it should look like: `tissue` (the phantom's ground-truth tissue labels, one-hot and smoothed: the perfect
 *   context), `condition` (the run's frozen condition model g(x)), or `none`;
 *
 * on the same voxels of the same training scans, and scores test scans with each. `hu`+`tissue` is the context oracle
 * on the run's grid; `descriptor`+`condition` is the method with the Gaussian in place of the flow. Reading the table:
 * `descriptor`+`tissue` against `hu`+`tissue` says how much lesion information the learned descriptor keeps,
 * `hu`+`condition` against `hu`+`tissue` how much anatomy the learned condition carries, and `…`+`none` what any
 * context adds.
 *
 * Everything lives on the run's preprocessed grid (`preprocessCt` with the run's options: body crop, resampling,
 * window, CLAHE if the run used it); the tissue labels are brought there with nearest-neighbour sampling
 * (`resampleMaskToGrid`), y = HU is the resampled HU before windowing, and the features are blended over sliding
 * windows (`featureMaps`). It needs ground-truth labels that no real scan has: a diagnostic, not a method.
 *
 * @module
 */
import { deriveSeed, Rng } from "../data/rng.ts";
import { TISSUES } from "../data/tissues.ts";
import {
  checkRowGaussianOptions,
  concatPool,
  type ContextOraclePair,
  type DensityModel,
  type DensityStep,
  drawWithoutReplacement,
  fitRowGaussian,
  intensityRows,
  type RowGaussianFitOptions,
  tissueContextRows,
} from "../density/mod.ts";
import { createVolume, sameGrid, type Volume } from "../io/mod.ts";
import { preprocessCt, type PreprocessedCt, resampleMaskToGrid } from "../preprocess/mod.ts";
import { scoreRows } from "./anomaly_map.ts";
import { finishAnomalyMap } from "./anomaly_output.ts";
import { channelRows, type FeatureMapModels, featureMaps } from "./feature_maps.ts";

/** What y, the voxel's appearance, is made of. */
export const ABLATION_APPEARANCES = ["hu", "descriptor"] as const;
/** What c, the voxel's context, is made of. */
export const ABLATION_CONTEXTS = ["tissue", "condition", "none"] as const;

/** One cell of the ablation: a pairing of y and c. Its name is `${y}_${c}`, e.g. `descriptor_tissue`. */
export interface AblationCell {
  y: typeof ABLATION_APPEARANCES[number];
  c: typeof ABLATION_CONTEXTS[number];
}

/** All six cells, y-major. */
export const ABLATION_CELLS: readonly AblationCell[] = ABLATION_APPEARANCES.flatMap((y) =>
  ABLATION_CONTEXTS.map((c) => ({ y, c }))
);

/** The name of a cell, `${y}_${c}`: a folder name of `deno task ablate`. */
export function ablationCellName(cell: AblationCell): string {
  return `${cell.y}_${cell.c}`;
}

/** Options shared by {@linkcode ablationRows}, {@linkcode fitContextAblation} and {@linkcode contextAblationMaps}. */
export interface AblationFeatureOptions {
  /** Smoothing σ of HU and of the one-hot tissue maps, in voxels of the preprocessed grid. @default {1} */
  sigmaVoxels?: number;
  /** Number of tissue labels (Dc of `tissue`). @default {TISSUES.length} (27) */
  labels?: number;
  /** Sliding-window overlap of the feature maps. @default {0.25} */
  overlap?: number;
  /**
   * Windows per network call. (Not `batchSize`: in {@linkcode FitContextAblationOptions} that is the fit's rows per
   * step.) @default {1}
   */
  windowBatch?: number;
  /** Progress over one scan's windows. */
  onWindows?: (done: number, total: number) => void;
}

/** Every kind of y and c at the same voxels (row r of each array is one voxel). */
export interface AblationRowSet {
  count: number;
  /** `[count, 2]`: HU and smoothed HU, / 100, HU clipped to [−1000, 300]. */
  hu: Float32Array;
  /** `[count, dy]`: the frozen descriptor. */
  descriptor: Float32Array;
  /** `[count, labels]`: smoothed one-hot ground-truth tissue. */
  tissue: Float32Array;
  /** `[count, dc]`: the frozen condition model's output. */
  condition: Float32Array;
  /** `[count]`: the voxel's ground-truth tissue label (an index into `TISSUES`), nearest-neighbour on the grid. */
  label: Uint8Array;
  dy: number;
  dc: number;
  labels: number;
}

/** The ablation's rows of one scan and where they lie. */
export interface AblationRows extends AblationRowSet {
  /** The scan preprocessed with the run's options (grid of the rows). */
  pre: PreprocessedCt;
  /** Linear indices into `pre.image` of the rows' voxels (body voxels). */
  voxels: Uint32Array;
}

/**
 * Computes every kind of y and c at the body voxels of one scan (all of them, or `take` drawn without replacement).
 * Memory: the Dy + Dc feature volumes of the preprocessed grid, plus the rows.
 *
 * @param scan The CT (HU, any axis-aligned grid) and its ground-truth tissue labels on the same grid.
 * @param models The run's frozen networks; the condition kind must be `masked`.
 * @param options See {@linkcode AblationFeatureOptions}; `take` and `rng` pick a random subset of the body voxels.
 * @throws {TypeError} If the CT and the labels are not on one grid, or the run has no condition model.
 * @throws {RangeError} If a label is ≥ `labels` or the scan has no body voxel.
 */
export async function ablationRows(
  scan: ContextOraclePair,
  models: FeatureMapModels,
  options: AblationFeatureOptions & { take?: number; rng?: Rng } = {},
): Promise<AblationRows> {
  const { sigmaVoxels = 1, labels = TISSUES.length, overlap = 0.25, windowBatch = 1, onWindows, take, rng } = options;
  if (models.extractor.conditionKind !== "masked" || !models.extractor.condition) {
    throw new TypeError(
      `Cannot compute ablation rows: the run's condition is "${models.extractor.conditionKind}": expected "masked" ` +
        "(a run fitted with --condition masked, so that it has a condition model)",
    );
  }
  if (!sameGrid(scan.ct, scan.tissue)) {
    throw new TypeError(
      `Cannot compute ablation rows: the CT (${scan.ct.shape.join("×")}) and its tissue labels ` +
        `(${scan.tissue.shape.join("×")}) are on different grids: expected one shape and affine`,
    );
  }
  const pre = preprocessCt(scan.ct, models.preprocess);
  const tissueGrid = resampleMaskToGrid(scan.tissue, pre.image);
  const body = pre.bodyMask.data;
  let bodyCount = 0;
  for (let p = 0; p < body.length; p++) bodyCount += body[p];
  if (bodyCount === 0) throw new RangeError("Cannot compute ablation rows: the scan has no body voxel");
  const all = new Uint32Array(bodyCount);
  for (let p = 0, r = 0; p < body.length; p++) if (body[p]) all[r++] = p;
  let voxels = all;
  if (take !== undefined && take < bodyCount) {
    const picks = drawWithoutReplacement(bodyCount, take, rng ?? new Rng(0));
    voxels = Uint32Array.from(picks, (r) => all[r]);
  }
  const { channels, dy, dc } = await featureMaps(pre, models, {
    overlap,
    batchSize: windowBatch,
    onProgress: onWindows,
  });
  return {
    pre,
    voxels,
    count: voxels.length,
    hu: intensityRows(pre.hu.data, pre.hu.shape, voxels, sigmaVoxels),
    descriptor: channelRows(channels, 0, dy, voxels),
    tissue: tissueContextRows(tissueGrid.data, pre.hu.shape, voxels, labels, sigmaVoxels),
    condition: channelRows(channels, dy, dc, voxels),
    label: Uint8Array.from(voxels, (v) => tissueGrid.data[v]),
    dy,
    dc,
    labels,
  };
}

/** Options of {@linkcode drawAblationRows}. */
export interface DrawAblationRowsOptions extends AblationFeatureOptions {
  /** Body voxels drawn per scan (without replacement). */
  rowsPerScan: number;
  /** Base seed: scan s is drawn with `Rng(deriveSeed(seed, stream, s))`. */
  seed: number;
  /** Name of the seed stream, e.g. "rows", "train", "test". */
  stream: string;
  /** Called after each scan's rows are drawn. */
  onScan?: (scans: number, rows: number) => void;
}

/**
 * Draws `rowsPerScan` body voxels' rows ({@linkcode ablationRows}) from each scan in turn, keeping the rows only
 * (never a scan's preprocessed volumes): the row pools of the context ablation and of the tissue probe.
 *
 * @param pairs CTs with their tissue labels, read lazily.
 * @param models The run's frozen networks (condition kind `masked`).
 * @param options See {@linkcode DrawAblationRowsOptions}.
 * @param what What the rows are for, for errors: a failing scan's error reads `Cannot ${what} ${s}: …`.
 * @returns One row set per scan (none for no scan: the caller says what that means).
 * @throws {TypeError | RangeError} The scan's error, naming it.
 */
export async function drawAblationRows(
  pairs: AsyncIterable<ContextOraclePair> | Iterable<ContextOraclePair>,
  models: FeatureMapModels,
  options: DrawAblationRowsOptions,
  what: string,
): Promise<AblationRowSet[]> {
  const { rowsPerScan, seed, stream, onScan } = options;
  const sets: AblationRowSet[] = [];
  let rows = 0;
  for await (const pair of pairs) {
    try {
      const r = await ablationRows(pair, models, {
        ...options,
        take: rowsPerScan,
        rng: new Rng(deriveSeed(seed, stream, sets.length)),
      });
      const { count, hu, descriptor, tissue, condition, label, dy, dc, labels } = r;
      sets.push({ count, hu, descriptor, tissue, condition, label, dy, dc, labels });
      rows += count;
    } catch (e) {
      const err = e as Error;
      const Type = err instanceof TypeError ? TypeError : RangeError;
      throw new Type(`Cannot ${what} ${sets.length}: ${err.message}`, { cause: e });
    }
    onScan?.(sets.length, rows);
  }
  return sets;
}

/** y and c of a cell from a scan's rows: `[count, dy]` and `[count, dc]` (null for `none`). */
function cellRows(
  rows: AblationRowSet,
  cell: AblationCell,
): { y: Float32Array; c: Float32Array | null; dy: number; dc: number } {
  const y = cell.y === "hu" ? rows.hu : rows.descriptor;
  const dy = cell.y === "hu" ? 2 : rows.dy;
  if (cell.c === "none") return { y, c: null, dy, dc: 0 };
  return cell.c === "tissue" ? { y, c: rows.tissue, dy, dc: rows.labels } : { y, c: rows.condition, dy, dc: rows.dc };
}

/** Options for {@linkcode fitContextAblation}. */
export interface FitContextAblationOptions extends AblationFeatureOptions, Omit<RowGaussianFitOptions, "onStep"> {
  /** Body voxels drawn per training scan (without replacement). @default {60000} */
  rowsPerScan?: number;
  /**
   * Training noise on the descriptor y, in the descriptor's units; `noiseStd` is the noise of y = HU (units of 100
   * HU). @default {0.01} (as `deno task fit`)
   */
  descriptorNoiseStd?: number;
  /** The cells to fit, in this order. @default {ABLATION_CELLS} (all six) */
  cells?: readonly AblationCell[];
  /** Called after each training scan's rows are drawn. */
  onScan?: (scans: number, rows: number) => void;
  /** Called after every optimiser step of the cell being fitted. */
  onStep?: (cell: AblationCell, record: DensityStep, totalSteps: number) => void;
}

/** The fitted densities of the ablation, one per cell (caller disposes them). */
export interface ContextAblation {
  /** Cell name (`ablationCellName`) → fitted q(y | c). */
  densities: Map<string, DensityModel>;
  /** Training scans read. */
  scans: number;
  /** Rows per cell. */
  rows: number;
  /** Last logged training loss (mean NLL per dimension) of each cell. */
  finalLoss: Map<string, number | null>;
}

/**
 * Fits the densities of the ablation (all six cells unless `cells` says otherwise) on the same rows: `rowsPerScan`
 * body voxels per training scan (scan s drawn with `Rng(deriveSeed(seed, "rows", s))`), one `fitRowGaussian` per cell
 * with the same options and seed (y = HU with `noiseStd`, y = descriptor with `descriptorNoiseStd`). Memory: the
 * pools, `rowsPerScan × scans × (2 + Dy + labels + Dc) × 4` bytes, plus one scan's feature maps.
 *
 * @param pairs Training CTs with their tissue labels, read lazily.
 * @param models The run's frozen networks (condition kind `masked`).
 * @param options See {@linkcode FitContextAblationOptions}.
 * @throws {RangeError} If there is no training scan or an option is out of range; errors of a scan name its index.
 */
export async function fitContextAblation(
  pairs: AsyncIterable<ContextOraclePair> | Iterable<ContextOraclePair>,
  models: FeatureMapModels,
  options: FitContextAblationOptions = {},
): Promise<ContextAblation> {
  const {
    rowsPerScan = 60000,
    seed = 0,
    noiseStd = 0.01,
    descriptorNoiseStd = 0.01,
    cells = ABLATION_CELLS,
    onScan,
    onStep,
  } = options;
  if (cells.length === 0) throw new RangeError("Cannot fit the context ablation: no cells: expected at least one");
  if (!Number.isInteger(rowsPerScan) || rowsPerScan < 1) {
    throw new RangeError(`Cannot fit the context ablation: rowsPerScan is ${rowsPerScan}: expected a positive integer`);
  }
  const fitBase = {
    steps: options.steps,
    batchSize: options.batchSize,
    hidden: options.hidden,
    seed,
    peakLr: options.peakLr,
  };
  checkRowGaussianOptions({ ...fitBase, noiseStd });
  checkRowGaussianOptions({ ...fitBase, noiseStd: descriptorNoiseStd });
  const chunks = await drawAblationRows(
    pairs,
    models,
    { ...options, rowsPerScan, seed, stream: "rows", onScan },
    "fit the context ablation on training scan",
  );
  const scans = chunks.length, rows = chunks.reduce((s, ch) => s + ch.count, 0);
  if (scans === 0) throw new RangeError("Cannot fit the context ablation: no training scans: expected at least one");
  const densities = new Map<string, DensityModel>();
  const finalLoss = new Map<string, number | null>();
  try {
    for (const cell of cells) {
      const parts = chunks.map((ch) => ({ ...cellRows(ch, cell), count: ch.count }));
      const pool = concatPool(parts, parts[0].dy, parts[0].dc);
      const { model, fit } = await fitRowGaussian(pool, {
        ...fitBase,
        noiseStd: cell.y === "hu" ? noiseStd : descriptorNoiseStd,
        onStep: onStep ? (record, total) => onStep(cell, record, total) : undefined,
      });
      densities.set(ablationCellName(cell), model);
      finalLoss.set(ablationCellName(cell), fit.history.at(-1)?.loss ?? null);
    }
  } catch (e) {
    for (const m of densities.values()) m.dispose();
    throw e;
  }
  return { densities, scans, rows, finalLoss };
}

/**
 * Scores a test scan with every fitted cell: −log q(y | c) in nats at each body voxel, masked to the body and put
 * back onto the CT's own grid (`finishAnomalyMap`), one map per cell.
 *
 * @param ablation The fitted cells.
 * @param scan The CT and its tissue labels.
 * @param models The run's frozen networks (the ones the cells were fitted with).
 * @param options Feature options: use those of the fit. `chunkRows` bounds one density call.
 * @returns Cell name → float32 map (`unit === "score"`) with the CT's shape and affine.
 */
export async function contextAblationMaps(
  ablation: ContextAblation,
  scan: ContextOraclePair,
  models: FeatureMapModels,
  options: AblationFeatureOptions & { chunkRows?: number } = {},
): Promise<Map<string, Volume<Float32Array>>> {
  const { chunkRows = 65536 } = options;
  const rows = await ablationRows(scan, models, options);
  const out = new Map<string, Volume<Float32Array>>();
  for (const cell of ABLATION_CELLS) {
    const density = ablation.densities.get(ablationCellName(cell));
    if (!density) continue;
    const { y, c } = cellRows(rows, cell);
    const s = await scoreRows(density, y, c, rows.count, chunkRows);
    const data = new Float32Array(rows.pre.image.data.length); // outside the body: replaced by the body's minimum
    for (let r = 0; r < rows.count; r++) data[rows.voxels[r]] = s[r];
    const grid = rows.pre.image;
    out.set(ablationCellName(cell), finishAnomalyMap(createVolume(data, grid.shape, grid.affine, "score"), rows.pre));
  }
  return out;
}
