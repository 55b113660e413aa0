import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { readVolume, sameGrid } from "../../src/io/mod.ts";
import { tempDir } from "../_support/python.ts";
import { runTaskFile, writeTinyPhantomRun } from "../_support/tasks.ts";

Deno.test("deno task ablate fits the chosen cells of a pretrained pair and writes one map folder per cell", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeTinyPhantomRun(dir);
    const flags = ["--train", `${dir}/train`, "--test", `${dir}/test`, "--steps", "3", "--rows-per-scan", "500"];
    const r = await runTaskFile("ablate", [
      "--run",
      `${dir}/run`,
      ...flags,
      "--batch-size",
      "128",
      "--cells",
      "hu_tissue,descriptor_condition",
      "--out",
      `${dir}/abl`,
      "--backend",
      "cpu",
    ]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim().split("\n").length, 4, r.stdout);
    for (const cell of ["hu_tissue", "descriptor_condition"]) {
      for (const stem of ["phantom_0000", "phantom_0001"]) {
        const map = await readVolume(`${dir}/abl/${cell}/${stem}_anomaly.nii.gz`);
        const ct = await readVolume(`${dir}/test/${stem}.nii.gz`);
        assert(sameGrid(map, ct), `${cell}/${stem} overlays its CT`);
        assert(map.data instanceof Float32Array && map.data.every(Number.isFinite));
      }
    }
    const record = JSON.parse(await Deno.readTextFile(`${dir}/abl/config.json`));
    assertEquals(record.config.cells, ["hu_tissue", "descriptor_condition"]);
    assertEquals(record.config.preprocess.spacingMm, [6, 6, 8]);
    assertEquals(record.config.windowVox, [16, 16, 16]);
    assertStringIncludes(r.stderr, "ablate: fitted 2 cells on 1000 rows of 2 phantoms");

    // Bad flags exit 2 naming the flag; a run without a condition model exits 2 saying what is needed.
    const bad = await runTaskFile("ablate", ["--run", `${dir}/run`, ...flags, "--cells", "hu_oops", "--out", "x"]);
    assertEquals(bad.code, 2, bad.stderr);
    assertStringIncludes(
      bad.stderr,
      `Cannot use --cells "hu_oops": "hu_oops" is not a cell: expected some of hu_tissue`,
    );
    const noRun = await runTaskFile("ablate", [...flags, "--out", "x"]);
    assertEquals(noRun.code, 2);
    assertStringIncludes(noRun.stderr, "Missing required flag --run");
    // A run without a condition model: one error naming what is missing (no density is needed).
    await Deno.mkdir(`${dir}/half`);
    await Deno.symlink(`${dir}/run/descriptor`, `${dir}/half/descriptor`);
    const half = await runTaskFile("ablate", ["--run", `${dir}/half`, ...flags, "--out", `${dir}/abl2`]);
    assertEquals(half.code, 1, half.stderr);
    assertStringIncludes(half.stderr, `${dir}/half/condition`);
  } finally {
    await cleanup();
  }
});
