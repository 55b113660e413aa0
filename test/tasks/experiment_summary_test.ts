import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { createVolume, readVolume, writeVolume } from "../../src/io/mod.ts";
import { PYTHON, tempDir } from "../_support/python.ts";
import { runTaskFile } from "../_support/tasks.ts";

Deno.test("tasks/experiment_summary.py scores a perfect map 1, a constant map 0.5, and reports its healthy mean", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const made = await runTaskFile("phantoms", [
      ...["--count", "2", "--seed", "5", "--shape", "64,64,40", "--spacing", "5,5,6", "--lesion-rate", "1"],
      ...["--out", `${dir}/test`],
    ]);
    assertEquals(made.code, 0, made.stderr);
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
    const run = await new Deno.Command(PYTHON, {
      args: ["tasks/experiment_summary.py", `${dir}/test`, `perfect=${dir}/perfect`, `constant=${dir}/constant`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(run.success, new TextDecoder().decode(run.stderr));
    const out = JSON.parse(new TextDecoder().decode(run.stdout));
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
