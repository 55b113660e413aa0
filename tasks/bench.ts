/**
 * `deno task bench <suite>`: benchmarks (never timed tests). Results are printed and written to
 * `runs/bench/<suite>.json` with the machine, versions and settings.
 *
 * Suites:
 * - `io`: read + preprocess a 512×512×300 int16 phantom at 0.7×0.7×1.0 mm to 1×1×1.5 mm, next to nibabel +
 *   `scipy.ndimage.zoom` (order 1) on the same file, as a ratio.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readVolume, reorient, writeJsonAtomic, writeVolume } from "../src/io/mod.ts";
import { preprocessCt, resampleToSpacing } from "../src/preprocess/mod.ts";
import { generatePhantom } from "../src/data/mod.ts";
import { intFlag, runTask, UsageError } from "./_cli.ts";

const SUITES = ["io"] as const;
type Suite = typeof SUITES[number];

const PYTHON = "/usr/bin/python3";

/** Median of a list of numbers. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timeIt<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await fn();
  return [out, (performance.now() - t0) / 1000];
}

async function pythonVersions(): Promise<Record<string, string>> {
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

const PY_IO = `
import sys, json, time, numpy as np, nibabel as nib, scipy.ndimage as ndi
path, repeats = sys.argv[1], int(sys.argv[2])
target = np.array([1.0, 1.0, 1.5])
reads, zooms, zooms_c = [], [], []
for _ in range(repeats):
    t0 = time.perf_counter()
    img = nib.load(path)
    data = img.get_fdata(dtype=np.float32)  # Fortran-ordered, as nibabel returns it
    t1 = time.perf_counter()
    factors = np.array(img.header.get_zooms()[:3]) / target
    out = ndi.zoom(data, factors, order=1)
    t2 = time.perf_counter()
    c = np.ascontiguousarray(data)  # scipy's best case: C order (copy not timed)
    t3 = time.perf_counter()
    out_c = ndi.zoom(c, factors, order=1)
    t4 = time.perf_counter()
    reads.append(t1 - t0); zooms.append(t2 - t1); zooms_c.append(t4 - t3)
    shape_out = list(map(int, out.shape))
    del data, out, img, c, out_c
r, z, zc = (float(np.median(x)) for x in (reads, zooms, zooms_c))
print(json.dumps({"read_s": r, "zoom_s": z, "zoom_c_order_s": zc, "total_s": r + z, "total_best_s": r + zc,
  "shape_out": shape_out}))
`;

async function benchIo(repeats: number): Promise<Record<string, unknown>> {
  const shape: [number, number, number] = [512, 512, 300];
  const spacingMm: [number, number, number] = [0.7, 0.7, 1.0];
  const path = "data/bench/phantom_512x512x300_0.7x0.7x1.0.nii.gz";
  try {
    await Deno.stat(path);
  } catch {
    console.error(`bench io: generating ${path} (once)`);
    const [phantom, genS] = await timeIt(() => generatePhantom(0, { shape, spacingMm }));
    await writeVolume(path, phantom.ct);
    console.error(`bench io: generated in ${genS.toFixed(1)} s`);
  }
  const target: [number, number, number] = [1, 1, 1.5];
  const reads: number[] = [], pres: number[] = [], resamples: number[] = [];
  let outShape: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const [ct, readS] = await timeIt(() => readVolume(path, { unit: "HU" }));
    const [pre, preS] = await timeIt(() => preprocessCt(ct, { spacingMm: target }));
    const [, resS] = await timeIt(() => resampleToSpacing(reorient(ct), target));
    outShape = [...pre.image.shape];
    reads.push(readS);
    pres.push(preS);
    resamples.push(resS);
    console.error(
      `bench io: run ${r + 1}/${repeats}: read ${readS.toFixed(2)} s, preprocess ${preS.toFixed(2)} s, ` +
        `resample only ${resS.toFixed(2)} s`,
    );
  }
  const py = await new Deno.Command(PYTHON, {
    args: ["-c", PY_IO, path, String(repeats)],
    stdout: "piped",
    stderr: "inherit",
    env: { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" },
  }).output();
  if (!py.success) throw new Error("Cannot run the nibabel + scipy reference: see its error above");
  const ref = JSON.parse(new TextDecoder().decode(py.stdout));
  const ours = { read_s: median(reads), preprocess_s: median(pres), resample_only_s: median(resamples) };
  return {
    file: path,
    input: { shape, spacingMm, dtype: "int16" },
    target_spacing_mm: target,
    preprocessed_shape: outShape,
    repeats,
    screener_kit: { ...ours, read_plus_preprocess_s: ours.read_s + ours.preprocess_s },
    nibabel_scipy: ref,
    ratio_read_plus_preprocess_vs_read_plus_zoom: (ours.read_s + ours.preprocess_s) / ref.total_s,
    ratio_read_plus_preprocess_vs_best_read_plus_zoom: (ours.read_s + ours.preprocess_s) / ref.total_best_s,
    ratio_read_plus_resample_vs_best_read_plus_zoom: (ours.read_s + ours.resample_only_s) / ref.total_best_s,
    note: "preprocess = reorient + body crop + trilinear resample + HU window + body mask; " +
      "the reference does read + zoom(order=1) only; 'best' zooms a C-ordered copy of nibabel's Fortran-ordered " +
      "array (copy time excluded)",
  };
}

await runTask("bench", async () => {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { repeats: { type: "string" }, help: { type: "boolean" } },
  });
  if (values.help) {
    console.log(`usage: deno task bench <suite> [--repeats N]\nsuites: ${SUITES.join(", ")}`);
    return;
  }
  const suite = positionals[0] as Suite;
  if (!SUITES.includes(suite)) {
    throw new UsageError(`Cannot run benchmark suite "${positionals[0] ?? ""}": expected one of ${SUITES.join(", ")}`);
  }
  const repeats = intFlag(values.repeats, "--repeats", 3, 1, 100);
  const result = {
    suite,
    date: new Date().toISOString(),
    machine: { cores: navigator.hardwareConcurrency, os: Deno.build.os, arch: Deno.build.arch },
    versions: { deno: Deno.version.deno, v8: Deno.version.v8, ...(await pythonVersions()) },
    ...(await benchIo(repeats)),
  };
  const out = `runs/bench/${suite}.json`;
  await writeJsonAtomic(out, result);
  console.log(JSON.stringify(result, null, 2));
  console.error(`bench ${suite}: written to ${out}`);
});
