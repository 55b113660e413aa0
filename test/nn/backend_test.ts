import { assert, assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { WEBGPU_ADAPTER } from "./_backends.ts";
import {
  AUTO_ORDER,
  BACKENDS,
  BackendUnavailableError,
  disposeBackend,
  gelu,
  initBackend,
  parseBackend,
  pointwise,
  TENSORFLOW_BACKEND_ENV,
  tf,
} from "../../src/nn/mod.ts";
import { sessionCount } from "../../src/nn/_sessions.ts";
import { GELU } from "../../src/nn/ops/_gelu_cpu.ts";

Deno.test("parseBackend() accepts every listed name", () => {
  for (const name of BACKENDS) assertEquals(parseBackend(name), name);
});

Deno.test("parseBackend() throws a RangeError listing the valid names", () => {
  const error = assertThrows(() => parseBackend("gpu"), RangeError, 'Cannot use backend "gpu"');
  assertStringIncludes(error.message, "expected one of auto, tensorflow, webgpu, wasm, cpu");
  assertThrows(() => parseBackend("CPU"), RangeError, 'did you mean "cpu"?');
});

Deno.test('initBackend("cpu") reports the fast kernels and a passed self-check', async () => {
  const report = await initBackend("cpu");
  assertEquals([report.name, report.requested, report.fastKernels], ["cpu", "cpu", true]);
  assertStringIncludes(report.reason, "ONNX Runtime 1.30.0");
  assertStringIncludes(report.reason, "self-check");
  assertStringIncludes(report.reason, "passed");
  assertEquals(Object.keys(report.skipped).sort(), ["tensorflow", "wasm", "webgpu"]);
});

Deno.test('initBackend("cpu", { fastKernels: false }) keeps the stock kernels', async () => {
  const report = await initBackend("cpu", { fastKernels: false });
  assertEquals([report.name, report.fastKernels], ["cpu", false]);
  assertStringIncludes(report.reason, "stock kernels");
});

Deno.test('initBackend("tensorflow") says why tfjs-node is unavailable', async () => {
  const error = await assertRejects(() => initBackend("tensorflow"), BackendUnavailableError);
  assertEquals(error.backend, "tensorflow");
  assertStringIncludes(error.message, 'Cannot use backend "tensorflow"');
  assertStringIncludes(error.message, "@tensorflow/tfjs-node");
  assertStringIncludes(error.message, "not installed");
});

async function withEnv<T>(value: string, fn: () => Promise<T>): Promise<T> {
  const old = Deno.env.get(TENSORFLOW_BACKEND_ENV);
  Deno.env.set(TENSORFLOW_BACKEND_ENV, value);
  try {
    return await fn();
  } finally {
    if (old === undefined) Deno.env.delete(TENSORFLOW_BACKEND_ENV);
    else Deno.env.set(TENSORFLOW_BACKEND_ENV, old);
  }
}

Deno.test('initBackend("tensorflow") reports a tfjs-node build that fails to load or registers nothing', async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (
      const [name, body, expected] of [
        [
          "broken",
          'throw new Error("The Node.js native addon module (tfjs_binding.node) can not be found");',
          "native addon",
        ],
        ["empty", "module.exports = {};", 'registered no "tensorflow" backend'],
      ]
    ) {
      await Deno.mkdir(`${dir}/${name}`);
      await Deno.writeTextFile(`${dir}/${name}/package.json`, JSON.stringify({ name, main: "index.js" }));
      await Deno.writeTextFile(`${dir}/${name}/index.js`, body);
      const error = await withEnv(
        `${dir}/${name}`,
        () => assertRejects(() => initBackend("tensorflow"), BackendUnavailableError),
      );
      assertStringIncludes(error.message, expected);
      assertStringIncludes(error.message, `${dir}/${name}`);
    }
    const off = await withEnv("0", () => assertRejects(() => initBackend("tensorflow"), BackendUnavailableError));
    assertStringIncludes(off.message, `disabled by ${TENSORFLOW_BACKEND_ENV}=0`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('initBackend("auto") picks a backend and explains every other one', async () => {
  const report = await initBackend("auto");
  assertEquals(report.name, tf.getBackend());
  assert((AUTO_ORDER as readonly string[]).includes(report.name), report.name);
  assertStringIncludes(report.reason, `auto chose ${report.name}`);
  for (const other of AUTO_ORDER.filter((b) => b !== report.name)) {
    assert((report.skipped[other] ?? "").length > 0, `no reason for ${other}: ${JSON.stringify(report.skipped)}`);
  }
  if (report.name !== "tensorflow") assertStringIncludes(report.skipped.tensorflow, "not installed");
});

Deno.test('initBackend("auto") puts cpu with fast kernels before webgpu and wasm, and stock cpu last', async () => {
  const report = await initBackend("auto");
  if (report.name !== "tensorflow") {
    assertEquals([report.name, report.fastKernels], ["cpu", true]);
    assertStringIncludes(report.skipped.webgpu, "cpu with fast kernels comes first");
    assertStringIncludes(report.skipped.wasm, "cpu with fast kernels comes first");
  }
  // Without fast kernels, a GPU adapter or wasm beats stock cpu.
  const stock = await initBackend("auto", { fastKernels: false });
  if (stock.name !== "tensorflow") assert(["webgpu", "wasm"].includes(stock.name), stock.reason);
  await initBackend("cpu");
});

Deno.test('initBackend("cpu") falls back to the stock kernels when a fast kernel fails the self-check', async () => {
  await initBackend("cpu");
  const good = tf.getKernel(GELU, "cpu")!;
  tf.unregisterKernel(GELU, "cpu");
  // A wrong GELU: the identity. The self-check must notice and switch the fast kernels off.
  tf.registerKernel({
    ...good,
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      const cpu = backend as unknown as {
        data: { get(id: unknown): { values: Float32Array } };
        makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo;
      };
      return cpu.makeTensorInfo(x.shape, "float32", cpu.data.get(x.dataId).values.slice());
    },
  });
  try {
    const report = await initBackend("cpu");
    assertEquals([report.name, report.fastKernels], ["cpu", false]);
    assertStringIncludes(report.reason, "fast kernels off");
    assertStringIncludes(report.reason, "self-check");
    assertStringIncludes(report.reason, "failed");
  } finally {
    tf.unregisterKernel(GELU, "cpu");
    tf.registerKernel(good);
  }
  const again = await initBackend("cpu");
  assert(again.fastKernels, again.reason);
});

Deno.test("disposeBackend() releases the ONNX Runtime sessions, which later ops rebuild", async () => {
  await initBackend("cpu", { selfCheck: false });
  const x = tf.ones([1, 2, 2, 2, 3]) as tf.Tensor5D, w = tf.ones([3, 2]) as tf.Tensor2D;
  tf.tidy(() => pointwise(x, w));
  assert(sessionCount() > 0);
  disposeBackend();
  assertEquals(sessionCount(), 0);
  const y = tf.tidy(() => gelu(pointwise(x, w)));
  assertEquals(Array.from(await y.data()).map((v) => Math.round(v * 1e4) / 1e4), Array(16).fill(2.9964)); // gelu(3)
  tf.dispose([x, w, y]);
});

Deno.test("initBackend() rejects an invalid thread count", async () => {
  await assertRejects(() => initBackend("cpu", { ortThreads: 0 }), RangeError, "ortThreads is 0");
});

Deno.test({
  name: 'initBackend("webgpu") passes the self-check on the available adapter',
  ignore: WEBGPU_ADAPTER === undefined, // no adapter: tasks/setup.sh test installs lavapipe
  fn: async () => {
    const report = await initBackend("webgpu");
    assertEquals([report.name, report.fastKernels], ["webgpu", false]);
    assertStringIncludes(report.reason, WEBGPU_ADAPTER!);
    assertStringIncludes(report.reason, "passed");
  },
});
