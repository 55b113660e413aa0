/**
 * `deno task agreement --run MODEL_RUN_DIR --data DIR_OR_MANIFEST [--batches 4] [--seed 0] [--clean]`: view agreement
 * of a pretrained descriptor or condition model (`viewAgreement`, src/ssl/view_agreement.ts): per output channel,
 * the Pearson correlation of its outputs at the two voxels of each positive pair, averaged over `--batches` batches
 * drawn with the run's training options (batch size, crop size, pairs per crop, spacing range, augmentations and, for
 * the condition model, block masks; scans drawn uniformly with replacement), or with `--clean` views (no
 * augmentations, no masks; spacing range kept). Prints one JSON object: `mean`, `median` and `channels` (the
 * per-channel means). Memory: every scan of `--data`, preprocessed, plus one batch.
 *
 * @module
 */
import { join } from "node:path";
import { Rng } from "../src/data/mod.ts";
import { initBackend } from "../src/nn/mod.ts";
import {
  listScans,
  loadPretrained,
  RUN_FILES,
  sampleBatch,
  ScanCache,
  trainingBatchOptions,
  type TrainingScan,
  viewAgreement,
} from "../src/ssl/mod.ts";
import { median } from "./_bench_util.ts";
import { backendFlag, intFlag, parseFlags, progressBar, requireFlag, runTask, UsageError } from "./_cli.ts";

const USAGE = `usage: deno task agreement --run MODEL_RUN_DIR --data DIR_OR_MANIFEST [--batches 4] [--seed 0] [--clean]
    [--backend auto|tensorflow|webgpu|wasm|cpu]
  --run      a folder written by deno task train (e.g. RUN/condition)
  --data     scans to draw the crop pairs from (held-out scans measure generalisation)
  --clean    views without augmentations or block masks`;

await runTask("agreement", async () => {
  const { values } = parseFlags({
    run: { type: "string" },
    data: { type: "string" },
    batches: { type: "string" },
    seed: { type: "string" },
    clean: { type: "boolean" },
    backend: { type: "string" },
    help: { type: "boolean", short: "h" },
  }, USAGE);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const run = requireFlag(values.run, "--run");
  const data = requireFlag(values.data, "--data");
  const batches = intFlag(values.batches, "--batches", 4, 1, 10000);
  const seed = intFlag(values.seed, "--seed", 0, 0, 2 ** 32 - 1);
  const backend = backendFlag(values.backend);
  const clean = values.clean ?? false;
  // Checked before the backend starts, as a flag error; loadPretrained would only fail after it.
  try {
    await Deno.stat(join(run, RUN_FILES.checkpoint));
  } catch {
    throw new UsageError(
      `Cannot find a trained model in "${run}": no ${RUN_FILES.checkpoint} (expected a deno task train folder)`,
    );
  }
  const report = await initBackend(backend);
  console.error(`agreement: backend ${report.name}`);
  const { model, config } = await loadPretrained(run);
  try {
    const cache = new ScanCache({ spacingMm: config.preprocessSpacingMm, clahe: config.clahe });
    const scans: TrainingScan[] = [];
    for (const path of await listScans(data)) scans.push(await cache.get(path));
    const rng = new Rng(seed);
    const options = trainingBatchOptions(config);
    const sums = new Float64Array(model.unet.config.outChannels);
    const bar = progressBar("agreement");
    for (let b = 0; b < batches; b++) {
      // Clean views: the descriptor's batches (no masks) without augmentations; same geometry.
      const batch = sampleBatch(scans, rng, clean ? { ...options, model: "descriptor", augment: false } : options);
      const r = await viewAgreement(model, batch);
      for (let c = 0; c < sums.length; c++) sums[c] += r[c];
      bar(b + 1, batches);
    }
    const channels = Array.from(sums, (s) => s / batches);
    const finite = channels.filter(Number.isFinite);
    const round = (x: number) => Math.round(x * 1e4) / 1e4;
    console.log(JSON.stringify({
      run,
      data,
      model: config.model,
      views: clean ? "clean" : "training",
      batches,
      seed,
      mean: round(finite.reduce((s, v) => s + v, 0) / finite.length),
      median: round(median(finite)),
      channels: channels.map(round),
    }));
  } finally {
    model.dispose();
  }
});
