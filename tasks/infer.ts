/**
 * `deno task infer --run RUN_DIR --out OUT_DIR IN.nii.gz [IN2 …] [--overlap 0.5] [--batch-size 2]
 * [--score-mode window|features] [--smooth-mm 0] [--backend …]`: writes `OUT_DIR/<input stem>_anomaly.nii.gz`
 * (float32, the input's own grid and affine) for each input, loading the models once. `--smooth-mm S` smooths each
 * map inside the body with a Gaussian of σ = S mm before it goes back onto the input's grid (`smoothWithinBody`; 0,
 * the default, is METHOD §6 as written).
 *
 * @module
 */
import { join } from "node:path";
import { readVolume, stemOf, writeRunRecord, writeVolume } from "../src/io/mod.ts";
import { anomalyMap, loadAnomalyModels, SCORE_MODES, type ScoreMode } from "../src/inference/mod.ts";
import { initBackend } from "../src/nn/mod.ts";
import { backendFlag, intFlag, numberFlag, parseFlags, progressBar, requireFlag, runTask, UsageError } from "./_cli.ts";

const USAGE = `usage: deno task infer --run RUN_DIR --out OUT_DIR IN.nii.gz [IN2 …]
    [--overlap 0.5] [--batch-size 2] [--score-mode ${
  SCORE_MODES.join("|")
}] [--smooth-mm 0] [--backend auto|cpu|wasm|webgpu|tensorflow]
  --smooth-mm S   Gaussian smoothing of each map inside the body, σ in mm (0 = none; choose S on validation scans)`;

await runTask("infer", async () => {
  const { values, positionals } = parseFlags(
    {
      run: { type: "string" },
      out: { type: "string" },
      overlap: { type: "string" },
      "batch-size": { type: "string" },
      "score-mode": { type: "string" },
      "smooth-mm": { type: "string" },
      backend: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    USAGE,
    true,
  );
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const run = requireFlag(values.run, "--run");
  const out = requireFlag(values.out, "--out");
  if (positionals.length === 0) throw new UsageError("Missing input volumes: give one or more IN.nii.gz", USAGE);
  const scoreMode = (values["score-mode"] ?? "window") as ScoreMode;
  if (!SCORE_MODES.includes(scoreMode)) {
    throw new UsageError(`Cannot use --score-mode "${scoreMode}": expected one of ${SCORE_MODES.join(", ")}`);
  }
  const backend = backendFlag(values.backend);
  const overlap = numberFlag(values.overlap, "--overlap", 0.5, 0, 0.99);
  const batchSize = intFlag(values["batch-size"], "--batch-size", 2, 1, 256);
  const smoothMm = numberFlag(values["smooth-mm"], "--smooth-mm", 0, 0, 1000);
  const report = await initBackend(backend);
  console.error(`infer: backend ${report.name} (${report.reason})`);
  const models = await loadAnomalyModels(run);
  await writeRunRecord(out, {
    task: "infer",
    config: { run, inputs: positionals, overlap, batchSize, scoreMode, smoothMm, pipeline: models.spec },
    backend: report.name,
  });
  try {
    for (const [n, path] of positionals.entries()) {
      const t0 = performance.now();
      const ct = await readVolume(path, { unit: "HU" });
      const map = await anomalyMap(ct, models, {
        overlap,
        batchSize,
        scoreMode,
        smoothMm,
        onProgress: progressBar(`infer ${n + 1}/${positionals.length} ${stemOf(path)}`),
      });
      const dest = join(out, `${stemOf(path)}_anomaly.nii.gz`);
      await writeVolume(dest, map);
      console.error(`infer: ${stemOf(path)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      console.log(dest);
    }
  } finally {
    models.dispose();
  }
});
