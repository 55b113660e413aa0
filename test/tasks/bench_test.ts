import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { runTaskFile } from "../_support/tasks.ts";

Deno.test("deno task bench rejects unknown backends, configs and torch devices, naming the flag", async () => {
  for (
    const [args, expected] of [
      [["train", "--backends", "cpu+fast,cuda"], 'Invalid --backends "cpu+fast,cuda"'],
      [["step", "--config", "huge"], 'Invalid --config "huge": expected one of tiny, small, paper'],
      [["train", "--torch-device", "tpu"], 'Invalid --torch-device "tpu"'],
      [["step", "--crop", "4"], "--crop"],
      [["step", "--crops", "4"], "Cannot parse flags"],
    ] as const
  ) {
    const r = await runTaskFile("bench", [...args]);
    assertEquals(r.code, 2, r.stderr);
    assertStringIncludes(r.stderr, expected);
  }
});

Deno.test("deno task bench step times and profiles one forward + backward pass on the chosen backend", async () => {
  const r = await runTaskFile("bench", [
    "step",
    ...["--config", "tiny", "--batch-size", "1", "--crop", "16", "--repeats", "2", "--backends", "cpu+fast"],
    "--profile",
  ]);
  assertEquals(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assertEquals([out.suite, out.size, out.results.length], ["step", "tiny", 1]);
  const [row] = out.results;
  assertEquals(row.backend, "cpu+fast");
  assertStringIncludes(row.reason, "fast kernels");
  assertEquals(row.seconds.length, 2);
  assert(row.median > 0 && row.seconds.every((s: number) => s > 0), JSON.stringify(row.seconds));
  // The fast kernels serve the U-Net's pointwise layers, 8 per tiny network forward (+ gradients).
  assert(row.by_kernel.ScreenerPointwise.count >= 8, JSON.stringify(row.by_kernel.ScreenerPointwise));
  assert(row.kernels > 100, String(row.kernels));
});
