/**
 * Runs Debian's `/usr/bin/python3` (which has nibabel, scipy and sklearn; the `python3` on PATH may not) as an
 * independent oracle for tests. The script receives `args` as `sys.argv[1:]` and must print one JSON document.
 *
 * @module
 */

/** The interpreter with Debian's python3-nibabel, python3-scipy and python3-sklearn. */
export const PYTHON = "/usr/bin/python3";

/** Runs `script` with `args`, parses stdout as JSON; throws with stderr when the script fails. */
export async function runPython<T = unknown>(script: string, args: string[] = []): Promise<T> {
  const out = await new Deno.Command(PYTHON, {
    args: ["-c", script, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" },
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`Python oracle failed (exit ${out.code}):\n${stderr}`);
  return JSON.parse(new TextDecoder().decode(out.stdout)) as T;
}

/** Folder of the shared real CT samples, relative to the project root (tests run from the root). */
export const CT_DIR = new URL("../../../shared/data/ct/", import.meta.url).pathname.replace(/\/$/, "");

/** A fresh temp folder, removed by the returned `cleanup`. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "screener-kit-test-" });
  return { dir, cleanup: () => Deno.remove(dir, { recursive: true }) };
}
