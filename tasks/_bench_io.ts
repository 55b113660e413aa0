/**
 * The `io` benchmark suite: read + preprocess a 512×512×300 int16 phantom at 0.7×0.7×1.0 mm to 1×1×1.5 mm, next to
 * nibabel + `scipy.ndimage.zoom` (order 1) on the same file, as a ratio.
 *
 * @module
 */
import { readVolume, reorient, writeVolume } from "../src/io/mod.ts";
import { preprocessCt, resampleToSpacing } from "../src/preprocess/mod.ts";
import { generatePhantom } from "../src/data/mod.ts";
import { median, PYTHON, timeIt } from "./_bench_util.ts";

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

/** Runs the io suite `repeats` times and returns the medians and ratios. */
export async function benchIo(repeats: number): Promise<Record<string, unknown>> {
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
