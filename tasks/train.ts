/**
 * `deno task train --model descriptor|condition --config tiny --data DIR_OR_MANIFEST --steps N --seed S --out RUN_DIR
 * [--resume] [--backend auto|tensorflow|webgpu|wasm|cpu]`: dense self-supervised pretraining (METHOD §3–4).
 * RUN_DIR receives `config.json`, `log.jsonl` and `checkpoint.bin` (written atomically every `--checkpoint-every`
 * steps and at the end).
 *
 * @module
 */
import { MODEL_CONFIGS, MODEL_ROLES, type ModelConfigName, type ModelRole } from "../src/models/mod.ts";
import { BACKENDS } from "../src/nn/mod.ts";
import { pretrain, pretrainConfig } from "../src/ssl/mod.ts";
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

const USAGE = `usage: deno task train --model descriptor|condition --config ${MODEL_CONFIGS.join("|")} \\
    --data DIR_OR_MANIFEST --steps N --seed S --out RUN_DIR [--resume] [--backend ${BACKENDS.join("|")}]
  optional: --batch-size B --crop 32,32,32 --max-pairs K --projector-dim P --lr 1e-3 --checkpoint-every N
            --preprocess-spacing 1,1,1.5 --clahe CLIP_LIMIT (e.g. 0.05) --augment-strength 0..1 --no-augment
            --min-spacing 1,1,1.5 --max-spacing X,Y,Z (crop spacing range in mm; max default 2,2,3 for the
            descriptor, 4,4,6 for the condition) --mask-ratio 0.6 (condition: fraction of blocks masked)`;

await runTask("train", async () => {
  const { values } = parseFlags({
    model: { type: "string" },
    config: { type: "string" },
    data: { type: "string" },
    steps: { type: "string" },
    seed: { type: "string" },
    out: { type: "string" },
    resume: { type: "boolean" },
    backend: { type: "string" },
    "batch-size": { type: "string" },
    crop: { type: "string" },
    "max-pairs": { type: "string" },
    "projector-dim": { type: "string" },
    lr: { type: "string" },
    "checkpoint-every": { type: "string" },
    "preprocess-spacing": { type: "string" },
    "min-spacing": { type: "string" },
    "max-spacing": { type: "string" },
    "mask-ratio": { type: "string" },
    "no-augment": { type: "boolean" },
    "augment-strength": { type: "string" },
    clahe: { type: "string" },
    help: { type: "boolean", short: "h" },
  }, USAGE);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const model = requireFlag(values.model, "--model");
  if (!MODEL_ROLES.includes(model as ModelRole)) {
    throw new UsageError(`Cannot use --model "${model}": expected one of ${MODEL_ROLES.join(", ")}`);
  }
  const size = values.config ?? "tiny";
  if (!MODEL_CONFIGS.includes(size as ModelConfigName)) {
    throw new UsageError(`Cannot use --config "${size}": expected one of ${MODEL_CONFIGS.join(", ")}`);
  }
  const backend = backendFlag(values.backend);
  const out = requireFlag(values.out, "--out");
  const partial = {
    model: model as ModelRole,
    size: size as ModelConfigName,
    data: requireFlag(values.data, "--data"),
    steps: intFlag(values.steps, "--steps", 100, 1),
    seed: intFlag(values.seed, "--seed", 0, 0, 2 ** 32 - 1),
    backend,
    augment: !values["no-augment"],
    ...(values["augment-strength"]
      ? { augmentStrength: numberFlag(values["augment-strength"], "--augment-strength", 1, 0, 1) }
      : {}),
    ...(values.clahe ? { clahe: { clipLimit: numberFlag(values.clahe, "--clahe", 0.05, 1e-6, 1) } } : {}),
    ...(values["batch-size"] ? { batchSize: intFlag(values["batch-size"], "--batch-size", 1, 1, 1024) } : {}),
    ...(values.crop ? { cropVox: vec3Flag(values.crop, "--crop", [32, 32, 32], true) } : {}),
    ...(values["max-pairs"] ? { maxPairs: intFlag(values["max-pairs"], "--max-pairs", 1, 2) } : {}),
    ...(values["projector-dim"]
      ? { projectorDim: intFlag(values["projector-dim"], "--projector-dim", 256, 1, 65536) }
      : {}),
    ...(values.lr ? { peakLr: numberFlag(values.lr, "--lr", 1e-3, 1e-9, 10) } : {}),
    ...(values["checkpoint-every"]
      ? { checkpointEvery: intFlag(values["checkpoint-every"], "--checkpoint-every", 50, 1) }
      : {}),
    ...(values["preprocess-spacing"]
      ? { preprocessSpacingMm: vec3Flag(values["preprocess-spacing"], "--preprocess-spacing", [1, 1, 1.5]) }
      : {}),
    ...(values["mask-ratio"] ? { maskRatio: numberFlag(values["mask-ratio"], "--mask-ratio", 0.6, 0, 1) } : {}),
    ...(values["min-spacing"] ? { minSpacingMm: vec3Flag(values["min-spacing"], "--min-spacing", [1, 1, 1.5]) } : {}),
    ...(values["max-spacing"] ? { maxSpacingMm: vec3Flag(values["max-spacing"], "--max-spacing", [2, 2, 3]) } : {}),
  };
  let config;
  try {
    config = pretrainConfig(partial);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const bar = progressBar(`train ${config.model}`);
  const run = await pretrain(config, {
    out,
    resume: values.resume ?? false,
    onStep: (r, total) =>
      bar(
        r.step,
        total,
        `loss ${r.loss.toFixed(3)} (inv ${r.invariance.toFixed(3)} var ${r.variance.toFixed(3)} ` +
          `cov ${r.covariance.toFixed(3)}) lr ${r.lr.toExponential(2)} ${(1 / r.seconds).toFixed(2)} step/s`,
      ),
  });
  console.error(`train: backend ${run.backend.name} (${run.backend.reason})`);
  run.dispose();
  console.log(out);
});
