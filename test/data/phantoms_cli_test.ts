import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { readVolume } from "../../src/io/mod.ts";
import { tempDir } from "../_support/python.ts";
import { runTaskFile } from "../_support/tasks.ts";

const TINY = ["--shape", "64,64,32", "--spacing", "5.6,5.6,10"];

Deno.test("deno task phantoms writes numbered CT, mask and sidecar; phantom i does not depend on --count", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const a = await runTaskFile("phantoms", ["--count", "2", "--seed", "9", "--out", `${dir}/a`, ...TINY]);
    assertEquals(a.code, 0, a.stderr);
    const stems = ["phantom_0000", "phantom_0001"];
    assertEquals(
      a.stdout.trim().split("\n"),
      stems.flatMap((s) => [`${dir}/a/${s}.nii.gz`, `${dir}/a/${s}_lesions.nii.gz`, `${dir}/a/${s}.json`]),
    );
    assertStringIncludes(a.stderr, "phantoms 2/2");
    const b = await runTaskFile("phantoms", [
      "--count",
      "3",
      "--seed",
      "9",
      "--out",
      `${dir}/b`,
      "--lesion-rate",
      "0.8",
      ...TINY,
    ]);
    assertEquals(b.code, 0, b.stderr);
    const ctA = await readVolume(`${dir}/a/phantom_0001.nii.gz`),
      ctB = await readVolume(`${dir}/b/phantom_0001.nii.gz`);
    assert(ctA.data instanceof Int16Array);
    assertEquals(ctA.data, ctB.data);
    assertEquals(ctA.shape, [64, 64, 32]);
    const mask = await readVolume(`${dir}/a/phantom_0001_lesions.nii.gz`);
    assert(mask.data instanceof Uint8Array && mask.data.every((v) => v === 0 || v === 1));
    const info = JSON.parse(await Deno.readTextFile(`${dir}/a/phantom_0001.json`));
    assertEquals(info, JSON.parse(await Deno.readTextFile(`${dir}/b/phantom_0001.json`)));
    assertEquals(info.index, 1);
    assertEquals(info.baseSeed, 9);
    assertEquals(
      mask.data.reduce((s, v) => s + v, 0),
      info.lesions.reduce((s: number, l: { voxelCount: number }) => s + l.voxelCount, 0),
    );
  } finally {
    await cleanup();
  }
});

Deno.test("deno task phantoms exits with code 2 on bad flags", async () => {
  for (
    const args of [
      ["--count", "abc", "--out", "x"],
      ["--count", "2"],
      ["--count", "2", "--out", "x", "--shape", "64,64"],
      ["--count", "2", "--out", "x", "--lesion-rate", "2"],
      ["--count", "2", "--out", "x", "--bogus"],
    ]
  ) {
    const r = await runTaskFile("phantoms", args);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assertStringIncludes(r.stderr, "error: ");
    assertEquals(r.stdout, "");
  }
});

Deno.test("deno task baselines prints pooled AUROCs of the trivial scores", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const g = await runTaskFile("phantoms", [
      "--count",
      "2",
      "--seed",
      "4",
      "--out",
      dir,
      "--lesion-rate",
      "1",
      ...TINY,
    ]);
    assertEquals(g.code, 0, g.stderr);
    const r = await runTaskFile("baselines", ["--data", dir]);
    assertEquals(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assertEquals(result.cases, 2);
    for (const v of [result.auroc.rawHu, result.auroc.huDensity]) assert(v > 0 && v < 1, String(v));
    const empty = await runTaskFile("baselines", ["--data", `${dir}/nothing-here`]);
    assertEquals(empty.code, 2, empty.stderr);
  } finally {
    await cleanup();
  }
});
