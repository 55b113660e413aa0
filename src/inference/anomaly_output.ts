/**
 * The output side of METHOD §6: an anomaly map on the preprocessed grid, masked to the body and put back on the
 * scan's own grid and affine.
 *
 * @module
 */
import { createVolume, sameGrid, type Volume, type VoxelArray } from "../io/mod.ts";
import { type PreprocessedCt, restoreToOriginal } from "../preprocess/mod.ts";
import { smoothWithinBody } from "./smooth_map.ts";

/**
 * Masks an anomaly map to the body (METHOD §6): voxels outside the body get the minimum score inside it, so the
 * air around the patient never ranks above any body voxel and a viewer's window starts at the body's floor. NaN
 * scores inside the body are ignored by the minimum and kept.
 *
 * @param score The stitched map on the preprocessed grid (any unit; the result is "score").
 * @param bodyMask Body mask on the same grid (non-zero = body), e.g. `PreprocessedCt.bodyMask`.
 * @returns A new float32 volume (`unit === "score"`) and the minimum score inside the body.
 * @throws {TypeError} If the map and the mask are not on one grid (shape and affine).
 * @throws {RangeError} If the body mask is empty or the map has no finite score inside it.
 * @example
 * ```ts ignore
 * const { map, minScore } = maskToBody(score, pre.bodyMask);
 * ```
 */
export function maskToBody(
  score: Volume<VoxelArray>,
  bodyMask: Volume<VoxelArray>,
): { map: Volume<Float32Array>; minScore: number } {
  if (!sameGrid(score, bodyMask)) {
    throw new TypeError(
      `Cannot mask anomaly map to the body: the map (${score.shape.join("×")}) and the body mask ` +
        `(${bodyMask.shape.join("×")}) are on different grids: expected one shape and affine`,
    );
  }
  const s = score.data, m = bodyMask.data;
  let minScore = Infinity, body = 0;
  for (let p = 0; p < s.length; p++) {
    if (m[p] === 0) continue;
    body++;
    if (s[p] < minScore) minScore = s[p];
  }
  if (body === 0) throw new RangeError("Cannot mask anomaly map to the body: the body mask is empty");
  if (minScore === Infinity) {
    throw new RangeError(`Cannot mask anomaly map to the body: none of the ${body} body voxels has a finite score`);
  }
  const out = Float32Array.from(s);
  for (let p = 0; p < out.length; p++) if (m[p] === 0) out[p] = minScore;
  return { map: createVolume(out, score.shape, score.affine, "score"), minScore };
}

/**
 * Turns a stitched anomaly map on the preprocessed grid into the deliverable (METHOD §6): optionally smoothed inside
 * the body by `smoothMm` with `smoothWithinBody` (this project's post-processing, off by default), masked to the body
 * with {@linkcode maskToBody} (outside → the minimum score inside the body), then resampled onto the scan's own grid and
 * affine with `restoreToOriginal` (trilinear; voxels beyond the body crop get the same minimum), so that it overlays
 * the input in any viewer. Write it with `writeVolume` (float32 NIfTI). Pure: the inputs are not modified.
 *
 * Near the skin the restored values blend body scores with the minimum over one preprocessed voxel, as trilinear
 * interpolation of the masked map does; a voxel whose 8 neighbouring preprocessed voxels are all outside the body is
 * exactly the minimum (up to float32 rounding of the weights).
 *
 * @param score The stitched map on the preprocessed grid (e.g. from `slidingWindow(pre.image, …)`).
 * @param pre `bodyMask` (on the map's grid) and `original` (the scan's grid) of a `PreprocessedCt`.
 * @param smoothMm Standard deviation of the smoothing Gaussian in mm; 0 = none (METHOD §6 as written). @default {0}
 * @returns A float32 volume with `unit === "score"` and `pre.original`'s shape and affine.
 * @throws {TypeError} If the map and the body mask are not on one grid.
 * @throws {RangeError} If the body mask is empty, the map has no finite score inside it, or `smoothMm` is negative
 *   or not finite.
 * @example
 * ```ts ignore
 * const pre = preprocessCt(await readVolume("scan.nii.gz", { unit: "HU" }));
 * const score = await slidingWindow(pre.image, predictor);
 * await writeVolume("scan_anomaly.nii.gz", finishAnomalyMap(score, pre));
 * ```
 */
export function finishAnomalyMap(
  score: Volume<VoxelArray>,
  pre: Pick<PreprocessedCt, "bodyMask" | "original">,
  smoothMm = 0,
): Volume<Float32Array> {
  const smooth = smoothMm === 0 ? score : smoothWithinBody(score, pre.bodyMask, smoothMm);
  const { map, minScore } = maskToBody(smooth, pre.bodyMask);
  return restoreToOriginal(map, pre.original, { fill: minScore });
}
