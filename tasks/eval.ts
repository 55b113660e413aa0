/**
 * `deno task eval --pred PRED_DIR --gt GT_DIR --out REPORT_DIR [--roi ROI_DIR] [--images CT_DIR] [...]`: evaluates
 * anomaly maps against lesion masks (METHOD §7) and writes a report.
 *
 * Matching: every `PRED_DIR/<stem>_anomaly.nii.gz` (or .nii, .nrrd) is one case; its ground truth is
 * `GT_DIR/<stem>_lesions.nii.gz`, else `GT_DIR/<stem>.nii.gz`; its region `ROI_DIR/<stem>_roi.nii.gz`, else
 * `ROI_DIR/<stem>.nii.gz`; its CT `CT_DIR/<stem>.nii.gz`. All must share the prediction's grid (shape and affine).
 * Region: the ROI when given; else the body mask of the CT (`bodyMask` of src/preprocess) when `--images` is given;
 * else the whole volume — metrics.json says which.
 *
 * Writes to REPORT_DIR: `config.json` (run record), `metrics.json` (pooled `auroc`, `aupro_0_3`, `dice_best`,
 * `threshold_best`, per-case means with bootstrap intervals, `cases`), `cases.csv`, `report.html` (every figure,
 * self-contained) and, with `--png`, `figures/<id>.png` through Chromium. Paths go to stdout, progress to stderr;
 * bad flags exit with 2, a failed run with 1.
 *
 * @module
 */
import { join } from "node:path";
import {
  applyAffine,
  mat4Invert,
  readVolume,
  reorient,
  sameGrid,
  stemOf,
  type Volume,
  VOLUME_EXTENSIONS,
  type VoxelArray,
  writeJsonAtomic,
  writeRunRecord,
  writeTextAtomic,
} from "../src/io/mod.ts";
import { bodyMask } from "../src/preprocess/mod.ts";
import {
  casesCsv,
  CONNECTIVITIES,
  type Connectivity,
  evaluationJson,
  type LesionPeak,
  SegmentationEvaluator,
} from "../src/metrics/mod.ts";
import {
  evalReportFigures,
  evalReportHtml,
  extractSlices,
  findChromium,
  loadPlotlyJs,
  readTrainingLog,
  renderPng,
  SLICE_AXES,
  type SliceStack,
  type TrainingLog,
} from "../src/viz/mod.ts";
import { intFlag, numberFlag, parseFlags, progressBar, requireFlag, runTask, UsageError } from "./_cli.ts";

const USAGE = `usage: deno task eval --pred DIR --gt DIR --out DIR [--roi DIR | --images DIR] [options]
  --pred DIR           anomaly maps <stem>_anomaly.nii.gz (.nii, .nrrd): one case each
  --gt DIR             lesion masks <stem>_lesions.nii.gz, else <stem>.nii.gz (nonzero = lesion)
  --out DIR            report folder (created): metrics.json, cases.csv, report.html, config.json
  --roi DIR            evaluation regions <stem>_roi.nii.gz, else <stem>.nii.gz (nonzero = evaluated)
  --images DIR         CT scans <stem>.nii.gz in HU: the default region (body mask) and the slice views' CT
  --connectivity N     lesion regions: 6 or 26-connected (default 26)
  --fpr-limit F        AUPRO integration limit, in (0, 1] (default 0.3)
  --bootstrap N        bootstrap resamples of the cases (default 2000)
  --seed S             bootstrap seed (default 0)
  --slice-cases A,B    cases to show in slice views (default: those with the highest-scoring lesions)
  --slice-views N      how many cases get slice views when --slice-cases is not given (default 3, 0 = none)
  --log FILE           a training log.jsonl to plot (repeat for several)
  --histogram-bins N   bins of the score histograms (default 100)
  --png                also write figures/<id>.png with Chromium (Debian's chromium)`;

/** The run's config, saved as config.json. */
interface EvalConfig {
  pred: string;
  gt: string;
  out: string;
  roi: string | null;
  images: string | null;
  connectivity: Connectivity;
  fprLimit: number;
  bootstrap: { samples: number; seed: number; level: number };
  sliceCases: string[] | null;
  sliceViews: number;
  logs: string[];
  histogramBins: number;
  png: boolean;
}

/** Files of one case. */
interface CaseFiles {
  stem: string;
  pred: string;
  gt: string;
  roi?: string;
  ct?: string;
}

const PRED_NAME = /^(.+)_anomaly(\.nii\.gz|\.nii|\.nrrd)$/i;

/** Keeps the slice views of the chosen cases, or of the cases with the highest-scoring lesions seen so far. */
class SliceKeeper {
  #kept: { caseId: string; key: number; stacks: SliceStack[] }[] = [];
  constructor(private readonly config: EvalConfig) {}

  offer(
    caseId: string,
    lesions: { maxScore: number; peakVoxel: [number, number, number] }[],
    volumes: { scores: Volume; labels: Volume; ct?: Volume },
  ): void {
    const { sliceCases, sliceViews } = this.config;
    const top = lesions.reduce<(typeof lesions)[number] | null>(
      (a, l) => (a && a.maxScore >= l.maxScore ? a : l),
      null,
    );
    const key = top ? top.maxScore : -Infinity;
    if (sliceCases) {
      if (!sliceCases.includes(caseId)) return;
    } else {
      if (sliceViews === 0) return;
      if (this.#kept.length >= sliceViews && key <= this.#kept[this.#kept.length - 1].key) return;
    }
    const stacks = SLICE_AXES.map((axis) => extractSlices(volumes, { axis, center: top?.peakVoxel }));
    this.#kept.push({ caseId, key, stacks });
    if (!sliceCases) {
      this.#kept.sort((a, b) => b.key - a.key);
      this.#kept.length = Math.min(this.#kept.length, sliceViews);
    }
  }

  stacks(): { caseId: string; stacks: SliceStack[] }[] {
    return this.#kept.map(({ caseId, stacks }) => ({ caseId, stacks }));
  }
}

await runTask("eval", async () => {
  const config = parseConfig();
  if (config === null) {
    console.log(USAGE);
    return;
  }
  const cases = await matchCases(config);
  if (config.sliceCases) {
    const missing = config.sliceCases.filter((s) => !cases.some((c) => c.stem === s));
    if (missing.length > 0) {
      throw new UsageError(
        `Cannot show slices of ${missing.map((s) => `"${s}"`).join(", ")}: no such case in "${config.pred}"`,
        `cases are: ${cases.slice(0, 10).map((c) => c.stem).join(", ")}${cases.length > 10 ? ", …" : ""}`,
      );
    }
  }
  const chromium = config.png ? await findChromium() : null;
  if (config.png && chromium === null) {
    throw new Error(
      "Cannot write PNG figures: no Chromium found (looked at $CHROMIUM, /usr/bin/chromium, …): expected Debian's " +
        'chromium ("apt-get install chromium"), or run without --png',
    );
  }
  const logs: TrainingLog[] = [];
  for (const path of config.logs) logs.push({ name: stemOf(path), records: await readTrainingLog(path) });
  await writeRunRecord(config.out, { task: "eval", config });

  const region = config.roi
    ? `ROI masks from "${config.roi}" (nonzero = evaluated)`
    : config.images
    ? "body mask of each CT (bodyMask of src/preprocess: HU < -500 connected to the in-plane border of its axial " +
      "slice is outside)"
    : "whole volume (neither --roi nor --images was given)";
  const evaluator = new SegmentationEvaluator({ connectivity: config.connectivity, fprLimit: config.fprLimit });
  const slices = new SliceKeeper(config);
  const peaks = new Map<string, LesionPeak[]>();
  const progress = progressBar("eval");
  const t0 = performance.now();
  progress(0, cases.length);
  for (const [n, files] of cases.entries()) {
    const pred = await readVolume(files.pred, { unit: "score" });
    const gt = await readVolume(files.gt, { unit: "label" });
    requireSameGrid(files, pred, gt, files.gt, "ground truth");
    const roi = files.roi ? await readVolume(files.roi, { unit: "label" }) : undefined;
    if (roi && files.roi) requireSameGrid(files, pred, roi, files.roi, "region");
    const ct = files.ct ? await readVolume(files.ct, { unit: "HU" }) : undefined;
    if (ct && files.ct) requireSameGrid(files, pred, ct, files.ct, "CT");
    // Canonical RAS for the body mask (it fills per axial slice) and the slice views; metrics do not depend on it.
    const ras = <T extends VoxelArray>(v: Volume<T>) => reorient(v, "RAS", { oblique: "nearest" });
    const scores = ras(pred), labels = ras(gt), ctRas = ct ? ras(ct) : undefined;
    const regionData = roi ? ras(roi).data : ctRas ? bodyMask(ctRas).data : undefined;
    const result = evaluator.add({
      id: files.stem,
      scores: scores.data,
      labels: labels.data,
      region: regionData,
      shape: scores.shape,
    });
    // Lesion peaks in the prediction file's own voxel order and in world mm, for metrics.json.
    const toOwn = mat4Invert(pred.affine);
    peaks.set(
      files.stem,
      result.lesions.map((l) => {
        const mm = applyAffine(scores.affine, l.peakVoxel);
        return { voxel: applyAffine(toOwn, mm).map(Math.round), mm: mm.map((v) => Number(v.toFixed(2))) };
      }),
    );
    slices.offer(files.stem, result.lesions, { scores, labels, ct: ctRas });
    progress(n + 1, cases.length, files.stem);
  }
  const evalSeconds = (performance.now() - t0) / 1000;
  const evaluation = evaluator.compute(config.bootstrap);
  const histogram = evaluator.histogram({ bins: config.histogramBins });
  const m = evaluation.metrics;

  const metricsPath = join(config.out, "metrics.json");
  await writeJsonAtomic(metricsPath, evaluationJson(m, { ...config, region }, peaks, evalSeconds));
  console.log(metricsPath);
  const csvPath = join(config.out, "cases.csv");
  await writeTextAtomic(csvPath, casesCsv(m));
  console.log(csvPath);

  console.error("eval: drawing figures");
  const plotlyJs = await loadPlotlyJs();
  const input = { evaluation, histogram, region, slices: slices.stacks(), trainingLogs: logs };
  const figures = evalReportFigures(input);
  const htmlPath = join(config.out, "report.html");
  await writeTextAtomic(htmlPath, evalReportHtml(input, { plotlyJs, figures, title: `Evaluation: ${config.pred}` }));
  console.log(htmlPath);
  if (config.png && chromium !== null) {
    const pngProgress = progressBar("eval png");
    for (const [f, figure] of figures.entries()) {
      const path = join(config.out, "figures", `${figure.id}.png`);
      await renderPng(figure, path, { plotlyJs, chromium });
      console.log(path);
      pngProgress(f + 1, figures.length, figure.id);
    }
  }
  console.error(
    `eval: ${cases.length} case(s) in ${evalSeconds.toFixed(1)} s: AUROC ${m.auroc.toFixed(4)}, ` +
      `AUPRO@${m.fprLimit} ${m.aupro.toFixed(4)}, Dice ${m.diceBest.toFixed(4)} at ${m.thresholdBest}`,
  );
});

/** Flags → validated config; `null` for --help. */
function parseConfig(): EvalConfig | null {
  const { values } = parseFlags({
    pred: { type: "string" },
    gt: { type: "string" },
    out: { type: "string" },
    roi: { type: "string" },
    images: { type: "string" },
    connectivity: { type: "string" },
    "fpr-limit": { type: "string" },
    bootstrap: { type: "string" },
    seed: { type: "string" },
    "slice-cases": { type: "string" },
    "slice-views": { type: "string" },
    log: { type: "string", multiple: true },
    "histogram-bins": { type: "string" },
    png: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return null;
  const connectivity = intFlag(values.connectivity, "--connectivity", 26, 6, 26);
  if (!CONNECTIVITIES.includes(connectivity as Connectivity)) {
    throw new UsageError(
      `Cannot use --connectivity ${connectivity}: expected one of ${CONNECTIVITIES.join(", ")}`,
    );
  }
  const fprLimit = numberFlag(values["fpr-limit"], "--fpr-limit", 0.3, 0, 1);
  if (fprLimit === 0) throw new UsageError("Cannot use --fpr-limit 0: expected a number in (0, 1]");
  return {
    pred: requireFlag(values.pred, "--pred"),
    gt: requireFlag(values.gt, "--gt"),
    out: requireFlag(values.out, "--out"),
    roi: values.roi ?? null,
    images: values.images ?? null,
    connectivity: connectivity as Connectivity,
    fprLimit,
    bootstrap: {
      samples: intFlag(values.bootstrap, "--bootstrap", 2000, 1, 1_000_000),
      seed: intFlag(values.seed, "--seed", 0, -(2 ** 53 - 1), 2 ** 53 - 1),
      level: 0.95,
    },
    sliceCases: values["slice-cases"] ? values["slice-cases"].split(",").map((s) => s.trim()).filter(Boolean) : null,
    sliceViews: intFlag(values["slice-views"], "--slice-views", 3, 0, 100),
    logs: values.log ?? [],
    histogramBins: intFlag(values["histogram-bins"], "--histogram-bins", 100, 1, 10_000),
    png: values.png ?? false,
  };
}

/** Lists the predictions and finds every case's other files; all missing files are reported at once. */
async function matchCases(config: EvalConfig): Promise<CaseFiles[]> {
  const names = await listDir(config.pred, "--pred");
  const preds = names.filter((n) => PRED_NAME.test(n)).sort();
  if (preds.length === 0) {
    throw new UsageError(
      `Cannot find predictions in "${config.pred}": no <stem>_anomaly.nii.gz (.nii, .nrrd) files`,
      "write anomaly maps first, e.g. deno task baselines --data DIR --write-maps PRED_DIR",
    );
  }
  const dirs = {
    gt: new Set(await listDir(config.gt, "--gt")),
    roi: config.roi ? new Set(await listDir(config.roi, "--roi")) : null,
    images: config.images ? new Set(await listDir(config.images, "--images")) : null,
  };
  const problems: string[] = [];
  const find = (dir: string, present: Set<string>, suffixes: string[], stem: string, what: string) => {
    const tried = suffixes.flatMap((suffix) => VOLUME_EXTENSIONS.map((ext) => `${stem}${suffix}${ext}`));
    const hit = tried.find((name) => present.has(name));
    if (hit === undefined) {
      problems.push(`no ${what} for case "${stem}": tried ${tried.map((t) => `"${join(dir, t)}"`).join(", ")}`);
    }
    return hit === undefined ? undefined : join(dir, hit);
  };
  const cases = preds.map((name) => {
    const stem = PRED_NAME.exec(name)![1];
    const files: CaseFiles = { stem, pred: join(config.pred, name), gt: "" };
    files.gt = find(config.gt, dirs.gt, ["_lesions", ""], stem, "ground truth") ?? "";
    if (config.roi && dirs.roi) files.roi = find(config.roi, dirs.roi, ["_roi", ""], stem, "region");
    if (config.images && dirs.images) files.ct = find(config.images, dirs.images, [""], stem, "CT");
    return files;
  });
  if (problems.length > 0) {
    throw new Error(
      `Cannot match ${problems.length} file(s) to the predictions in "${config.pred}": ${
        problems.slice(0, 5).join("; ")
      }` +
        (problems.length > 5 ? `; and ${problems.length - 5} more` : ""),
    );
  }
  return cases;
}

async function listDir(dir: string, flag: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) if (entry.isFile || entry.isSymlink) names.push(entry.name);
  } catch (cause) {
    throw new UsageError(`Cannot read folder "${dir}" of ${flag}: ${(cause as Error).message}`);
  }
  return names;
}

function describeGrid(v: Volume): string {
  const origin = [v.affine[3], v.affine[7], v.affine[11]].map((x) => x.toFixed(2)).join(", ");
  return `${v.shape.join("×")} voxels of ${v.spacingMm.map((s) => s.toFixed(3)).join("×")} mm at (${origin}) mm`;
}

function requireSameGrid(files: CaseFiles, pred: Volume, other: Volume, path: string, what: string): void {
  if (sameGrid(pred, other)) return;
  throw new Error(
    `Cannot evaluate case "${files.stem}": ${what} "${path}" is on grid ${describeGrid(other)} but prediction ` +
      `"${files.pred}" is on ${describeGrid(pred)}: expected the same shape and affine (resample one onto the other)`,
  );
}
