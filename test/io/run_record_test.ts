import { assertEquals, assertMatch } from "@std/assert";
import { writeRunRecord } from "../../src/io/mod.ts";
import { tempDir } from "../_support/python.ts";

Deno.test("writeRunRecord() saves config, seed, backend and the pinned package versions from deno.json", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeRunRecord(`${dir}/run`, { task: "unit", config: { seed: 7, count: 2 } });
    const saved = JSON.parse(await Deno.readTextFile(`${dir}/run/config.json`));
    assertEquals(saved.task, "unit");
    assertEquals(saved.config, { seed: 7, count: 2 });
    assertEquals(saved.backend, "none");
    assertEquals(saved.environment.deno, Deno.version.deno);
    const imports = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url))).imports;
    assertEquals(saved.environment.packages["nifti-reader-js"], imports["nifti-reader-js"].split("@").pop());
    assertMatch(saved.environment.date, /^\d{4}-\d\d-\d\dT/);
  } finally {
    await cleanup();
  }
});
