/**
 * `deno task bench <suite>`: benchmarks (never timed tests). Results are printed and written to
 * `runs/bench/<suite>.json` with the machine, versions and settings.
 *
 * Suites:
 * - `train`: seconds per step and GFLOP/s of the tiny pretraining step on every backend, next to PyTorch
 *   (`tasks/_bench_train.ts`). `--backends cpu+fast,cpu,wasm,webgpu` picks the backends (default: all four);
 *   `--torch-device cuda --python PATH` times PyTorch on a CUDA GPU instead of 2 CPU threads.
 * - `step`: seconds of one forward + backward pass of any `--config` tiny|small|paper on `--batch-size` crop pairs of
 *   `--crop`³ voxels, per backend of `--backends` (default cpu+fast), `--profile` adds time per tfjs kernel
 *   (`tasks/_bench_step.ts`).
 * - `io`: read + preprocess a 512×512×300 int16 phantom at 0.7×0.7×1.0 mm to 1×1×1.5 mm, next to nibabel +
 *   `scipy.ndimage.zoom` (order 1) on the same file, as a ratio (`tasks/_bench_io.ts`).
 * - `eval`: evaluate 20 phantoms of 256×256×160 (AUROC, components, AUPRO, Dice, bootstrap), time and peak memory,
 *   next to sklearn `roc_auc_score` + `scipy.ndimage.label` on the same files (`tasks/_bench_eval.ts`).
 *
 * @module
 */
import { writeJsonAtomic } from "../src/io/mod.ts";
import { intFlag, parseFlags, runTask, UsageError } from "./_cli.ts";
import { PYTHON, pythonVersions } from "./_bench_util.ts";
import { benchIo } from "./_bench_io.ts";
import { benchTrain, TRAIN_BACKENDS, type TrainBackend } from "./_bench_train.ts";
import { benchEval } from "./_bench_eval.ts";
import { benchStep } from "./_bench_step.ts";
import { MODEL_CONFIGS, type ModelConfigName } from "../src/models/mod.ts";

/** Flags of `deno task bench` that a suite may read. */
interface BenchFlags {
  repeats: number;
  /** `--backends`, or undefined for the suite's default. */
  backends: TrainBackend[] | undefined;
  torchDevice: "cpu" | "cuda";
  python: string;
  size: ModelConfigName;
  batchSize: number;
  crop: number;
  profile: boolean;
}

/** Each suite: its runner, given the flags. Add a suite by adding a line. */
const SUITES: Record<string, (flags: BenchFlags) => Promise<Record<string, unknown>>> = {
  io: (f) => benchIo(f.repeats),
  eval: (f) => benchEval(f.repeats),
  train: (f) => benchTrain(f.repeats, { backends: f.backends, torchDevice: f.torchDevice, python: f.python }),
  step: (f) =>
    benchStep({
      backends: f.backends ?? ["cpu+fast"],
      size: f.size,
      batchSize: f.batchSize,
      crop: f.crop,
      repeats: f.repeats,
      profile: f.profile,
    }),
};

/** Parses `--config` (network size of the step suite). */
function sizeFlag(value: string | undefined): ModelConfigName {
  if (value === undefined) return "tiny";
  const found = MODEL_CONFIGS.find((m) => m === value);
  if (found === undefined) {
    throw new UsageError(`Invalid --config "${value}": expected one of ${MODEL_CONFIGS.join(", ")}`);
  }
  return found;
}

/** Parses `--backends a,b` into known train-suite backends, in the order given (undefined when absent). */
function backendsFlag(value: string | undefined): TrainBackend[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  const known = TRAIN_BACKENDS as readonly string[];
  const bad = names.filter((n) => !known.includes(n));
  if (names.length === 0 || bad.length > 0) {
    throw new UsageError(
      `Invalid --backends "${value}": expected a comma-separated list of ${TRAIN_BACKENDS.join(", ")}`,
    );
  }
  return names as TrainBackend[];
}

await runTask("bench", async () => {
  const { values, positionals } = parseFlags(
    {
      repeats: { type: "string" },
      backends: { type: "string" },
      "torch-device": { type: "string" },
      python: { type: "string" },
      config: { type: "string" },
      "batch-size": { type: "string" },
      crop: { type: "string" },
      profile: { type: "boolean" },
      help: { type: "boolean" },
    },
    undefined,
    true,
  );
  if (values.help) {
    console.log(
      `usage: deno task bench <suite> [--repeats N] [--backends ${TRAIN_BACKENDS.join(",")}] ` +
        `[--torch-device cpu|cuda] [--python PATH] [--config ${MODEL_CONFIGS.join("|")}] [--batch-size N] [--crop N] ` +
        `[--profile]\nsuites: ${Object.keys(SUITES).join(", ")}`,
    );
    return;
  }
  const suite = positionals[0] ?? "";
  const run = SUITES[suite];
  if (!run) {
    throw new UsageError(
      `Cannot run benchmark suite "${suite}": expected one of ${Object.keys(SUITES).join(", ")}`,
    );
  }
  const torchDevice = values["torch-device"] ?? "cpu";
  if (torchDevice !== "cpu" && torchDevice !== "cuda") {
    throw new UsageError(`Invalid --torch-device "${torchDevice}": expected cpu or cuda`);
  }
  const flags: BenchFlags = {
    repeats: intFlag(values.repeats, "--repeats", 3, 1, 100),
    backends: backendsFlag(values.backends),
    torchDevice,
    python: values.python ?? PYTHON,
    size: sizeFlag(values.config),
    batchSize: intFlag(values["batch-size"], "--batch-size", 2, 1, 1024),
    crop: intFlag(values.crop, "--crop", 32, 8, 512),
    profile: values.profile === true,
  };
  const result = {
    suite,
    date: new Date().toISOString(),
    machine: { cores: navigator.hardwareConcurrency, os: Deno.build.os, arch: Deno.build.arch },
    versions: {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      // The train and step suites need no nibabel/scipy: there a missing reference stack is recorded, not fatal.
      ...(await pythonVersions().catch((e: Error) => {
        if (suite !== "train" && suite !== "step") throw e;
        return { python_reference_stack: `unavailable: ${e.message}` };
      })),
    },
    ...(await run(flags)),
  };
  const out = `runs/bench/${suite}.json`;
  await writeJsonAtomic(out, result);
  console.log(JSON.stringify(result, null, 2));
  console.error(`bench ${suite}: written to ${out}`);
});
