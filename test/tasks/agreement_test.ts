import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { generatePhantom } from "../../src/data/mod.ts";
import { writeVolume } from "../../src/io/mod.ts";
import { tempDir } from "../_support/python.ts";
import { runTaskFile } from "../_support/tasks.ts";

Deno.test("deno task agreement prints per-channel view agreement of a trained model, training and clean views", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    for (const seed of [7, 8]) {
      const ph = generatePhantom(seed, { shape: [80, 64, 48], spacingMm: [4.5, 4.5, 6] });
      await writeVolume(`${dir}/scans/p${seed}.nii.gz`, ph.ct);
    }
    const trained = await runTaskFile("train", [
      ...["--model", "condition", "--config", "tiny", "--crop", "16,16,16", "--batch-size", "2", "--max-pairs", "64"],
      ...["--data", `${dir}/scans`, "--steps", "2", "--out", `${dir}/run`, "--preprocess-spacing", "3,3,3"],
      ...["--backend", "cpu"],
    ]);
    assertEquals(trained.code, 0, trained.stderr);
    const views: Record<string, number> = {};
    for (const clean of [false, true]) {
      const r = await runTaskFile("agreement", [
        ...["--run", `${dir}/run`, "--data", `${dir}/scans`, "--batches", "2", "--backend", "cpu"],
        ...(clean ? ["--clean"] : []),
      ]);
      assertEquals(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assertEquals([out.model, out.views, out.batches], ["condition", clean ? "clean" : "training", 2]);
      assertEquals(out.channels.length, 32);
      assert(out.channels.every((c: number) => c >= -1 && c <= 1), JSON.stringify(out.channels));
      assert(out.mean >= -1 && out.mean <= 1);
      views[out.views] = out.mean;
    }
    // Masks and augmentations only take information away from one view or the other.
    assert(views.clean > views.training, JSON.stringify(views));
  } finally {
    await cleanup();
  }
});

Deno.test("deno task agreement rejects bad flags and a folder without a model, naming them", async () => {
  const cases: [string[], string][] = [
    [["--data", "x"], "--run"],
    [["--run", "x"], "--data"],
    [["--run", "x", "--data", "y", "--batches", "0"], "--batches"],
    [["--run", "/nonexistent/run", "--data", "y"], 'Cannot find a trained model in "/nonexistent/run"'],
  ];
  for (const [args, hint] of cases) {
    const r = await runTaskFile("agreement", args);
    assertEquals(r.code, 2, args.join(" "));
    assertStringIncludes(r.stderr, hint);
  }
});
