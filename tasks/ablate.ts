/**
 * `deno task ablate --run RUN --train DIR --test DIR --out OUT [--steps 3000] [--seed 0] [--rows-per-scan 60000]
 * [--batch-size 2048] [--hidden 128] [--sigma 1] [--overlap 0.25] [--cells hu_tissue,…] [--condition-spacing X,Y,Z] [--condition-masking checkerboard] [--backend …]`: the context ablation of the phantom
 * benchmark (`fitContextAblation` of src/inference). On the run's preprocessed grid it fits the same Gaussian
 * q(y | c) for y ∈ {HU, the run's descriptor} × c ∈ {ground-truth tissue, the run's condition model, none}, on the same
 * voxels of the training phantoms, and writes `OUT/<y>_<c>/<stem>_anomaly.nii.gz` for every test phantom (float32
 * −log q in nats on the phantom's own grid) and `OUT/config.json`. Score each folder with `deno task eval` or
 * `tasks/experiment_summary.py`.
 *
 * It uses ground-truth labels (`deno task phantoms … --write-tissue`): a diagnostic of which half of the method
 * limits the benchmark, not a method.
 *
 * Map paths go to stdout, progress to stderr; bad flags and missing files exit with code 2.
 *
 * @module
 */
import { join } from "node:path";
import {
  ABLATION_CELLS,
  type AblationCell,
  ablationCellName,
  contextAblationMaps,
  fitContextAblation,
  loadFeatureModels,
} from "../src/inference/mod.ts";
import { writeRunRecord, writeVolume } from "../src/io/mod.ts";
import { initBackend } from "../src/nn/mod.ts";
import {
  backendFlag,
  conditionMaskingFlag,
  numberFlag,
  parseFlags,
  progressBar,
  requireFlag,
  runTask,
  UsageError,
  vec3Flag,
} from "./_cli.ts";
import { listPhantoms, readPairs, REFERENCE_FIT_USAGE, REFERENCE_FLAGS, referenceConfig } from "./_phantom_files.ts";

const USAGE = `usage: deno task ablate --run RUN --train DIR --test DIR --out OUT [--steps 3000] [--seed 0]
    [--rows-per-scan 60000] [--batch-size 2048] [--hidden 128] [--sigma 1] [--overlap 0.25] [--cells A,B]
    [--condition-spacing X,Y,Z] [--condition-masking checkerboard] [--backend auto|cpu|wasm|webgpu|tensorflow]
  --run RUN            a run folder with RUN/descriptor and RUN/condition (no density needed)
  --train DIR          training phantoms with tissue labels (deno task phantoms … --write-tissue)
  --test DIR           test phantoms, same files; each gets OUT/<y>_<c>/phantom_NNNN_anomaly.nii.gz
  --out OUT            output folder: one sub-folder per cell, and config.json
${REFERENCE_FIT_USAGE}
  --overlap F          sliding-window overlap of the feature maps (default 0.25)
  --cells A,B          cells to fit, <y>_<c> with y in hu, descriptor and c in tissue, condition, none
                       (default: all six)
  --condition-spacing X,Y,Z
                       run the condition model on the scan resampled to this spacing in mm, its output brought
                       back trilinearly (default: the run's preprocessing grid)
  --condition-masking checkerboard
                       give each voxel the condition computed with its own block of the window hidden`;

await runTask("ablate", async () => {
  const { values } = parseFlags({
    ...REFERENCE_FLAGS,
    run: { type: "string" },
    overlap: { type: "string" },
    cells: { type: "string" },
    "condition-spacing": { type: "string" },
    "condition-masking": { type: "string" },
  }, USAGE);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const run = requireFlag(values.run, "--run");
  const config = {
    run,
    ...referenceConfig(values),
    overlap: numberFlag(values.overlap, "--overlap", 0.25, 0, 0.99),
    descriptorNoiseStd: 0.01,
    cells: cellsFlag(values.cells),
    conditionSpacingMm: values["condition-spacing"] === undefined
      ? null
      : vec3Flag(values["condition-spacing"], "--condition-spacing", [2, 2, 3]),
  };
  const conditionMasking = conditionMaskingFlag(values["condition-masking"]);
  const backend = backendFlag(values.backend);
  const trainFiles = await listPhantoms(config.train, "--train");
  const testFiles = await listPhantoms(config.test, "--test");
  const report = await initBackend(backend);
  console.error(`ablate: backend ${report.name} (${report.reason})`);
  const loaded = await loadFeatureModels(run);
  const models = {
    ...loaded,
    extractor: { ...loaded.extractor, conditionMasking },
    conditionSpacingMm: config.conditionSpacingMm,
  };
  try {
    await Deno.mkdir(config.out, { recursive: true });
    await writeRunRecord(config.out, {
      task: "ablate",
      config: {
        ...config,
        cells: config.cells.map(ablationCellName),
        conditionMasking,
        windowVox: models.windowVox,
        preprocess: models.preprocess,
        trainScans: trainFiles.map((f) => f.stem),
        testScans: testFiles.map((f) => f.stem),
        model: { kind: "gaussian", hiddenDim: config.hidden, hiddenLayers: 2 },
        reference: "uses ground-truth tissue labels: a diagnostic, not a method",
      },
      backend: report.name,
    });
    const t0 = performance.now();
    const readBar = progressBar("ablate: training rows");
    readBar(0, trainFiles.length);
    const opts = {
      sigmaVoxels: config.sigmaVoxels,
      labels: config.labels,
      overlap: config.overlap,
      windowBatch: 1,
    };
    const fitBar = progressBar("ablate: fit");
    const ablation = await fitContextAblation(readPairs(trainFiles), models, {
      ...opts,
      rowsPerScan: config.rowsPerScan,
      cells: config.cells,
      steps: config.steps,
      batchSize: config.batchSize,
      hidden: config.hidden,
      seed: config.seed,
      peakLr: config.peakLr,
      noiseStd: config.noiseStd,
      descriptorNoiseStd: config.descriptorNoiseStd,
      onScan: (scans, rows) => readBar(scans, trainFiles.length, `${rows} rows`),
      onStep: (cell, r, total) =>
        fitBar(r.step, total, `${ablationCellName(cell)}${r.loss === null ? "" : ` nll/dim ${r.loss.toFixed(4)}`}`),
    });
    try {
      console.error(
        `ablate: fitted ${ablation.densities.size} cells on ${ablation.rows} rows of ${ablation.scans} phantoms in ` +
          `${((performance.now() - t0) / 1000).toFixed(1)} s; last nll/dim ${
            [...ablation.finalLoss].map(([k, v]) => `${k} ${v?.toFixed(3)}`).join(", ")
          }`,
      );
      for (const name of ablation.densities.keys()) await Deno.mkdir(join(config.out, name), { recursive: true });
      const t1 = performance.now();
      const mapBar = progressBar("ablate: maps");
      mapBar(0, testFiles.length);
      let n = 0;
      for await (const pair of readPairs(testFiles)) {
        const stem = testFiles[n].stem;
        const maps = await contextAblationMaps(ablation, pair, models, { ...opts, chunkRows: config.batchRows });
        for (const [name, map] of maps) {
          const dest = join(config.out, name, `${stem}_anomaly.nii.gz`);
          await writeVolume(dest, map, { datatype: "float32" });
          console.log(dest);
        }
        mapBar(++n, testFiles.length);
      }
      console.error(`ablate: ${n} phantoms scored in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    } finally {
      for (const m of ablation.densities.values()) m.dispose();
    }
  } finally {
    loaded.dispose();
  }
});

/** The cells named by `--cells` (comma-separated `<y>_<c>`), in the order given; all six when absent. */
function cellsFlag(value: string | undefined): AblationCell[] {
  if (value === undefined) return [...ABLATION_CELLS];
  const byName = new Map(ABLATION_CELLS.map((c) => [ablationCellName(c), c]));
  const names = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new UsageError(`Cannot use --cells "${value}": expected at least one cell name`);
  return names.map((name) => {
    const cell = byName.get(name);
    if (!cell) {
      throw new UsageError(
        `Cannot use --cells "${value}": "${name}" is not a cell: expected some of ${[...byName.keys()].join(", ")}`,
      );
    }
    return cell;
  });
}
