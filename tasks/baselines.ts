/**
 * `deno task baselines --data DIR [--bin-width 5] [--write-maps DIR]`: the floor of the phantom benchmark. Reads every
 * `DIR/phantom_NNNN.nii.gz` with its `_lesions.nii.gz` (as written by `deno task phantoms`), scores each voxel by
 * its raw HU and by `−log p(HU)` (histogram density within the scan's body), and prints the voxel AUROC of both,
 * pooled over all phantoms, inside the body mask (`bodyMask` of src/preprocess: HU < −500 connected to the slice
 * border is outside). A benchmark where these are high would reward intensity thresholds, not anomaly detection.
 *
 * With `--write-maps MAPS`, also writes the density score of each phantom as `MAPS/<stem>_anomaly.nii.gz` (float32,
 * on the CT's own grid), the input `deno task eval --pred MAPS --gt DIR --images DIR` expects.
 *
 * @module
 */
import { join } from "node:path";
import { huDensityScore, rawHuScore } from "../src/data/mod.ts";
import { axcodesOf, readVolume, reorient, sameGrid, type Volume, writeVolume } from "../src/io/mod.ts";
import { AurocAccumulator } from "../src/metrics/mod.ts";
import { bodyMask } from "../src/preprocess/mod.ts";
import { numberFlag, parseFlags, progressBar, requireFlag, runTask, UsageError } from "./_cli.ts";

const USAGE = `usage: deno task baselines --data DIR [--bin-width HU] [--write-maps DIR]
  --data DIR        folder written by "deno task phantoms"
  --bin-width HU    histogram bin width of the density score (default 5)
  --write-maps DIR  also write each density score map as DIR/<stem>_anomaly.nii.gz (float32), for deno task eval`;

const CT_NAME = /^phantom_(\d+)\.nii\.gz$/;

await runTask("baselines", async () => {
  const { values } = parseFlags({
    data: { type: "string" },
    "bin-width": { type: "string" },
    "write-maps": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const data = requireFlag(values.data, "--data");
  const binWidthHu = numberFlag(values["bin-width"], "--bin-width", 5, 1e-3, 1000);
  const mapsDir = values["write-maps"];
  if (mapsDir === "") throw new UsageError("Cannot use --write-maps with an empty folder name");
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(data)) if (entry.isFile && CT_NAME.test(entry.name)) names.push(entry.name);
  } catch (cause) {
    throw new UsageError(`Cannot read phantom folder "${data}": ${(cause as Error).message}`);
  }
  if (names.length === 0) {
    throw new UsageError(
      `Cannot find phantoms in "${data}": no phantom_NNNN.nii.gz files`,
      `write some first: deno task phantoms --count 20 --seed 0 --out ${data}`,
    );
  }
  names.sort();

  const raw = new AurocAccumulator(), density = new AurocAccumulator();
  const progress = progressBar("baselines");
  let lesionFree = 0;
  for (let n = 0; n < names.length; n++) {
    const ctPath = join(data, names[n]);
    const maskPath = ctPath.replace(/\.nii\.gz$/, "_lesions.nii.gz");
    const ctNative = await readVolume(ctPath, { unit: "HU" });
    const ct = reorient(ctNative);
    const lesions = reorient(await readVolume(maskPath, { unit: "label" }));
    if (!sameGrid(ct, lesions)) {
      throw new Error(`Cannot score "${ctPath}": its lesion mask "${maskPath}" is on another grid`);
    }
    const labels = toUint8(lesions);
    const body = bodyMask(ct);
    raw.add(rawHuScore(ct).data, labels, body.data);
    const densityScore = huDensityScore(ct, body, { binWidthHu });
    density.add(densityScore.data, labels, body.data);
    if (mapsDir !== undefined) {
      const mapPath = join(mapsDir, names[n].replace(/\.nii\.gz$/, "_anomaly.nii.gz"));
      // Back on the CT's own grid, so that the map lines up with the files it is evaluated against.
      await writeVolume(mapPath, reorient(densityScore, axcodesOf(ctNative.affine)), { datatype: "float32" });
      console.error(`baselines: wrote ${mapPath}`);
    }
    if (!labels.some((v) => v !== 0)) lesionFree++;
    progress(n + 1, names.length);
  }
  console.log(JSON.stringify(
    {
      data,
      cases: names.length,
      lesionFreeCases: lesionFree,
      region: "body (bodyMask: HU < -500 connected to the axial slice border is outside)",
      reduction: "pooled",
      positiveVoxels: raw.positives,
      negativeVoxels: raw.negatives,
      binWidthHu,
      maps: mapsDir ?? null,
      auroc: { rawHu: raw.compute(), huDensity: density.compute() },
    },
    null,
    2,
  ));
});

/** The mask's data as uint8 0/1, whatever datatype the file used. */
function toUint8(mask: Volume): Uint8Array {
  if (mask.data instanceof Uint8Array) return mask.data;
  const out = new Uint8Array(mask.data.length);
  for (let i = 0; i < out.length; i++) out[i] = mask.data[i] !== 0 ? 1 : 0;
  return out;
}
