/**
 * Helpers shared by the benchmark suites of `deno task bench`.
 *
 * @module
 */

import { generatePhantom } from "../src/data/mod.ts";
import { preprocessCt } from "../src/preprocess/mod.ts";
import { createTrainingScan, type TrainingScan } from "../src/ssl/mod.ts";

/** The training scan the train and step suites sample their batches from: phantom 0 at 128×128×80, 2.8×2.8×4 mm. */
export function benchTrainingScan(): TrainingScan {
  const ph = generatePhantom(0, { shape: [128, 128, 80], spacingMm: [2.8, 2.8, 4] });
  return createTrainingScan(preprocessCt(ph.ct), "phantom_0");
}

/** Debian's interpreter with numpy, scipy, nibabel, sklearn (and torch where installed). */
export const PYTHON = "/usr/bin/python3";

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs `fn` and returns its result with the wall time in seconds. */
export async function timeIt<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await fn();
  return [out, (performance.now() - t0) / 1000];
}

/** Versions of the Python reference stack, or an error telling how to install it. */
export async function pythonVersions(): Promise<Record<string, string>> {
  const out = await new Deno.Command(PYTHON, {
    args: [
      "-c",
      "import json,sys,numpy,scipy,nibabel;print(json.dumps({'python':sys.version.split()[0]," +
      "'numpy':numpy.__version__,'scipy':scipy.__version__,'nibabel':nibabel.__version__}))",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`Cannot run ${PYTHON} with nibabel and scipy: run "bash tasks/setup.sh test"`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
