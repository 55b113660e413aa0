/**
 * `deno task probe --run RUN --train DIR --test DIR --out OUT [--rows-per-scan 20000] [--seed 0] [--l2 1e-4]
 * [--balanced] [--features hu,descriptor,condition,hu+condition] [--sigma 1] [--overlap 0.25]
 * [--condition-spacing X,Y,Z] [--backend …]`: the tissue probe of a pretrained pair (`tissueProbe` of src/metrics): a linear probe per feature set — HU, the run's
 * descriptor, its condition model — predicting each body voxel's ground-truth tissue on the run's preprocessed grid,
 * fitted on the training phantoms and scored on the test phantoms. Writes `OUT/probe.json` (per feature set:
 * balanced accuracy, accuracy, recall and support of every tissue, on test and training rows) and `OUT/config.json`,
 * and prints a table to stdout.
 *
 * It uses ground-truth labels (`deno task phantoms … --write-tissue`): a diagnostic of how much anatomy the
 * self-supervised features carry, not a method. Progress goes to stderr; bad flags and missing files exit with code 2.
 *
 * @module
 */
import { join } from "node:path";
import { TISSUE } from "../src/data/mod.ts";
import { loadFeatureModels } from "../src/inference/mod.ts";
import { writeJsonAtomic, writeRunRecord } from "../src/io/mod.ts";
import { DEFAULT_PROBE_SETS, probeSetParts, tissueProbe } from "../src/metrics/tissue_probe.ts";
import { initBackend } from "../src/nn/mod.ts";
import {
  backendFlag,
  intFlag,
  numberFlag,
  parseFlags,
  progressBar,
  requireFlag,
  runTask,
  UsageError,
  vec3Flag,
} from "./_cli.ts";
import { listPhantoms, readPairs } from "./_phantom_files.ts";

const USAGE = `usage: deno task probe --run RUN --train DIR --test DIR --out OUT [--rows-per-scan 20000] [--seed 0]
    [--l2 1e-4] [--balanced] [--features hu,descriptor,condition,hu+condition] [--sigma 1] [--overlap 0.25]
    [--condition-spacing X,Y,Z] [--backend auto|cpu|wasm|webgpu|tensorflow]
  --run RUN            a run folder with RUN/descriptor and RUN/condition (no density needed)
  --train DIR          training phantoms with tissue labels (deno task phantoms … --write-tissue)
  --test DIR           held-out phantoms, same files
  --out OUT            output folder: probe.json and config.json
  --rows-per-scan R    body voxels drawn per phantom, training and test (default 20000)
  --seed S             seed of the row draws (default 0)
  --l2 L               L2 penalty on the probe's weights of standardised features (default 1e-4)
  --balanced           weigh rows by their tissue's rarity (sklearn's class_weight="balanced")
  --features A,B       feature sets, each some of hu, descriptor, condition joined by + (their columns side by
                       side); default hu,descriptor,condition,hu+condition
  --sigma V            smoothing of the hu features' second channel, in voxels (default 1)
  --overlap F          sliding-window overlap of the feature maps (default 0.25)
  --condition-spacing X,Y,Z
                       run the condition model on the scan resampled to this spacing in mm, its output brought
                       back trilinearly (default: the run's preprocessing grid)`;

/** Tissues shown in the printed table (probe.json holds all of them). */
const SHOWN = ["kidney", "liver", "spleen", "muscle", "lung"] as const;

await runTask("probe", async () => {
  const { values } = parseFlags({
    run: { type: "string" },
    train: { type: "string" },
    test: { type: "string" },
    out: { type: "string" },
    "rows-per-scan": { type: "string" },
    seed: { type: "string" },
    l2: { type: "string" },
    features: { type: "string" },
    balanced: { type: "boolean" },
    sigma: { type: "string" },
    overlap: { type: "string" },
    "condition-spacing": { type: "string" },
    backend: { type: "string" },
    help: { type: "boolean", short: "h" },
  }, USAGE);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const config = {
    run: requireFlag(values.run, "--run"),
    train: requireFlag(values.train, "--train"),
    test: requireFlag(values.test, "--test"),
    out: requireFlag(values.out, "--out"),
    rowsPerScan: intFlag(values["rows-per-scan"], "--rows-per-scan", 20000, 1),
    seed: intFlag(values.seed, "--seed", 0, 0, 2 ** 31),
    l2: numberFlag(values.l2, "--l2", 1e-4, 0, 1e6),
    features: featuresFlag(values.features),
    balanced: values.balanced === true,
    sigmaVoxels: numberFlag(values.sigma, "--sigma", 1, 0, 100),
    overlap: numberFlag(values.overlap, "--overlap", 0.25, 0, 0.99),
    conditionSpacingMm: values["condition-spacing"] === undefined
      ? null
      : vec3Flag(values["condition-spacing"], "--condition-spacing", [2, 2, 3]),
  };
  const backend = backendFlag(values.backend);
  const trainFiles = await listPhantoms(config.train, "--train");
  const testFiles = await listPhantoms(config.test, "--test");
  const report = await initBackend(backend);
  console.error(`probe: backend ${report.name} (${report.reason})`);
  const loaded = await loadFeatureModels(config.run);
  const models = { ...loaded, conditionSpacingMm: config.conditionSpacingMm };
  try {
    await Deno.mkdir(config.out, { recursive: true });
    await writeRunRecord(config.out, {
      task: "probe",
      config: {
        ...config,
        windowVox: models.windowVox,
        preprocess: models.preprocess,
        trainScans: trainFiles.map((f) => f.stem),
        testScans: testFiles.map((f) => f.stem),
        probe: "multinomial logistic regression on standardised features, L-BFGS",
        reference: "uses ground-truth tissue labels: a diagnostic, not a method",
      },
      backend: report.name,
    });
    const t0 = performance.now();
    const bars = { train: progressBar("probe: training rows"), test: progressBar("probe: test rows") };
    const totals = { train: trainFiles.length, test: testFiles.length };
    const result = await tissueProbe(readPairs(trainFiles), readPairs(testFiles), models, {
      rowsPerScan: config.rowsPerScan,
      seed: config.seed,
      l2: config.l2,
      features: config.features,
      balanced: config.balanced,
      sigmaVoxels: config.sigmaVoxels,
      overlap: config.overlap,
      windowBatch: 1,
      onScan: (set, scans, rows) => bars[set](scans, totals[set], `${rows} rows`),
    });
    const probes = Object.fromEntries(
      [...result.probes].map(([name, p]) => [name, {
        dim: p.dim,
        iterations: p.iterations,
        converged: p.converged,
        test: named(p.test, result.tissues),
        train: named(p.train, result.tissues),
      }]),
    );
    const dest = join(config.out, "probe.json");
    await writeJsonAtomic(dest, {
      trainScans: result.trainScans,
      testScans: result.testScans,
      trainRows: result.trainRows,
      testRows: result.testRows,
      probes,
    });
    console.error(`probe: ${result.probes.size} probes in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${dest}`);
    console.log(
      `feature       dim  balanced acc (test / train)  accuracy  ${SHOWN.map((t) => t.padEnd(7)).join(" ")} (recall)`,
    );
    for (const [name, p] of result.probes) {
      const recalls = SHOWN.map((t) => (p.test.recall[TISSUE[t]] ?? NaN).toFixed(3).padEnd(7)).join(" ");
      console.log(
        `${name.padEnd(13)} ${String(p.dim).padStart(3)}  ${p.test.balancedAccuracy.toFixed(3)} / ` +
          `${p.train.balancedAccuracy.toFixed(3)}               ${p.test.accuracy.toFixed(3)}     ${recalls}`,
      );
    }
  } finally {
    loaded.dispose();
  }
});

/** A report with its per-tissue arrays keyed by tissue name (tissues with no row left out). */
function named(
  r: { support: number[]; recall: (number | null)[]; accuracy: number; balancedAccuracy: number },
  tissues: readonly string[],
) {
  const perTissue: Record<string, { support: number; recall: number }> = {};
  tissues.forEach((t, l) => {
    if (r.support[l] > 0) perTissue[t] = { support: r.support[l], recall: r.recall[l]! };
  });
  return { balancedAccuracy: r.balancedAccuracy, accuracy: r.accuracy, tissues: perTissue };
}

/** The feature sets named by `--features` (comma-separated, parts joined by +), in the order given. */
function featuresFlag(value: string | undefined): string[] {
  if (value === undefined) return [...DEFAULT_PROBE_SETS];
  const names = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new UsageError(`Cannot use --features "${value}": expected at least one feature set`);
  for (const n of names) {
    try {
      probeSetParts(n);
    } catch (e) {
      throw new UsageError(`Cannot use --features "${value}": ${(e as Error).message}`);
    }
  }
  return names;
}
