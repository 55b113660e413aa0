/**
 * `deno task oracle --train DIR --test DIR --out MAPS [--spacing 2,2,3] [--steps 3000] [--seed 0]
 * [--rows-per-scan 60000] [--batch-size 2048] [--hidden 128] [--sigma 1] [--backend …]`: the context-oracle
 * reference of the phantom benchmark (`fitContextOracle` of src/density). Reads every `phantom_NNNN.nii.gz` with its
 * `phantom_NNNN_tissue.nii.gz` (written by `deno task phantoms … --write-tissue`) from both folders, fits q(y | c) —
 * y = [HU, smoothed HU] / 100, c = smoothed one-hot ground-truth tissue labels — on the training phantoms' body
 * voxels, and writes `MAPS/<stem>_anomaly.nii.gz` (float32 −log q in nats, on each test CT's own grid; outside the
 * body the body's minimum) and `MAPS/config.json` (the run record). Score them with
 * `deno task eval --pred MAPS --gt TEST --images TEST --out REPORT`.
 *
 * It is given the true anatomy, which no real scan has: its AUROC is a ceiling for what a condition model could
 * provide to a density of local intensity, not a result of the method.
 *
 * Map paths go to stdout, progress to stderr; bad flags and missing files exit with code 2.
 *
 * @module
 */
import { join } from "node:path";
import { fitContextOracle } from "../src/density/mod.ts";
import { contextOracleMap } from "../src/inference/mod.ts";
import { writeRunRecord, writeVolume } from "../src/io/mod.ts";
import { initBackend } from "../src/nn/mod.ts";
import { backendFlag, parseFlags, progressBar, runTask, vec3Flag } from "./_cli.ts";
import { listPhantoms, readPairs, REFERENCE_FIT_USAGE, REFERENCE_FLAGS, referenceConfig } from "./_phantom_files.ts";

const USAGE = `usage: deno task oracle --train DIR --test DIR --out MAPS [--spacing 2,2,3] [--steps 3000] [--seed 0]
    [--rows-per-scan 60000] [--batch-size 2048] [--hidden 128] [--sigma 1] [--backend auto|cpu|wasm|webgpu|tensorflow]
  --train DIR          training phantoms: phantom_NNNN.nii.gz + phantom_NNNN_tissue.nii.gz
                       (written by deno task phantoms … --write-tissue)
  --test DIR           test phantoms, same files; each gets MAPS/phantom_NNNN_anomaly.nii.gz
  --out MAPS           output folder of the maps and config.json
  --spacing X,Y,Z      feature grid in mm (default 2,2,3)
${REFERENCE_FIT_USAGE}`;

await runTask("oracle", async () => {
  const { values } = parseFlags({ ...REFERENCE_FLAGS, spacing: { type: "string" } }, USAGE);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const base = referenceConfig(values);
  const { train: trainDir, test: testDir, out } = base;
  const config = { ...base, spacingMm: vec3Flag(values.spacing, "--spacing", [2, 2, 3]) };
  const backend = backendFlag(values.backend);
  const trainFiles = await listPhantoms(trainDir, "--train");
  const testFiles = await listPhantoms(testDir, "--test");

  const report = await initBackend(backend);
  console.error(`oracle: backend ${report.name} (${report.reason})`);
  await Deno.mkdir(out, { recursive: true });
  await writeRunRecord(out, {
    task: "oracle",
    config: {
      ...config,
      trainScans: trainFiles.map((f) => f.stem),
      testScans: testFiles.map((f) => f.stem),
      model: { kind: "gaussian", dy: 2, dc: config.labels, hiddenDim: config.hidden, hiddenLayers: 2 },
      features: "y = [HU, G_sigma * HU] / 100 (HU clipped to [-1000, 300]); c = G_sigma * one-hot(tissue); body voxels",
      reference: "uses ground-truth tissue labels: a ceiling, not a method",
    },
    backend: report.name,
  });

  const t0 = performance.now();
  const readBar = progressBar("oracle: training rows");
  readBar(0, trainFiles.length);
  const fitBar = progressBar("oracle: fit");
  const oracle = await fitContextOracle(readPairs(trainFiles), {
    spacingMm: config.spacingMm,
    sigmaVoxels: config.sigmaVoxels,
    labels: config.labels,
    rowsPerScan: config.rowsPerScan,
    steps: config.steps,
    batchSize: config.batchSize,
    hidden: config.hidden,
    seed: config.seed,
    peakLr: config.peakLr,
    noiseStd: config.noiseStd,
    onScan: (scans, rows) => readBar(scans, trainFiles.length, `${rows} rows`),
    onStep: (r, total) => fitBar(r.step, total, r.loss === null ? "" : `nll/dim ${r.loss.toFixed(4)}`),
  });
  const fitSeconds = (performance.now() - t0) / 1000;
  const last = oracle.fit.history.at(-1);
  console.error(
    `oracle: fitted on ${oracle.rows} rows of ${oracle.scans} phantoms in ${fitSeconds.toFixed(1)} s` +
      (last?.loss != null ? `, last nll/dim ${last.loss.toFixed(4)}` : ""),
  );
  try {
    const t1 = performance.now();
    const mapBar = progressBar("oracle: maps");
    mapBar(0, testFiles.length);
    let n = 0;
    for await (const pair of readPairs(testFiles)) {
      const files = testFiles[n];
      const map = contextOracleMap(oracle.model, pair, {
        spacingMm: config.spacingMm,
        sigmaVoxels: config.sigmaVoxels,
        batchRows: config.batchRows,
      });
      const dest = join(out, `${files.stem}_anomaly.nii.gz`);
      await writeVolume(dest, map, { datatype: "float32" });
      console.log(dest);
      mapBar(++n, testFiles.length);
    }
    console.error(`oracle: ${n} maps in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  } finally {
    oracle.model.dispose();
  }
});
