/**
 * `deno task fit --run RUN_DIR --density flow|gaussian|gaussian-uncond --condition masked|positional|none
 * --data DIR_OR_MANIFEST [--steps N] [--seed S] [--batch-size B] [--windows-per-scan W] [--samples-per-window K]
 * [--condition-spacing X,Y,Z] [--condition-masking checkerboard] [--resume] [--backend …]`: fits q(y | c) on features of training scans (METHOD §5). Reads the frozen networks from
 * `RUN_DIR/descriptor` (and `RUN_DIR/condition` for `masked`), writes `RUN_DIR/density/` (config.json, log.jsonl,
 * checkpoint.bin, pipeline.json).
 *
 * @module
 */
import { join } from "node:path";
import { deriveSeed, Rng } from "../src/data/mod.ts";
import {
  collectFeatures,
  concatPool,
  CONDITION_KINDS,
  conditionDim,
  type ConditionKind,
  createDensityModel,
  DENSITY_KINDS,
  densityFitConfig,
  descriptorDim,
  type FeatureExtractor,
  fitDensity,
  parseDensityKind,
  samplePool,
} from "../src/density/mod.ts";
import { checkSamePreprocessing, conditionMaps, PIPELINE_FILES, savePipelineSpec } from "../src/inference/mod.ts";
import { initBackend } from "../src/nn/mod.ts";
import { listScans, loadPretrained, ScanCache } from "../src/ssl/mod.ts";
import {
  backendFlag,
  conditionMaskingFlag,
  intFlag,
  numberFlag,
  parseFlags,
  progressBar,
  requireFlag,
  runTask,
  UsageError,
  vec3Flag,
} from "./_cli.ts";

const USAGE = `usage: deno task fit --run RUN_DIR --density ${DENSITY_KINDS.join("|")} --condition ${
  CONDITION_KINDS.join("|")
} \\
    --data DIR_OR_MANIFEST [--steps 2000] [--seed 0] [--batch-size 4096] [--windows-per-scan 16]
    [--samples-per-window 2048] [--positional-dim 36] [--hidden 256] [--lr 1e-3] [--noise-std 0.01] [--condition-spacing X,Y,Z]
    [--condition-masking checkerboard] [--resume]
    [--backend auto|cpu|wasm|webgpu|tensorflow]
  --condition-spacing X,Y,Z  (masked) run the condition model on scans resampled to this spacing in mm, its
                             output brought back trilinearly; inference reuses it (default: the preprocessing grid)
  --condition-masking checkerboard
                             (masked) give each voxel the condition computed with its own block of the window
                             hidden (two passes of the condition model); inference reuses it (default: none)`;

await runTask("fit", async () => {
  const { values } = parseFlags({
    run: { type: "string" },
    density: { type: "string" },
    condition: { type: "string" },
    data: { type: "string" },
    steps: { type: "string" },
    seed: { type: "string" },
    "batch-size": { type: "string" },
    "windows-per-scan": { type: "string" },
    "samples-per-window": { type: "string" },
    "positional-dim": { type: "string" },
    hidden: { type: "string" },
    "noise-std": { type: "string" },
    lr: { type: "string" },
    "condition-spacing": { type: "string" },
    "condition-masking": { type: "string" },
    resume: { type: "boolean" },
    backend: { type: "string" },
    help: { type: "boolean", short: "h" },
  }, USAGE);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const run = requireFlag(values.run, "--run");
  let kind;
  try {
    kind = parseDensityKind(requireFlag(values.density, "--density"));
  } catch (e) {
    throw e instanceof UsageError ? e : new UsageError((e as Error).message);
  }
  const backend = backendFlag(values.backend);
  const conditionKind = (values.condition ?? "masked") as ConditionKind;
  if (!CONDITION_KINDS.includes(conditionKind)) {
    throw new UsageError(`Cannot use --condition "${values.condition}": expected one of ${CONDITION_KINDS.join(", ")}`);
  }
  const data = requireFlag(values.data, "--data");
  const seed = intFlag(values.seed, "--seed", 0, 0, 2 ** 32 - 1);
  const positionalDim = intFlag(values["positional-dim"], "--positional-dim", 36, 6);
  if (positionalDim % 6 !== 0) {
    throw new UsageError(`Cannot use --positional-dim ${positionalDim}: expected a multiple of 6`);
  }
  const fitConfig = densityFitConfig({
    steps: intFlag(values.steps, "--steps", 2000, 1),
    batchSize: intFlag(values["batch-size"], "--batch-size", 4096, 2),
    seed,
    ...(values.lr ? { peakLr: numberFlag(values.lr, "--lr", 1e-3, 1e-9, 10) } : {}),
    ...(values["noise-std"] ? { noiseStd: numberFlag(values["noise-std"], "--noise-std", 0.01, 0, 10) } : {}),
  });
  const conditionSpacingMm = values["condition-spacing"] === undefined
    ? null
    : vec3Flag(values["condition-spacing"], "--condition-spacing", [2, 2, 3]);
  if (conditionSpacingMm && conditionKind !== "masked") {
    throw new UsageError(
      `Cannot use --condition-spacing with --condition ${conditionKind}: it sets the grid of the condition model ` +
        "(--condition masked)",
    );
  }
  const conditionMasking = conditionMaskingFlag(values["condition-masking"]);
  if (conditionMasking && conditionKind !== "masked") {
    throw new UsageError(
      `Cannot use --condition-masking with --condition ${conditionKind}: it masks the input of the condition model ` +
        "(--condition masked)",
    );
  }
  const windowsPerScan = intFlag(values["windows-per-scan"], "--windows-per-scan", 16, 1);
  const samplesPerWindow = intFlag(values["samples-per-window"], "--samples-per-window", 2048, 1);

  const report = await initBackend(backend);
  console.error(`fit: backend ${report.name} (${report.reason})`);
  const desc = await loadPretrained(join(run, PIPELINE_FILES.descriptor));
  const cond = conditionKind === "masked" ? await loadPretrained(join(run, PIPELINE_FILES.condition)) : null;
  const extractor: FeatureExtractor = {
    descriptor: desc.model,
    condition: cond?.model ?? null,
    conditionKind,
    positionalDim,
    conditionMasking,
  };
  const windowVox = desc.config.cropVox;
  const preprocessSpacingMm = desc.config.preprocessSpacingMm;
  const clahe = desc.config.clahe;
  if (cond) checkSamePreprocessing(desc.config, cond.config, run);
  const paths = await listScans(data);
  const cache = new ScanCache({ spacingMm: preprocessSpacingMm, clahe, maxScans: 1 });
  // One scan in memory at a time: features are pooled per scan.
  const pools = [];
  const bar = progressBar("fit: features");
  const rng = new Rng(deriveSeed(seed, "features"));
  for (const [s, path] of paths.entries()) {
    const scan = await cache.get(path);
    const conditionVolumes = conditionSpacingMm
      ? [[...await conditionMaps(scan.image, extractor, windowVox, conditionSpacingMm, { batchSize: 1 })]]
      : undefined;
    pools.push(
      await collectFeatures([scan], extractor, rng, {
        windowVox,
        conditionVolumes,
        windowsPerScan,
        samplesPerWindow,
        onProgress: (d) => bar(s * windowsPerScan + d, paths.length * windowsPerScan),
      }),
    );
  }
  const dy = descriptorDim(extractor), dc = conditionDim(extractor);
  const pool = concatPool(pools, dy, dc);
  pools.length = 0;
  const count = pool.count;
  console.error(`fit: ${count} (y, c) rows from ${paths.length} scans, Dy ${dy}, Dc ${dc} (${conditionKind})`);
  const hiddenDim = intFlag(values.hidden, "--hidden", 256, 1);
  const model = createDensityModel(
    (kind === "gaussian-uncond" ? { kind, dy, dc, seed } : { kind, dy, dc, seed, hiddenDim }) as Parameters<
      typeof createDensityModel
    >[0],
  );
  const out = join(run, PIPELINE_FILES.density);
  const fitBar = progressBar(`fit ${kind}`);
  const result = await fitDensity(model, (_step, r, bs) => samplePool(pool, r, bs), fitConfig, {
    out,
    resume: values.resume ?? false,
    onStep: (r, total) => fitBar(r.step, total, r.loss === null ? "" : `nll/dim ${r.loss.toFixed(4)}`),
  });
  await savePipelineSpec(run, {
    conditionKind,
    positionalDim,
    windowVox,
    preprocessSpacingMm,
    clahe,
    conditionSpacingMm,
    conditionMasking,
  });
  console.error(`fit: ${result.step} steps`);
  model.dispose();
  desc.model.dispose();
  cond?.model.dispose();
  console.log(out);
});
