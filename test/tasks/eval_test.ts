import { assert, assertAlmostEquals, assertEquals, assertGreater, assertStringIncludes } from "@std/assert";
import { generatePhantom, huDensityScore } from "../../src/data/mod.ts";
import { createVolume, writeVolume } from "../../src/io/mod.ts";
import { bodyMask } from "../../src/preprocess/mod.ts";
import { findChromium } from "../../src/viz/mod.ts";
import { runPython, tempDir } from "../_support/python.ts";
import { runTaskFile } from "../_support/tasks.ts";

const TINY = { shape: [64, 64, 40] as [number, number, number], spacingMm: [5, 5, 6] as [number, number, number] };
const STEMS = ["case_a", "case_b", "case_c"];

/**
 * Writes three tiny phantoms (the last without lesions): `gt/<stem>.nii.gz` (CT), `gt/<stem>_lesions.nii.gz`,
 * `roi/<stem>_roi.nii.gz` (body mask) and `pred/<stem>_anomaly.nii.gz` (HU-density score).
 */
async function writeCases(dir: string): Promise<void> {
  for (const [c, stem] of STEMS.entries()) {
    const phantom = generatePhantom(40 + c, { ...TINY, lesionRate: c < 2 ? 1 : 0 });
    const body = bodyMask(phantom.ct);
    await writeVolume(`${dir}/gt/${stem}.nii.gz`, phantom.ct, { datatype: "int16" });
    await writeVolume(`${dir}/gt/${stem}_lesions.nii.gz`, phantom.lesions, { datatype: "uint8" });
    await writeVolume(`${dir}/roi/${stem}_roi.nii.gz`, body, { datatype: "uint8" });
    await writeVolume(`${dir}/pred/${stem}_anomaly.nii.gz`, huDensityScore(phantom.ct, body), { datatype: "float32" });
  }
}

/** nibabel + sklearn + scipy on the written files: pooled AUROC inside the ROI and 26-connected lesion counts. */
const ORACLE = `
import sys, json, numpy as np, nibabel as nib
from scipy import ndimage
from sklearn.metrics import roc_auc_score
d = sys.argv[1]
scores, labels, counts = [], [], []
for stem in sys.argv[2:]:
    s = np.asarray(nib.load(f"{d}/pred/{stem}_anomaly.nii.gz").dataobj, dtype=np.float32)
    l = np.asarray(nib.load(f"{d}/gt/{stem}_lesions.nii.gz").dataobj) != 0
    r = np.asarray(nib.load(f"{d}/roi/{stem}_roi.nii.gz").dataobj) != 0
    scores.append(s[r]); labels.append(l[r])
    counts.append(int(ndimage.label(l & r, structure=np.ones((3, 3, 3)))[1]))
print(json.dumps({"auroc": float(roc_auc_score(np.concatenate(labels), np.concatenate(scores).astype(np.float64))),
  "lesions": counts}))
`;

Deno.test("deno task eval writes metrics, table and report that agree with sklearn and scipy", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeCases(dir);
    await Deno.writeTextFile(`${dir}/log.jsonl`, '{"step":1,"loss":3}\n{"step":2,"loss":2}\n');
    const out = `${dir}/report`;
    const png = (await findChromium()) !== null;
    const run = await runTaskFile("eval", [
      ...["--pred", `${dir}/pred`, "--gt", `${dir}/gt`, "--roi", `${dir}/roi`, "--images", `${dir}/gt`],
      ...["--out", out, "--bootstrap", "300", "--slice-views", "1", "--log", `${dir}/log.jsonl`],
      ...(png ? ["--png"] : []),
    ]);
    assertEquals(run.code, 0, run.stderr);
    const written = run.stdout.trim().split("\n");
    assertEquals(written.slice(0, 3), [`${out}/metrics.json`, `${out}/cases.csv`, `${out}/report.html`]);
    assertStringIncludes(run.stderr, "eval 3/3");

    const metrics = JSON.parse(await Deno.readTextFile(`${out}/metrics.json`));
    const oracle = await runPython<{ auroc: number; lesions: number[] }>(ORACLE, [dir, ...STEMS]);
    assertAlmostEquals(metrics.auroc.pooled, oracle.auroc, 1e-12);
    assertEquals(metrics.cases.map((c: { lesions: number }) => c.lesions), oracle.lesions);
    assertEquals([metrics.region_mode, metrics.connectivity, metrics.fpr_limit], ["roi", 26, 0.3]);
    for (const key of ["auroc", "aupro_0_3"]) {
      assertEquals(Object.keys(metrics[key]), ["pooled", "mean", "ci95", "n"]);
      assert(metrics[key].ci95[0] <= metrics[key].mean && metrics[key].mean <= metrics[key].ci95[1]);
    }
    assertEquals(metrics.dice_best.threshold, metrics.threshold_best);
    assertEquals(metrics.cases.map((c: { case: string }) => c.case), STEMS);
    const free = metrics.cases[2];
    assertEquals([free.auroc, free.aupro_0_3, free.dice_best, free.lesions], [null, null, null, 0]);
    assertEquals(metrics.auroc.n, 2);

    const csv = (await Deno.readTextFile(`${out}/cases.csv`)).trim().split("\n");
    assertEquals(csv.length, 4);
    assert(csv[0].startsWith("case,auroc,aupro_0_3,dice_at_global_threshold,dice_best,threshold_best,lesions"));
    assert(csv[3].startsWith("case_c,,,"));

    const html = await Deno.readTextFile(`${out}/report.html`);
    for (const id of ["roc", "pro", "histogram", "cases", "training"]) assertStringIncludes(html, `id="fig-${id}"`);
    assertEquals(html.match(/id="fig-slices_case_[ab]_(axial|coronal|sagittal)"/g)?.length, 3);
    const config = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
    assertEquals([config.task, config.config.bootstrap.samples], ["eval", 300]);
    if (png) {
      const pngs = written.filter((p) => p.endsWith(".png"));
      assertEquals(pngs.length, 8); // roc, pro, histogram, cases, training, 3 slice views
      for (const p of pngs) assertGreater((await Deno.stat(p)).size, 5000);
    }
  } finally {
    await cleanup();
  }
});

Deno.test("deno task eval uses the body mask of --images, or the whole volume, and says which", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeCases(dir);
    const body = await runTaskFile("eval", [
      "--pred",
      `${dir}/pred`,
      "--gt",
      `${dir}/gt`,
      "--images",
      `${dir}/gt`,
      "--out",
      `${dir}/b`,
      "--slice-views",
      "0",
    ]);
    assertEquals(body.code, 0, body.stderr);
    const withRoi = await runTaskFile("eval", [
      "--pred",
      `${dir}/pred`,
      "--gt",
      `${dir}/gt`,
      "--roi",
      `${dir}/roi`,
      "--out",
      `${dir}/r`,
      "--slice-views",
      "0",
    ]);
    assertEquals(withRoi.code, 0, withRoi.stderr);
    const b = JSON.parse(await Deno.readTextFile(`${dir}/b/metrics.json`));
    const r = JSON.parse(await Deno.readTextFile(`${dir}/r/metrics.json`));
    assertEquals(b.region_mode, "body");
    assertEquals(b.auroc.pooled, r.auroc.pooled); // the ROI files are the same body masks
    const whole = await runTaskFile("eval", [
      "--pred",
      `${dir}/pred`,
      "--gt",
      `${dir}/gt`,
      "--out",
      `${dir}/w`,
      "--connectivity",
      "6",
      "--slice-views",
      "0",
    ]);
    assertEquals(whole.code, 0, whole.stderr);
    const w = JSON.parse(await Deno.readTextFile(`${dir}/w/metrics.json`));
    assertEquals([w.region_mode, w.connectivity], ["volume", 6]);
    assertStringIncludes(w.region, "whole volume");
    assertEquals(w.cases[0].region_voxels, 64 * 64 * 40);
  } finally {
    await cleanup();
  }
});

Deno.test("deno task eval refuses a ground truth on another grid, naming both files", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeCases(dir);
    const lesions = new Uint8Array(64 * 64 * 41);
    const affine = [5, 0, 0, -160, 0, 5, 0, -160, 0, 0, 6, -120, 0, 0, 0, 1];
    await writeVolume(`${dir}/gt/case_b_lesions.nii.gz`, createVolume(lesions, [64, 64, 41], affine, "label"));
    const run = await runTaskFile("eval", ["--pred", `${dir}/pred`, "--gt", `${dir}/gt`, "--out", `${dir}/out`]);
    assertEquals(run.code, 1, run.stderr);
    assertStringIncludes(
      run.stderr,
      `error: Cannot evaluate case "case_b": ground truth "${dir}/gt/case_b_lesions.nii.gz" is on grid 64×64×41 voxels`,
    );
    assertStringIncludes(run.stderr, `but prediction "${dir}/pred/case_b_anomaly.nii.gz" is on 64×64×40 voxels`);
    assertStringIncludes(run.stderr, "expected the same shape and affine");
  } finally {
    await cleanup();
  }
});

Deno.test("deno task eval reports every missing file before reading any volume", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeCases(dir);
    await Deno.remove(`${dir}/gt/case_a_lesions.nii.gz`);
    await Deno.remove(`${dir}/gt/case_a.nii.gz`);
    await Deno.remove(`${dir}/roi/case_c_roi.nii.gz`);
    const run = await runTaskFile("eval", [
      "--pred",
      `${dir}/pred`,
      "--gt",
      `${dir}/gt`,
      "--roi",
      `${dir}/roi`,
      "--out",
      `${dir}/out`,
    ]);
    assertEquals(run.code, 1, run.stderr);
    assertStringIncludes(run.stderr, "Cannot match 2 file(s)");
    assertStringIncludes(run.stderr, `no ground truth for case "case_a": tried "${dir}/gt/case_a_lesions.nii.gz"`);
    assertStringIncludes(run.stderr, `no region for case "case_c": tried "${dir}/roi/case_c_roi.nii.gz"`);
  } finally {
    await cleanup();
  }
});

Deno.test("deno task eval exits with 2 on bad flags and empty folders", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await Deno.mkdir(`${dir}/empty`);
    const cases: [string[], string][] = [
      [["--gt", dir, "--out", `${dir}/o`], "Missing required flag --pred"],
      [["--pred", dir, "--gt", dir, "--out", `${dir}/o`, "--connectivity", "8"], "--connectivity 8"],
      [["--pred", dir, "--gt", dir, "--out", `${dir}/o`, "--fpr-limit", "0"], "--fpr-limit 0"],
      [["--pred", `${dir}/nope`, "--gt", dir, "--out", `${dir}/o`], `Cannot read folder "${dir}/nope" of --pred`],
      [["--pred", `${dir}/empty`, "--gt", dir, "--out", `${dir}/o`], "no <stem>_anomaly.nii.gz"],
      [["--pred", dir, "--bogus"], "Cannot parse flags"],
    ];
    for (const [args, message] of cases) {
      const run = await runTaskFile("eval", args);
      assertEquals(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assertStringIncludes(run.stderr, message);
      assertStringIncludes(run.stderr, "hint:");
    }
    const help = await runTaskFile("eval", ["--help"]);
    assertEquals(help.code, 0);
    assertStringIncludes(help.stdout, "usage: deno task eval --pred DIR --gt DIR --out DIR");
  } finally {
    await cleanup();
  }
});
