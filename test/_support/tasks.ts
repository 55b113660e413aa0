/**
 * Runs a `tasks/<name>.ts` entry point the way `deno task` does (a fresh `deno run --allow-all`), for CLI tests.
 *
 * @module
 */

/** Exit code and captured output of a task run. */
export interface TaskResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tasks/<name>.ts` with `args` from the project root; NO_COLOR keeps messages plain. */
export async function runTaskFile(name: string, args: string[]): Promise<TaskResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `tasks/${name}.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Writes 2 training (seed 3) and 2 test (seed 4) phantoms of 64×64×40 @ 6×6×8 mm with tissue labels to `DIR/train`
 * and `DIR/test`, and pretrains a `tiny` descriptor and condition model for 2 steps into `DIR/run` (cpu backend):
 * the inputs of the diagnostics' CLI tests (ablate, probe). Throws with the task's stderr when a step fails.
 */
export async function writeTinyPhantomRun(dir: string): Promise<void> {
  const tiny = ["--shape", "64,64,40", "--spacing", "6,6,8", "--write-tissue"];
  const must = (r: TaskResult) => {
    if (r.code !== 0) throw new Error(`A set-up task failed (exit ${r.code}):\n${r.stderr}`);
  };
  for (const [set, seed] of [["train", "3"], ["test", "4"]]) {
    must(await runTaskFile("phantoms", ["--count", "2", "--seed", seed, "--out", `${dir}/${set}`, ...tiny]));
  }
  const train = ["--config", "tiny", "--crop", "16,16,16", "--batch-size", "1", "--max-pairs", "32", "--steps", "2"];
  const common = ["--data", `${dir}/train`, "--preprocess-spacing", "6,6,8", "--backend", "cpu"];
  for (const model of ["descriptor", "condition"]) {
    must(await runTaskFile("train", ["--model", model, ...train, ...common, "--out", `${dir}/run/${model}`]));
  }
}
