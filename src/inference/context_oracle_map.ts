/**
 * The context oracle's anomaly map on a scan's own grid: −log q(y | c) of the density stage's context oracle, masked
 * to the body and restored like every other map (METHOD §6). A reference ceiling of the phantom benchmark, not a
 * method: it needs ground-truth tissue labels.
 *
 * @module
 */
import {
  type ContextOracleFeatureOptions,
  contextOracleFeatures,
  type ContextOraclePair,
  type ContextOracleScoreOptions,
  contextOracleScores,
  type DensityModel,
} from "../density/mod.ts";
import { createVolume, type Volume } from "../io/mod.ts";
import { finishAnomalyMap } from "./anomaly_output.ts";

/** Options for {@linkcode contextOracleMap}: the feature grid and smoothing used in training, and the batch size. */
export type ContextOracleMapOptions = Omit<ContextOracleFeatureOptions, "labels"> & ContextOracleScoreOptions;

/**
 * Scores every body voxel of a scan with a fitted context oracle and returns the map on the CT's OWN grid.
 *
 * Steps: `contextOracleFeatures` (reorient to RAS, resample to `spacingMm`, body mask, y and c per body voxel, with
 * `labels = model.dc`) → `contextOracleScores` (−log q(y | c) in nats, y in units of 100 HU; batches of `batchRows`
 * rows in `tf.tidy`) → {@linkcode finishAnomalyMap}: voxels outside the body get the minimum score inside it, then
 * trilinear resampling back onto the CT's shape and affine (voxels beyond the resampled grid get that minimum too).
 * Use the `spacingMm` and `sigmaVoxels` the model was fitted with.
 *
 * @param model A fitted context oracle (`fitContextOracle(…).model`).
 * @param scan `ct`, the CT in HU on any axis-aligned grid, and `tissue`, its ground-truth tissue labels on that grid.
 * @param options See {@linkcode ContextOracleMapOptions}.
 * @returns A float32 volume, `unit === "score"`, with the CT's shape and affine; higher = more anomalous.
 * @throws {TypeError} If the CT and the labels are not on one grid, or the model is not 2 × `labels` wide.
 * @throws {RangeError} If an option is out of range, a label is ≥ `model.dc`, or the CT has no body.
 * @example
 * ```ts ignore
 * const oracle = await fitContextOracle(trainPairs, { spacingMm: [2, 2, 3] });
 * const map = contextOracleMap(oracle.model, { ct, tissue }, { spacingMm: [2, 2, 3] });
 * await writeVolume("phantom_0000_anomaly.nii.gz", map, { datatype: "float32" });
 * ```
 */
export function contextOracleMap(
  model: DensityModel,
  scan: ContextOraclePair,
  options: ContextOracleMapOptions = {},
): Volume<Float32Array> {
  const { spacingMm, sigmaVoxels, batchRows } = options;
  const { ct, tissue } = scan;
  const features = contextOracleFeatures(ct, tissue, { spacingMm, sigmaVoxels, labels: model.dc });
  const scores = contextOracleScores(model, features, { batchRows });
  const { grid, body, voxels } = features;
  const map = new Float32Array(grid.data.length); // outside the body: replaced by the body's minimum
  for (let r = 0; r < voxels.length; r++) map[voxels[r]] = scores[r];
  return finishAnomalyMap(createVolume(map, grid.shape, grid.affine, "score"), {
    bodyMask: createVolume(body, grid.shape, grid.affine, "label"),
    original: { shape: ct.shape, affine: ct.affine },
  });
}
