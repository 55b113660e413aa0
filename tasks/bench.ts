/**
 * `deno task bench <suite>`: benchmarks (never timed tests). Results are printed and written to
 * `runs/bench/<suite>.json` with the machine, versions and settings.
 *
 * Suites:
 * - `train`: seconds per step and GFLOP/s of the tiny pretraining step on every backend, next to PyTorch
 *   (`tasks/_bench_train.ts`).
 * - `io`: read + preprocess a 512×512×300 int16 phantom at 0.7×0.7×1.0 mm to 1×1×1.5 mm, next to nibabel +
 *   `scipy.ndimage.zoom` (order 1) on the same file, as a ratio (`tasks/_bench_io.ts`).
 * - `eval`: evaluate 20 phantoms of 256×256×160 (AUROC, components, AUPRO, Dice, bootstrap), time and peak memory,
 *   next to sklearn `roc_auc_score` + `scipy.ndimage.label` on the same files (`tasks/_bench_eval.ts`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { writeJsonAtomic } from "../src/io/mod.ts";
import { intFlag, runTask, UsageError } from "./_cli.ts";
import { pythonVersions } from "./_bench_util.ts";
import { benchIo } from "./_bench_io.ts";
import { benchTrain } from "./_bench_train.ts";
import { benchEval } from "./_bench_eval.ts";

/** Each suite: its runner, given `--repeats`. Add a suite by adding a line. */
const SUITES: Record<string, (repeats: number) => Promise<Record<string, unknown>>> = {
  io: benchIo,
  eval: benchEval,
  train: benchTrain,
};

await runTask("bench", async () => {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { repeats: { type: "string" }, help: { type: "boolean" } },
  });
  if (values.help) {
    console.log(`usage: deno task bench <suite> [--repeats N]\nsuites: ${Object.keys(SUITES).join(", ")}`);
    return;
  }
  const suite = positionals[0] ?? "";
  const run = SUITES[suite];
  if (!run) {
    throw new UsageError(
      `Cannot run benchmark suite "${suite}": expected one of ${Object.keys(SUITES).join(", ")}`,
    );
  }
  const repeats = intFlag(values.repeats, "--repeats", 3, 1, 100);
  const result = {
    suite,
    date: new Date().toISOString(),
    machine: { cores: navigator.hardwareConcurrency, os: Deno.build.os, arch: Deno.build.arch },
    versions: { deno: Deno.version.deno, v8: Deno.version.v8, ...(await pythonVersions()) },
    ...(await run(repeats)),
  };
  const out = `runs/bench/${suite}.json`;
  await writeJsonAtomic(out, result);
  console.log(JSON.stringify(result, null, 2));
  console.error(`bench ${suite}: written to ${out}`);
});
