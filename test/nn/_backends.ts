/**
 * Runs a test body on every tfjs backend the nn ops support, as `t.step`s: "cpu+fast" (fast kernels), "cpu"
 * (stock kernels, generic path), "wasm", and "webgpu" — the last ignored where no WebGPU adapter exists (CI
 * installs lavapipe through `tasks/setup.sh test`, so it runs there).
 *
 * @module
 */
import { initBackend, tf } from "../../src/nn/mod.ts";

/** The backends every op test runs on. */
export const TEST_BACKENDS = ["cpu+fast", "cpu", "wasm", "webgpu"] as const;
/** One of {@linkcode TEST_BACKENDS}. */
export type TestBackend = typeof TEST_BACKENDS[number];

async function findAdapter(): Promise<string | undefined> {
  // Mesa warns on stderr without a valid XDG_RUNTIME_DIR (STACK.md); a private temp dir silences it.
  if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", await Deno.makeTempDir());
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<{ info?: { description?: string } } | null> } }).gpu;
  const adapter = await gpu?.requestAdapter();
  return adapter ? (adapter.info?.description || "unnamed adapter") : undefined;
}

/** Description of the WebGPU adapter, or undefined where there is none (the webgpu steps are then ignored). */
export const WEBGPU_ADAPTER: string | undefined = await findAdapter();

/** Makes `backend` active (self-check skipped: the backend tests run it). */
export async function useBackend(backend: TestBackend): Promise<void> {
  if (backend === "cpu+fast") await initBackend("cpu", { selfCheck: false });
  else if (backend === "cpu") await initBackend("cpu", { fastKernels: false, selfCheck: false });
  else await initBackend(backend, { selfCheck: false });
}

/**
 * Runs `fn` once per backend of {@linkcode TEST_BACKENDS} as a test step; webgpu is ignored without an adapter.
 *
 * @param only Restrict to these backends.
 */
export async function forEachBackend(
  t: Deno.TestContext,
  fn: (backend: TestBackend) => Promise<void> | void,
  only: readonly TestBackend[] = TEST_BACKENDS,
): Promise<void> {
  for (const backend of only) {
    await t.step({
      name: backend,
      ignore: backend === "webgpu" && WEBGPU_ADAPTER === undefined,
      fn: async () => {
        await useBackend(backend);
        const before = tf.memory().numTensors;
        await fn(backend);
        if (tf.memory().numTensors !== before) {
          throw new Error(`Leaked ${tf.memory().numTensors - before} tensors on ${backend}`);
        }
      },
    });
  }
}
