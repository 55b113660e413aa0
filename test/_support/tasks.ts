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
