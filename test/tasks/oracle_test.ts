import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { deriveSeed, generatePhantom } from "../../src/data/mod.ts";
import { readVolume, sameGrid } from "../../src/io/mod.ts";
import { tempDir } from "../_support/python.ts";
import { runTaskFile } from "../_support/tasks.ts";

const TINY = ["--shape", "48,48,32", "--spacing", "7.5,7.5,10"];

Deno.test("deno task oracle names the folder and the fix when a tissue file is missing", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const g = await runTaskFile("phantoms", ["--count", "2", "--seed", "3", "--out", `${dir}/train`, ...TINY]);
    assertEquals(g.code, 0, g.stderr);
    const r = await runTaskFile("oracle", [
      "--train",
      `${dir}/train`,
      "--test",
      `${dir}/train`,
      "--out",
      `${dir}/maps`,
    ]);
    assertEquals(r.code, 2, r.stderr);
    assertStringIncludes(
      r.stderr,
      `error: Cannot find the tissue labels of 2 of 2 phantoms in the --train folder "${dir}/train": ` +
        `"${dir}/train/phantom_0000_tissue.nii.gz" is missing`,
    );
    assertStringIncludes(r.stderr, `hint: rewrite the folder with tissue labels: deno task phantoms --count 2`);
    assertStringIncludes(r.stderr, `--out ${dir}/train --write-tissue`);
    assertEquals(r.stdout, "");
    const none = await runTaskFile("oracle", ["--train", `${dir}/nothing`, "--test", `${dir}/train`, "--out", "x"]);
    assertEquals(none.code, 2, none.stderr);
    assertStringIncludes(none.stderr, `Cannot read the --train folder "${dir}/nothing"`);
    const noOut = await runTaskFile("oracle", ["--train", `${dir}/train`, "--test", `${dir}/train`]);
    assertEquals(noOut.code, 2);
    assertStringIncludes(noOut.stderr, "Missing required flag --out");
  } finally {
    await cleanup();
  }
});

Deno.test("deno task oracle fits on --write-tissue phantoms and writes float32 maps on each CT's grid", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const a = await runTaskFile("phantoms", [
      "--count",
      "2",
      "--seed",
      "3",
      "--out",
      `${dir}/train`,
      "--write-tissue",
      ...TINY,
    ]);
    assertEquals(a.code, 0, a.stderr);
    assertStringIncludes(a.stdout, `${dir}/train/phantom_0001_tissue.nii.gz`);
    const tissue = await readVolume(`${dir}/train/phantom_0001_tissue.nii.gz`);
    const truth = generatePhantom(deriveSeed(3, 1), { shape: [48, 48, 32], spacingMm: [7.5, 7.5, 10] }).tissue;
    assert(tissue.data instanceof Uint8Array);
    assertEquals(tissue.data, truth.data);
    assert(sameGrid(tissue, truth));
    const b = await runTaskFile("phantoms", [
      "--count",
      "1",
      "--seed",
      "4",
      "--lesion-rate",
      "1",
      "--out",
      `${dir}/test`,
      "--write-tissue",
      ...TINY,
    ]);
    assertEquals(b.code, 0, b.stderr);
    const r = await runTaskFile("oracle", [
      "--train",
      `${dir}/train`,
      "--test",
      `${dir}/test`,
      "--out",
      `${dir}/maps`,
      "--spacing",
      "7.5,7.5,10",
      "--steps",
      "5",
      "--rows-per-scan",
      "500",
      "--batch-size",
      "128",
      "--hidden",
      "16",
      "--backend",
      "cpu",
    ]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim(), `${dir}/maps/phantom_0000_anomaly.nii.gz`);
    assertStringIncludes(r.stderr, "oracle: fit 5/5");
    const map = await readVolume(`${dir}/maps/phantom_0000_anomaly.nii.gz`);
    const ct = await readVolume(`${dir}/test/phantom_0000.nii.gz`);
    assert(map.data instanceof Float32Array && map.data.every(Number.isFinite));
    assert(sameGrid(map, ct));
    const record = JSON.parse(await Deno.readTextFile(`${dir}/maps/config.json`));
    assertEquals(record.task, "oracle");
    assertEquals(record.config.steps, 5);
    assertEquals(record.config.trainScans, ["phantom_0000", "phantom_0001"]);
    assertEquals(record.config.spacingMm, [7.5, 7.5, 10]);
  } finally {
    await cleanup();
  }
});
