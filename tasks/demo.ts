/**
 * `deno task demo [--out DIR] [--seed S]`: the end-to-end demo of what the kit does today, on small data, in well
 * under a minute on 2 cores. Steps, each printed as it runs:
 *
 * 1. phantoms: two small CT phantoms with lesions (HU int16 + lesion mask + JSON sidecar), seeded;
 * 2. real CT: reads every shared sample it finds (RAS and LPS NIfTI, NRRD) and reports its orientation;
 * 3. preprocessing: reorient → body crop → 1×1×1.5 mm → HU window, then puts the resampled HU back on the scan's
 *    own grid (`restoreToOriginal`) and writes both, so a viewer overlays them on the input;
 * 4. baselines: voxel AUROC of the two trivial scores on the demo phantoms;
 * 5. the method end to end at toy scale: descriptor and condition pretraining (tiny, a few dozen steps), a
 *    conditional flow fitted on their features, the anomaly map of a held-out phantom written on its own grid, and
 *    the evaluation report (`method/report.html`). With so little training the map is a demonstration of the
 *    pipeline, not of its accuracy (`bash tasks/experiment.sh` runs the measured experiment).
 *
 * Outputs go to `data/demo/` (git-ignored), with `config.json` (seed, versions).
 *
 * @module
 */
import { join } from "node:path";
import {
  axcodesOf,
  readVolume,
  reorient,
  stemOf,
  writeJsonAtomic,
  writeRunRecord,
  writeTextAtomic,
  writeVolume,
} from "../src/io/mod.ts";
import { preprocessCt, restoreToOriginal } from "../src/preprocess/mod.ts";
import {
  collectFeatures,
  createDensityModel,
  densityFitConfig,
  type FeatureExtractor,
  fitDensity,
  samplePool,
} from "../src/density/mod.ts";
import { anomalyMap, loadAnomalyModels, savePipelineSpec } from "../src/inference/mod.ts";
import { type BackendName, initBackend } from "../src/nn/mod.ts";
import { loadPretrained, loadTrainingScan, pretrain, pretrainConfig } from "../src/ssl/mod.ts";
import { SegmentationEvaluator } from "../src/metrics/mod.ts";
import { evalReportHtml, extractSlices, loadPlotlyJs } from "../src/viz/mod.ts";
import { deriveSeed, generatePhantom, huDensityScore, rawHuScore, Rng } from "../src/data/mod.ts";
import { AurocAccumulator } from "../src/metrics/mod.ts";
import { intFlag, parseFlags, runTask } from "./_cli.ts";

const CT_DIR = new URL("../../shared/data/ct/", import.meta.url).pathname;

/** Shared real samples used by the demo when present (read-only, never copied into the repo). */
const SAMPLES = [
  "totalseg_example_ct_sm_3mm.nii.gz",
  "totalseg_chest_cta_cropped_1p5mm.nii.gz",
  "cip_ct-64_chest.nrrd",
];

await runTask("demo", async () => {
  const { values } = parseFlags({
    out: { type: "string" },
    seed: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log("usage: deno task demo [--out data/demo] [--seed 0]");
    return;
  }
  const out = values.out ?? "data/demo";
  const seed = intFlag(values.seed, "--seed", 0, 0, 2 ** 32 - 1);
  const config = {
    seed,
    phantoms: { count: 2, shape: [128, 128, 80] as const, spacingMm: [2.8, 2.8, 4] as const, lesionRate: 1 },
    preprocess: { spacingMm: [1, 1, 1.5] as const, windowHu: [-1000, 300] as const },
  };
  await writeRunRecord(out, { task: "demo", config });
  const t0 = performance.now();
  const step = (msg: string) => console.error(`[demo ${((performance.now() - t0) / 1000).toFixed(1)} s] ${msg}`);

  // 1. Phantoms.
  const raw = new AurocAccumulator(), density = new AurocAccumulator();
  const phantomPaths: string[] = [];
  for (let n = 0; n < config.phantoms.count; n++) {
    const ph = generatePhantom(deriveSeed(seed, n), {
      shape: config.phantoms.shape,
      spacingMm: config.phantoms.spacingMm,
      lesionRate: config.phantoms.lesionRate,
    });
    const stem = `phantom_${String(n).padStart(4, "0")}`;
    const path = join(out, "phantoms", `${stem}.nii.gz`);
    await writeVolume(path, ph.ct);
    await writeVolume(join(out, "phantoms", `${stem}_lesions.nii.gz`), ph.lesions);
    await writeJsonAtomic(join(out, "phantoms", `${stem}.json`), ph.info);
    phantomPaths.push(path);
    raw.add(rawHuScore(ph.ct).data, ph.lesions.data, ph.body.data);
    density.add(huDensityScore(ph.ct, ph.body).data, ph.lesions.data, ph.body.data);
    const kinds = ph.info.lesions.map((l) => l.type).join(", ") || "none";
    step(`phantom ${stem}: ${ph.ct.shape.join("×")} voxels, lesions: ${kinds}`);
  }

  // 2–3. Real CT samples and phantoms through preprocessing and back.
  const inputs = [...phantomPaths];
  for (const name of SAMPLES) {
    try {
      await Deno.stat(join(CT_DIR, name));
      inputs.push(join(CT_DIR, name));
    } catch {
      step(`sample ${name} not found in ${CT_DIR}: skipped`);
    }
  }
  const summary = [];
  for (const path of inputs) {
    const ct = await readVolume(path, { unit: "HU" });
    const pre = preprocessCt(ct, { spacingMm: config.preprocess.spacingMm });
    const stem = stemOf(path);
    await writeVolume(join(out, "preprocessed", `${stem}_image.nii.gz`), pre.image);
    await writeVolume(join(out, "preprocessed", `${stem}_body.nii.gz`), pre.bodyMask);
    const back = restoreToOriginal(pre.hu, pre.original, { fill: -1000 });
    await writeVolume(join(out, "restored", `${stem}_hu_restored.nii.gz`), back);
    let sum = 0, count = 0;
    const canon = reorient(ct);
    const canonBack = reorient(back);
    const body = pre.bodyMask;
    for (let v = 0; v < canon.data.length; v++) {
      if (canon.data[v] > -500) {
        sum += Math.abs(canon.data[v] - canonBack.data[v]);
        count++;
      }
    }
    const row = {
      file: path,
      axcodes: axcodesOf(ct.affine),
      shape: ct.shape,
      spacingMm: ct.spacingMm.map((s) => +s.toFixed(3)),
      preprocessedShape: pre.image.shape,
      bodyVoxels: body.data.reduce((a, b) => a + b, 0),
      restoredMeanAbsErrorHu: +(sum / Math.max(count, 1)).toFixed(1),
    };
    summary.push(row);
    step(
      `${stem}: ${row.axcodes} ${ct.shape.join("×")} @ ${row.spacingMm.join("×")} mm → ` +
        `${pre.image.shape.join("×")} @ 1×1×1.5 mm; round trip |ΔHU| ${row.restoredMeanAbsErrorHu} (tissue voxels)`,
    );
  }

  // 4. Baselines.
  const baselines = { rawHu: raw.compute(), huDensity: density.compute() };
  step(
    `trivial-score voxel AUROC on the demo phantoms: raw HU ${baselines.rawHu.toFixed(3)}, ` +
      `HU density ${baselines.huDensity.toFixed(3)}`,
  );
  // 5. The method end to end, toy scale.
  const method = await demoMethod(join(out, "method"), seed, step);
  await writeJsonAtomic(join(out, "summary.json"), { inputs: summary, baselineAuroc: baselines, method });
  console.log(join(out, "summary.json"));
});

/** Pretraining → density → anomaly map → evaluation on small phantoms; returns the held-out phantom's metrics. */
async function demoMethod(dir: string, seed: number, step: (msg: string) => void) {
  const small = { shape: [96, 96, 64] as const, spacingMm: [3.6, 3.6, 5] as const };
  for (let n = 0; n < 3; n++) {
    await writeVolume(join(dir, "train", `p${n}.nii.gz`), generatePhantom(deriveSeed(seed, "train", n), small).ct);
  }
  const test = generatePhantom(deriveSeed(seed, "test"), { ...small, lesionRate: 1 });
  const backend = await initBackend("auto");
  step(`backend: ${backend.name} (${backend.reason.split(";")[0]})`);
  const spacing: [number, number, number] = [3, 3, 3];
  for (const model of ["descriptor", "condition"] as const) {
    const run = await pretrain(
      pretrainConfig({
        model,
        size: "tiny",
        data: join(dir, "train"),
        steps: 40,
        seed,
        batchSize: 2,
        cropVox: [16, 16, 16],
        maxPairs: 128,
        projectorDim: 64,
        minSpacingMm: [3, 3, 3],
        maxSpacingMm: model === "descriptor" ? [5, 5, 6] : [6, 6, 8],
        preprocessSpacingMm: spacing,
        checkpointEvery: 40,
        backend: backend.name as BackendName,
      }),
      { out: join(dir, "run", model) },
    );
    const h = run.history;
    step(`pretrained ${model}: loss ${h[0].loss.toFixed(2)} → ${h.at(-1)!.loss.toFixed(2)} in ${h.length} steps`);
    run.dispose();
  }
  const desc = await loadPretrained(join(dir, "run", "descriptor"));
  const cond = await loadPretrained(join(dir, "run", "condition"));
  const extractor: FeatureExtractor = {
    descriptor: desc.model,
    condition: cond.model,
    conditionKind: "masked",
    positionalDim: 36,
  };
  const scans = await Promise.all(
    [0, 1, 2].map((n) => loadTrainingScan(join(dir, "train", `p${n}.nii.gz`), { spacingMm: spacing })),
  );
  const pool = await collectFeatures(scans, extractor, new Rng(deriveSeed(seed, "features")), {
    windowVox: [16, 16, 16],
    windowsPerScan: 16,
    samplesPerWindow: 256,
  });
  const flow = createDensityModel({ kind: "flow", dy: pool.dy, dc: pool.dc, hiddenDim: 32, seed });
  const fit = await fitDensity(
    flow,
    (_s, rng, n) => samplePool(pool, rng, n),
    densityFitConfig({ steps: 150, batchSize: 512, seed }),
    { out: join(dir, "run", "density") },
  );
  step(
    `fitted flow on ${pool.count} (y, c) rows: nll/dim ${fit.history[0].loss?.toFixed(3)} → ${
      fit.history.at(-1)!.loss?.toFixed(3)
    }`,
  );
  await savePipelineSpec(join(dir, "run"), {
    conditionKind: "masked",
    positionalDim: 36,
    windowVox: [16, 16, 16],
    preprocessSpacingMm: spacing,
  });
  flow.dispose();
  desc.model.dispose();
  cond.model.dispose();
  const models = await loadAnomalyModels(join(dir, "run"));
  const map = await anomalyMap(test.ct, models, { scoreMode: "features" });
  models.dispose();
  await writeVolume(join(dir, "test", "test_phantom.nii.gz"), test.ct);
  await writeVolume(join(dir, "test", "test_phantom_lesions.nii.gz"), test.lesions);
  await writeVolume(join(dir, "pred", "test_phantom_anomaly.nii.gz"), map);
  const evaluator = new SegmentationEvaluator();
  evaluator.add({
    id: "test_phantom",
    scores: map.data,
    labels: test.lesions.data,
    region: test.body.data,
    shape: map.shape,
  });
  const evaluation = evaluator.compute();
  const slices = [{
    caseId: "test_phantom",
    stacks: [extractSlices({ scores: map, labels: test.lesions, ct: test.ct }, { axis: "axial", count: 7 })],
  }];
  const html = evalReportHtml(
    { evaluation, histogram: evaluator.histogram(), region: "body (the phantom's true outline)", slices },
    { plotlyJs: await loadPlotlyJs(), title: "screener-kit demo" },
  );
  await writeTextAtomic(join(dir, "report.html"), html);
  const m = evaluation.metrics;
  step(
    `anomaly map of a held-out phantom: voxel AUROC ${m.auroc.toFixed(3)}, AUPRO@0.3 ${m.aupro?.toFixed(3)}; report: ${
      join(dir, "report.html")
    }`,
  );
  return { auroc: m.auroc, aupro: m.aupro, diceBest: m.diceBest, lesions: test.info.lesions.map((l) => l.type) };
}
