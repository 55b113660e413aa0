import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { generatePhantom } from "../../src/data/mod.ts";
import { writeVolume } from "../../src/io/mod.ts";
import { loadCheckpoint, readJsonl } from "../../src/train/mod.ts";
import { tempDir } from "../_support/python.ts";
import { runTaskFile } from "../_support/tasks.ts";

const SMALL = ["--config", "tiny", "--crop", "16,16,16", "--batch-size", "2", "--max-pairs", "64"];

Deno.test("deno task train writes config.json, log.jsonl and a checkpoint, and --resume continues the run", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    // A manifest with one relative path and a comment.
    const ph = generatePhantom(7, { shape: [80, 64, 48], spacingMm: [4.5, 4.5, 6] });
    await writeVolume(`${dir}/scans/a.nii.gz`, ph.ct);
    await Deno.writeTextFile(`${dir}/scans/train.txt`, "# training scans\na.nii.gz\n");
    const common = [
      "--model",
      "condition",
      ...SMALL,
      "--data",
      `${dir}/scans/train.txt`,
      "--seed",
      "3",
      "--out",
      `${dir}/run`,
      "--backend",
      "cpu",
      "--preprocess-spacing",
      "3,3,3",
      "--checkpoint-every",
      "2",
      ...["--min-spacing", "3,3,3", "--max-spacing", "5,5,6", "--mask-ratio", "0.8", "--projector-dim", "32"],
    ];
    const first = await runTaskFile("train", [...common, "--steps", "2"]);
    assertEquals(first.code, 0, first.stderr);
    assertEquals(first.stdout.trim(), `${dir}/run`);
    assertStringIncludes(first.stderr, "backend cpu");
    const config = JSON.parse(await Deno.readTextFile(`${dir}/run/config.json`));
    assertEquals(config.task, "train");
    assertEquals(config.config.model, "condition");
    assertEquals(config.config.seed, 3);
    assertEquals(
      [config.config.minSpacingMm, config.config.maxSpacingMm, config.config.maskRatio, config.config.projectorDim],
      [[3, 3, 3], [5, 5, 6], 0.8, 32],
    );
    assert(config.environment.packages["@tensorflow/tfjs"]);
    const again = await runTaskFile("train", [...common, "--steps", "4"]);
    assertEquals(again.code, 1);
    assertStringIncludes(again.stderr, "already holds a checkpoint");
    const resumed = await runTaskFile("train", [...common, "--steps", "4", "--resume"]);
    assertEquals(resumed.code, 0, resumed.stderr);
    const log = await readJsonl<{ step: number; loss: number }>(`${dir}/run/log.jsonl`);
    assertEquals(log.map((r) => r.step), [1, 2, 3, 4]);
    assert(log.every((r) => Number.isFinite(r.loss)));
    const ckpt = await loadCheckpoint<{ step: number }>(`${dir}/run/checkpoint.bin`);
    assertEquals(ckpt.meta.step, 4);
    assert(ckpt.tensors.has("model/mask_token"));
  } finally {
    await cleanup();
  }
});

Deno.test("deno task train rejects bad flags with exit code 2 and a hint", async () => {
  const base = ["--model", "descriptor", "--data", "x", "--out", "y"];
  const cases: [string[], number, string][] = [
    [["--model", "descriptr", "--data", "x", "--out", "y"], 2, 'Cannot use --model "descriptr"'],
    [[...base, "--backend", "gpu"], 2, "auto, tensorflow, webgpu, wasm, cpu"],
    [["--model", "descriptor", "--out", "y"], 2, "--data"],
    [[...base, "--crop", "30,30,30"], 1, "divisible by 4"],
    [[...base, "--augment-strength", "2"], 2, "--augment-strength"],
    [[...base, "--clahe", "0"], 2, "--clahe"],
    [[...base, "--max-spacing", "4,4"], 2, "--max-spacing"],
    [[...base, "--mask-ratio", "1.5"], 2, "--mask-ratio"],
    [[...base, "--projector-dim", "0"], 2, "--projector-dim"],
    [[...base, "--min-spacing", "3,3,3", "--max-spacing", "2,2,3"], 2, "expected each axis ≥ minSpacingMm"],
  ];
  for (const [args, code, hint] of cases) {
    const r = await runTaskFile("train", args);
    assertEquals(r.code, code, args.join(" "));
    assertStringIncludes(r.stderr, hint);
  }
});
