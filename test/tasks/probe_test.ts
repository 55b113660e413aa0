import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { tempDir } from "../_support/python.ts";
import { runTaskFile, writeTinyPhantomRun } from "../_support/tasks.ts";

Deno.test("deno task probe writes per-tissue probe scores of a pretrained pair", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeTinyPhantomRun(dir);
    const flags = ["--run", `${dir}/run`, "--train", `${dir}/train`, "--test", `${dir}/test`, "--rows-per-scan", "400"];
    const r = await runTaskFile("probe", [
      ...flags,
      "--features",
      "hu,condition",
      "--balanced",
      "--out",
      `${dir}/p`,
      "--backend",
      "cpu",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assertEquals(lines.length, 3, r.stdout);
    assert(lines[1].startsWith("hu ") && lines[2].startsWith("condition "), r.stdout);
    const out = JSON.parse(await Deno.readTextFile(`${dir}/p/probe.json`));
    assertEquals([out.trainScans, out.testScans, out.trainRows, out.testRows], [2, 2, 800, 800]);
    assertEquals(Object.keys(out.probes), ["hu", "condition"]);
    const hu = out.probes.hu;
    assertEquals(hu.dim, 2);
    const tissues = Object.values(hu.test.tissues) as { support: number; recall: number }[];
    assertEquals(tissues.reduce((s, t) => s + t.support, 0), 800);
    const balanced = tissues.reduce((s, t) => s + t.recall, 0) / tissues.length;
    assert(Math.abs(balanced - hu.test.balancedAccuracy) < 1e-12, "balanced accuracy = mean recall of present tissues");
    // Balanced weights trade some lung recall for the rare tissues near lung HU (lung vessels, airway).
    assert(hu.test.tissues.lung.recall > 0.5, `lung is told apart by HU alone: recall ${hu.test.tissues.lung.recall}`);
    const record = JSON.parse(await Deno.readTextFile(`${dir}/p/config.json`));
    assertEquals(record.config.features, ["hu", "condition"]);
    assertEquals(record.config.balanced, true);
    assertEquals(record.config.preprocess.spacingMm, [6, 6, 8]);

    const bad = await runTaskFile("probe", [...flags, "--features", "hu,oops", "--out", "x"]);
    assertEquals(bad.code, 2, bad.stderr);
    assertStringIncludes(
      bad.stderr,
      `"oops" is not a feature set: expected some of hu, descriptor, condition, joined by +`,
    );
    const noTissue = await runTaskFile("probe", [
      ...flags.slice(0, 2),
      "--train",
      `${dir}/run`,
      "--test",
      `${dir}/test`,
      "--out",
      "x",
    ]);
    assertEquals(noTissue.code, 2, noTissue.stderr);
  } finally {
    await cleanup();
  }
});
