/**
 * The `eval` benchmark suite: evaluate 20 phantoms of 256×256×160 (the generator's default grid) scored by the
 * HU-density baseline, inside their body masks — pooled AUROC, 26-connected components, AUPRO@0.3, best Dice
 * (global and per case), bootstrap — and report time and peak memory next to sklearn's `roc_auc_score` on the same
 * pooled voxels plus `scipy.ndimage.label` (26-connected) on each lesion mask, read with nibabel from the same
 * files. Figures are timed separately.
 *
 * Data (made once, under `data/bench/phantoms20/`): `phantom_NNNN.nii.gz` (CT), `_lesions.nii.gz`, `roi/…_roi.nii.gz`
 * (the body mask, so that Python pools exactly the same voxels) and `pred/…_anomaly.nii.gz` (float32 scores).
 *
 * @module
 */
import { join } from "node:path";
import { deriveSeed, generatePhantom, huDensityScore } from "../src/data/mod.ts";
import { readVolume, writeVolume } from "../src/io/mod.ts";
import { SegmentationEvaluator } from "../src/metrics/mod.ts";
import { bodyMask } from "../src/preprocess/mod.ts";
import { evalReportFigures, evalReportHtml, loadPlotlyJs } from "../src/viz/mod.ts";
import { median, PYTHON, timeIt } from "./_bench_util.ts";

const DIR = "data/bench/phantoms20";
const COUNT = 20;

const PY_EVAL = `
import sys, json, time, resource, numpy as np, nibabel as nib
from scipy import ndimage
from sklearn.metrics import roc_auc_score
d, count, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
stems = [f"phantom_{i:04d}" for i in range(count)]
reads, aurocs, labels_s = [], [], []
for _ in range(repeats):
    t0 = time.perf_counter()
    scores, truths, masks = [], [], []
    for s in stems:
        # C-ordered like the Deno arrays; get_fdata would make float64 copies, dataobj keeps the stored dtypes.
        p = np.asarray(nib.load(f"{d}/pred/{s}_anomaly.nii.gz").dataobj, dtype=np.float32)
        g = np.asarray(nib.load(f"{d}/{s}_lesions.nii.gz").dataobj) != 0
        r = np.asarray(nib.load(f"{d}/roi/{s}_roi.nii.gz").dataobj) != 0
        scores.append(p[r]); truths.append(g[r]); masks.append(g & r)
        del p, g, r
    t1 = time.perf_counter()
    auroc = float(roc_auc_score(np.concatenate(truths), np.concatenate(scores)))
    t2 = time.perf_counter()
    structure = np.ones((3, 3, 3), dtype=bool)
    lesions = [int(ndimage.label(m, structure=structure)[1]) for m in masks]
    t3 = time.perf_counter()
    reads.append(t1 - t0); aurocs.append(t2 - t1); labels_s.append(t3 - t2)
    del scores, truths, masks
med = lambda xs: float(np.median(xs))
print(json.dumps({"read_s": med(reads), "auroc_s": med(aurocs), "label_s": med(labels_s),
  "metrics_s": med(aurocs) + med(labels_s), "total_s": med(reads) + med(aurocs) + med(labels_s),
  "auroc": auroc, "lesions": sum(lesions), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

/** Peak resident memory of this process since the last {@linkcode resetPeakRss}, in MB (Linux VmHWM). */
async function peakRssMb(): Promise<number> {
  const status = await Deno.readTextFile("/proc/self/status");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** Resets the kernel's peak-RSS counter of this process (`echo 5 > /proc/self/clear_refs`). */
async function resetPeakRss(): Promise<void> {
  await Deno.writeTextFile("/proc/self/clear_refs", "5");
}

async function ensureData(): Promise<void> {
  const stem = (i: number) => `phantom_${String(i).padStart(4, "0")}`;
  for (let i = 0; i < COUNT; i++) {
    const pred = join(DIR, "pred", `${stem(i)}_anomaly.nii.gz`);
    try {
      await Deno.stat(pred);
      continue;
    } catch {
      // generate below
    }
    const [, seconds] = await timeIt(async () => {
      const phantom = generatePhantom(deriveSeed(0, i));
      const body = bodyMask(phantom.ct);
      await writeVolume(join(DIR, `${stem(i)}.nii.gz`), phantom.ct, { datatype: "int16" });
      await writeVolume(join(DIR, `${stem(i)}_lesions.nii.gz`), phantom.lesions, { datatype: "uint8" });
      await writeVolume(join(DIR, "roi", `${stem(i)}_roi.nii.gz`), body, { datatype: "uint8" });
      await writeVolume(pred, huDensityScore(phantom.ct, body), { datatype: "float32" });
    });
    console.error(`bench eval: generated ${stem(i)} (${i + 1}/${COUNT}) in ${seconds.toFixed(1)} s`);
  }
}

/** Runs the eval suite `repeats` times and returns the medians, peak memory and ratios. */
export async function benchEval(repeats: number): Promise<Record<string, unknown>> {
  await ensureData();
  const stems = Array.from({ length: COUNT }, (_, i) => `phantom_${String(i).padStart(4, "0")}`);
  const reads: number[] = [], adds: number[] = [], computes: number[] = [], peaks: number[] = [];
  let evaluator = new SegmentationEvaluator();
  let summary: Record<string, unknown> = {};
  for (let r = 0; r < repeats; r++) {
    evaluator = new SegmentationEvaluator();
    await resetPeakRss();
    let readS = 0, addS = 0;
    for (const stem of stems) {
      const t0 = performance.now();
      const pred = await readVolume(join(DIR, "pred", `${stem}_anomaly.nii.gz`));
      const gt = await readVolume(join(DIR, `${stem}_lesions.nii.gz`));
      const roi = await readVolume(join(DIR, "roi", `${stem}_roi.nii.gz`));
      const t1 = performance.now();
      evaluator.add({ id: stem, scores: pred.data, labels: gt.data, region: roi.data, shape: pred.shape });
      const t2 = performance.now();
      readS += (t1 - t0) / 1000;
      addS += (t2 - t1) / 1000;
    }
    const [evaluation, computeS] = await timeIt(() => evaluator.compute());
    peaks.push(await peakRssMb());
    reads.push(readS);
    adds.push(addS);
    computes.push(computeS);
    const m = evaluation.metrics;
    summary = {
      auroc: m.auroc,
      aupro_0_3: m.aupro,
      dice_best: m.diceBest,
      threshold_best: m.thresholdBest,
      lesions: m.lesions,
      lesion_voxels: m.positives,
      background_voxels: m.negatives,
    };
    console.error(
      `bench eval: run ${r + 1}/${repeats}: read ${readS.toFixed(2)} s, per-case metrics ${addS.toFixed(2)} s, ` +
        `pooled + bootstrap ${computeS.toFixed(2)} s, peak RSS ${peaks[r].toFixed(0)} MB`,
    );
  }
  // Figures, timed separately (the last run's evaluator): specs, HTML with plotly.js inline.
  const evaluation = evaluator.compute();
  const [figures, figuresS] = await timeIt(() =>
    evalReportFigures({ evaluation, histogram: evaluator.histogram(), region: "body mask" })
  );
  const plotlyJs = await loadPlotlyJs();
  const [html, htmlS] = await timeIt(() =>
    evalReportHtml({ evaluation, histogram: evaluator.histogram(), region: "body mask" }, { plotlyJs, figures })
  );

  const py = await new Deno.Command(PYTHON, {
    args: ["-c", PY_EVAL, DIR, String(COUNT), String(repeats)],
    stdout: "piped",
    stderr: "inherit",
    env: { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" },
  }).output();
  if (!py.success) throw new Error("Cannot run the nibabel + sklearn + scipy reference: see its error above");
  const ref = JSON.parse(new TextDecoder().decode(py.stdout));
  const ours = {
    read_s: median(reads),
    per_case_metrics_s: median(adds),
    pooled_metrics_and_bootstrap_s: median(computes),
    metrics_s: median(adds) + median(computes),
    total_s: median(reads) + median(adds) + median(computes),
    peak_rss_mb: Math.max(...peaks),
    figures_s: figuresS,
    report_html_s: htmlS,
    report_html_mb: html.length / 1e6,
  };
  return {
    data: DIR,
    cases: COUNT,
    input: { shape: [256, 256, 160], spacingMm: [1.4, 1.4, 2], score: "huDensityScore (float32)", region: "body mask" },
    repeats,
    screener_kit: { ...ours, ...summary },
    sklearn_scipy: ref,
    auroc_abs_diff: Math.abs((summary.auroc as number) - ref.auroc),
    ratio_metrics_vs_auroc_plus_label: ours.metrics_s / ref.metrics_s,
    ratio_total_vs_read_auroc_label: ours.total_s / ref.total_s,
    ratio_peak_rss: ours.peak_rss_mb / ref.peak_rss_mb,
    note: "screener_kit metrics = per-case AUROC, components (26), AUPRO@0.3, best Dice + pooled AUROC, AUPRO, " +
      "global best Dice, per-case Dice at it, detections and 2000-sample bootstraps; the reference computes only " +
      "the pooled AUROC (roc_auc_score) and labels each lesion mask (ndimage.label, 26-connected). Reads: " +
      "readVolume vs nibabel (asarray of dataobj) of the same three files per case. Peak RSS: VmHWM after " +
      "clear_refs for screener_kit, ru_maxrss for Python (interpreter and imports included)",
  };
}
