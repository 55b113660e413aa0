import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { smoothWithinBody } from "../../src/inference/mod.ts";
import { createVolume, readVolume, writeVolume } from "../../src/io/mod.ts";
import { bodyMask } from "../../src/preprocess/mod.ts";
import { PYTHON, tempDir } from "../_support/python.ts";
import { runTaskFile } from "../_support/tasks.ts";

/** Two small phantoms with lesions (64×64×40 @ 5×5×6 mm) written into `out` by `deno task phantoms`. */
async function writeSmallPhantoms(out: string, seed: number): Promise<void> {
  const made = await runTaskFile("phantoms", [
    ...["--count", "2", "--seed", String(seed), "--shape", "64,64,40", "--spacing", "5,5,6", "--lesion-rate", "1"],
    ...["--out", out],
  ]);
  assertEquals(made.code, 0, made.stderr);
}

/** Runs a Python script of tasks/ with Debian's python3 and parses its JSON output. */
// deno-lint-ignore no-explicit-any
async function runScript(args: string[]): Promise<any> {
  const run = await new Deno.Command(PYTHON, { args, stdout: "piped", stderr: "piped" }).output();
  assert(run.success, new TextDecoder().decode(run.stderr));
  return JSON.parse(new TextDecoder().decode(run.stdout));
}

Deno.test("tasks/experiment_summary.py scores a perfect map 1, a constant map 0.5, and reports its healthy mean", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeSmallPhantoms(`${dir}/test`, 5);
    for (const stem of ["phantom_0000", "phantom_0001"]) {
      const lesions = await readVolume(`${dir}/test/${stem}_lesions.nii.gz`, { unit: "label" });
      // "perfect": 1 on lesion voxels, 0 elsewhere; "constant": 2.5 everywhere.
      const perfect = createVolume(
        Float32Array.from(lesions.data, (v) => (v > 0 ? 1 : 0)),
        lesions.shape,
        lesions.affine,
      );
      await writeVolume(`${dir}/perfect/${stem}_anomaly.nii.gz`, perfect);
      await writeVolume(
        `${dir}/constant/${stem}_anomaly.nii.gz`,
        createVolume(new Float32Array(perfect.data.length).fill(2.5), lesions.shape, lesions.affine),
      );
    }
    const out = await runScript([
      ...["tasks/experiment_summary.py", `${dir}/test`],
      ...[`perfect=${dir}/perfect`, `constant=${dir}/constant`],
    ]);
    const types = Object.keys(out.lesion_voxels);
    assert(types.length > 0, "the phantoms hold lesions");
    for (const t of ["all", ...types]) {
      assertEquals(out.perfect[t], 1, t);
      assertEquals(out.constant[t], 0.5, t);
    }
    assertEquals(out.perfect.healthy_mean, 0);
    assertAlmostEquals(out.constant.healthy_mean, 2.5, 1e-6);
    // raw HU's healthy mean is the mean HU of the lesion-free body: between fat and bone.
    assert(out.raw_hu.healthy_mean > -300 && out.raw_hu.healthy_mean < 300, `${out.raw_hu.healthy_mean}`);
  } finally {
    await cleanup();
  }
});

Deno.test("tasks/smoothing_sweep.py smooths like smoothWithinBody on the CT grid and scores like experiment_summary.py", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeSmallPhantoms(`${dir}/test`, 6);
    const sigmaMm = 9;
    for (const stem of ["phantom_0000", "phantom_0001"]) {
      const lesions = await readVolume(`${dir}/test/${stem}_lesions.nii.gz`, { unit: "label" });
      const ct = await readVolume(`${dir}/test/${stem}.nii.gz`, { unit: "HU" });
      // A lesion indicator plus a seeded ripple, so that smoothing changes the ranking.
      const map = createVolume(
        Float32Array.from(lesions.data, (v, p) => (v > 0 ? 1 : 0) + 0.8 * Math.sin(p * 0.37)),
        lesions.shape,
        lesions.affine,
        "score",
      );
      await writeVolume(`${dir}/raw/${stem}_anomaly.nii.gz`, map);
      await writeVolume(`${dir}/kit/${stem}_anomaly.nii.gz`, smoothWithinBody(map, bodyMask(ct), sigmaMm));
    }
    const out = await runScript([
      ...["tasks/smoothing_sweep.py", `${dir}/test`, `0,${sigmaMm}`],
      ...[`raw=${dir}/raw`, `kit=${dir}/kit`],
    ]);
    const sweep = out.raw[String(sigmaMm)], kit = out.kit["0"];
    for (const key of Object.keys(kit)) assertAlmostEquals(sweep[key], kit[key], 2e-4, key);
    assert(Math.abs(out.raw["0"].all - sweep.all) > 0.01, "smoothing changes the AUROC of the rippled map");
  } finally {
    await cleanup();
  }
});
