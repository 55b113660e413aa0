import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { generatePhantom } from "../../src/data/mod.ts";
import { readVolume, sameGrid, writeVolume } from "../../src/io/mod.ts";
import { tempDir } from "../_support/python.ts";
import { runTaskFile } from "../_support/tasks.ts";

Deno.test("deno task fit and deno task infer write a density run and anomaly maps on each input's grid", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    for (let i = 0; i < 2; i++) {
      const ph = generatePhantom(30 + i, { shape: [80, 64, 48], spacingMm: [4.5, 4.5, 6] });
      await writeVolume(`${dir}/ph/p${i}.nii.gz`, ph.ct);
    }
    const train = ["--config", "tiny", "--crop", "16,16,16", "--batch-size", "1", "--max-pairs", "32", "--steps", "2"];
    const common = ["--data", `${dir}/ph`, "--preprocess-spacing", "6,6,6", "--backend", "cpu"];
    const clahe = ["--clahe", "0.05"];
    for (const model of ["descriptor", "condition"]) {
      const out = `${dir}/run/${model}`;
      const r = await runTaskFile("train", ["--model", model, ...train, ...common, ...clahe, "--out", out]);
      assertEquals(r.code, 0, r.stderr);
    }
    const fitArgs = ["--windows-per-scan", "2", "--samples-per-window", "64", "--batch-size", "64", "--backend", "cpu"];
    const fit = await runTaskFile("fit", [
      "--run",
      `${dir}/run`,
      "--density",
      "flow",
      "--condition",
      "masked",
      "--data",
      `${dir}/ph`,
      "--steps",
      "2",
      "--hidden",
      "16",
      ...fitArgs,
    ]);
    assertEquals(fit.code, 0, fit.stderr);
    const spec = JSON.parse(await Deno.readTextFile(`${dir}/run/density/pipeline.json`));
    assertEquals(spec.conditionKind, "masked");
    assertEquals(spec.windowVox, [16, 16, 16]);
    assertEquals(spec.clahe, { clipLimit: 0.05 });
    const again = await runTaskFile("fit", [
      "--run",
      `${dir}/run`,
      "--density",
      "flow",
      "--data",
      `${dir}/ph`,
      ...fitArgs,
    ]);
    assertEquals(again.code, 1);
    assertStringIncludes(again.stderr, "already holds");
    // A condition model trained without CLAHE cannot pair with the CLAHE descriptor.
    await Deno.mkdir(`${dir}/run2`);
    await Deno.symlink(`${dir}/run/descriptor`, `${dir}/run2/descriptor`);
    const plain = await runTaskFile("train", [
      "--model",
      "condition",
      ...train,
      ...common,
      "--out",
      `${dir}/run2/condition`,
    ]);
    assertEquals(plain.code, 0, plain.stderr);
    const mismatch = await runTaskFile("fit", ["--run", `${dir}/run2`, "--density", "flow", "--data", `${dir}/ph`]);
    assertEquals(mismatch.code, 1);
    assertStringIncludes(mismatch.stderr, "differently preprocessed");
    const inputs = [`${dir}/ph/p0.nii.gz`, `${dir}/ph/p1.nii.gz`];
    const infer = await runTaskFile("infer", [
      "--run",
      `${dir}/run`,
      "--out",
      `${dir}/pred`,
      "--backend",
      "cpu",
      ...inputs,
    ]);
    assertEquals(infer.code, 0, infer.stderr);
    assertEquals(infer.stdout.trim().split("\n"), [`${dir}/pred/p0_anomaly.nii.gz`, `${dir}/pred/p1_anomaly.nii.gz`]);
    for (const [i, path] of inputs.entries()) {
      const ct = await readVolume(path);
      const map = await readVolume(`${dir}/pred/p${i}_anomaly.nii.gz`);
      assert(sameGrid(ct, map, 1e-4));
      assert(map.data instanceof Float32Array);
    }
    const record = JSON.parse(await Deno.readTextFile(`${dir}/pred/config.json`));
    assertEquals(record.task, "infer");
    assertEquals(record.config.smoothMm, 0);
    // --smooth-mm: recorded, same grid, and an average of the scores: less spread than the map as written.
    const smoothed = await runTaskFile("infer", [
      ...["--run", `${dir}/run`, "--out", `${dir}/pred_s`, "--backend", "cpu", "--smooth-mm", "6"],
      inputs[0],
    ]);
    assertEquals(smoothed.code, 0, smoothed.stderr);
    assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/pred_s/config.json`)).config.smoothMm, 6);
    const plainMap = await readVolume(`${dir}/pred/p0_anomaly.nii.gz`);
    const smoothMap = await readVolume(`${dir}/pred_s/p0_anomaly.nii.gz`);
    assert(sameGrid(plainMap, smoothMap, 1e-4) && smoothMap.data.every(Number.isFinite));
    const std = (a: ArrayLike<number>) => {
      let m = 0, q = 0;
      for (let p = 0; p < a.length; p++) m += a[p] / a.length;
      for (let p = 0; p < a.length; p++) q += (a[p] - m) ** 2 / a.length;
      return Math.sqrt(q);
    };
    assert(std(smoothMap.data) < std(plainMap.data), `${std(smoothMap.data)} vs ${std(plainMap.data)}`);
    // The condition model on a coarser grid: recorded in pipeline.json, reused by infer.
    await Deno.mkdir(`${dir}/run3`);
    for (const m of ["descriptor", "condition"]) await Deno.symlink(`${dir}/run/${m}`, `${dir}/run3/${m}`);
    const coarse = await runTaskFile("fit", [
      "--run",
      `${dir}/run3`,
      "--density",
      "flow",
      "--data",
      `${dir}/ph`,
      "--hidden",
      "16",
      "--condition-spacing",
      "12,12,12",
      "--condition-masking",
      "checkerboard",
      ...fitArgs,
      "--steps",
      "2",
    ]);
    assertEquals(coarse.code, 0, coarse.stderr);
    assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/run3/density/pipeline.json`)).conditionSpacingMm, [
      12,
      12,
      12,
    ]);
    const infer3 = await runTaskFile("infer", [
      "--run",
      `${dir}/run3`,
      "--out",
      `${dir}/pred3`,
      "--backend",
      "cpu",
      inputs[0],
    ]);
    assertEquals(infer3.code, 0, infer3.stderr);
    const map3 = await readVolume(`${dir}/pred3/p0_anomaly.nii.gz`);
    assert(sameGrid(map3, await readVolume(inputs[0]), 1e-4) && map3.data.every(Number.isFinite));
  } finally {
    await cleanup();
  }
});

Deno.test("deno task fit and infer reject bad flags (exit 2) and incomplete runs (exit 1) with clear errors", async () => {
  // Each bad fit flag: the extra flags after `--run x --data y`, and what the one error line must say.
  const cases: [string[], string][] = [
    [["--density", "flows"], "flow, gaussian, gaussian-uncond"],
    [["--density", "flow", "--condition", "where"], "masked, positional, none"],
    [
      ["--density", "gaussian-uncond", "--condition", "none", "--condition-spacing", "4,4,6"],
      "Cannot use --condition-spacing with --condition none",
    ],
    [["--density", "flow", "--condition-spacing", "4,4"], 'Cannot use --condition-spacing "4,4"'],
    [
      ["--density", "flow", "--condition-masking", "all"],
      'Cannot use --condition-masking "all": expected checkerboard',
    ],
    [
      ["--density", "flow", "--condition", "positional", "--condition-masking", "checkerboard"],
      "Cannot use --condition-masking with --condition positional",
    ],
  ];
  for (const [flags, message] of cases) {
    const r = await runTaskFile("fit", ["--run", "x", "--data", "y", ...flags]);
    assertEquals(r.code, 2, `${flags.join(" ")}: ${r.stderr}`);
    assertStringIncludes(r.stderr, message);
  }
  const noInputs = await runTaskFile("infer", ["--run", "x", "--out", "y"]);
  assertEquals(noInputs.code, 2);
  const badSmooth = await runTaskFile("infer", ["--run", "x", "--out", "y", "--smooth-mm", "-1", "a.nii.gz"]);
  assertEquals(badSmooth.code, 2);
  assertStringIncludes(badSmooth.stderr, "--smooth-mm");
  const { dir, cleanup } = await tempDir();
  try {
    const missing = await runTaskFile("infer", [
      "--run",
      `${dir}/none`,
      "--out",
      `${dir}/o`,
      "--backend",
      "cpu",
      "a.nii.gz",
    ]);
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, "pipeline.json");
  } finally {
    await cleanup();
  }
});
