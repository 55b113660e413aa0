import { assertEquals } from "@std/assert";
import { JsonlLog, readJsonl } from "../../src/train/mod.ts";
import { tempDir } from "../_support/python.ts";

Deno.test("JsonlLog.open() with keepUpToStep drops later records so a resumed log matches an uninterrupted one", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = `${dir}/log.jsonl`;
    const log = await JsonlLog.open(path);
    for (let step = 1; step <= 5; step++) await log.write({ step, loss: step * 0.5 });
    log.close();
    const resumed = await JsonlLog.open(path, { keepUpToStep: 3 });
    await resumed.write({ step: 4, loss: 9 });
    resumed.close();
    assertEquals(await readJsonl(path), [{ step: 1, loss: 0.5 }, { step: 2, loss: 1 }, { step: 3, loss: 1.5 }, {
      step: 4,
      loss: 9,
    }]);
  } finally {
    await cleanup();
  }
});

Deno.test("readJsonl() drops a torn final line left by a crash", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/l.jsonl`, '{"step":1}\n{"step":2}\n{"st');
    assertEquals(await readJsonl(`${dir}/l.jsonl`), [{ step: 1 }, { step: 2 }]);
  } finally {
    await cleanup();
  }
});
