/**
 * Backend choice for the nn ops: one module picks the tfjs backend, switches the cpu fast kernels on or off, checks
 * the result, and says why (STYLE.md: "One module owns backend choice").
 *
 * @module
 */
import { tf } from "./tf.ts";
import { enableFastKernels } from "./_fast_kernels.ts";
import { loadOrt, ORT_VERSION } from "./_ort_sync.ts";
import { quietSetBackend } from "./_quiet.ts";
import { selfCheck } from "./_self_check.ts";
import { disposeSessions, setSessionThreads } from "./_sessions.ts";
import { loadTfjsNode, TFJS_NODE_ENV } from "./_tfjs_node.ts";
import { installWebgpuWorkarounds } from "./_webgpu_kernels.ts";

/** Backend names accepted by {@linkcode initBackend} (and a `--backend` flag). */
export const BACKENDS = ["auto", "tensorflow", "webgpu", "wasm", "cpu"] as const;
/** One of {@linkcode BACKENDS}. */
export type BackendName = typeof BACKENDS[number];

/**
 * The order in which `auto` tries backends: the first that starts and passes the self-check wins ("cpu" here means
 * cpu with the fast kernels; stock cpu comes last). cpu precedes webgpu because it was measured faster even against a
 * data-centre GPU: on an NVIDIA H200 (16 cores, 2 ONNX Runtime threads per op) a tiny training step took 0.77 s on
 * cpu + fast kernels and 2.41 s on webgpu, and 2.7 s against 7.0 s for the `small` config with 8 crop pairs of 24³
 * (tfjs-backend-webgpu spends ~90 % of a step outside its kernels, dispatching ~3,000 of them).
 */
export const AUTO_ORDER = ["tensorflow", "cpu", "webgpu", "wasm"] as const;

/**
 * Parses a backend name (e.g. a `--backend` flag).
 *
 * @param value The text to parse.
 * @returns The name, typed.
 * @throws {RangeError} If `value` is not one of {@linkcode BACKENDS}; the message lists them.
 * @example
 * ```ts
 * import { parseBackend } from "./backend.ts";
 * if (parseBackend("wasm") !== "wasm") throw new Error("unreachable");
 * ```
 */
export function parseBackend(value: string): BackendName {
  const found = BACKENDS.find((b) => b === value);
  if (found !== undefined) return found;
  const close = BACKENDS.find((b) => b === value.trim().toLowerCase());
  const hint = close === undefined ? "" : ` (did you mean "${close}"?)`;
  throw new RangeError(`Cannot use backend "${value}": expected one of ${BACKENDS.join(", ")}${hint}`);
}

/** What {@linkcode initBackend} did: the caller prints it (`src/` never does). */
export interface BackendReport {
  /** The tfjs backend now active (`tf.getBackend()`): "tensorflow", "webgpu", "wasm" or "cpu". */
  readonly name: string;
  /** What the caller asked for. */
  readonly requested: BackendName;
  /** Whether the cpu fast kernels (ONNX Runtime convolutions and matmuls, fused JS ops) serve the nn ops. */
  readonly fastKernels: boolean;
  /** Why this backend, in one sentence, with the self-check result. */
  readonly reason: string;
  /** For every other backend, why it was not chosen. */
  readonly skipped: Readonly<Record<string, string>>;
}

/** Options for {@linkcode initBackend}. */
export interface InitBackendOptions {
  /** On the cpu backend, serve the nn ops with the fast kernels (false: stock tfjs kernels). @default {true} */
  fastKernels?: boolean;
  /** ONNX Runtime threads per operator for the fast kernels. @default {2} */
  ortThreads?: number;
  /** Run the start-up self-check (a tiny forward and gradient check of every op against stock cpu). @default {true} */
  selfCheck?: boolean;
  /** Let `auto` choose WebGPU on a software fallback adapter (lavapipe), which is slower than cpu. @default {false} */
  softwareWebgpu?: boolean;
}

/** Thrown when an explicitly requested backend cannot be used; `reason` says why without the prefix. */
export class BackendUnavailableError extends Error {
  /**
   * @param backend The backend that was requested.
   * @param reason Why it cannot be used.
   */
  constructor(readonly backend: BackendName, readonly reason: string, options?: ErrorOptions) {
    super(`Cannot use backend "${backend}": ${reason}`, options);
    this.name = "BackendUnavailableError";
  }
}

type Attempt = { ok: true; fast: boolean; reason: string } | { ok: false; reason: string };

interface Settings {
  fastKernels: boolean;
  ortThreads: number;
  selfCheck: boolean;
  softwareWebgpu: boolean;
  auto: boolean;
}

async function checked(name: string, fast: boolean, what: string, settings: Settings): Promise<Attempt> {
  if (!settings.selfCheck) return { ok: true, fast, reason: `${what}; self-check skipped` };
  const check = await selfCheck();
  return check.ok
    ? { ok: true, fast, reason: `${what}; ${check.detail}` }
    : { ok: false, reason: `${name}: ${check.detail}` };
}

async function tryTensorflow(settings: Settings): Promise<Attempt> {
  const load = await loadTfjsNode();
  if ("reason" in load) return { ok: false, reason: load.reason };
  if (!(await quietSetBackend("tensorflow"))) {
    return { ok: false, reason: `${load.loaded} registered "tensorflow" but tf.setBackend("tensorflow") failed` };
  }
  return await checked("tensorflow", false, `native TensorFlow through ${load.loaded}`, settings);
}

interface GpuAdapterLike {
  readonly info?: { readonly description?: string; readonly vendor?: string; readonly isFallbackAdapter?: boolean };
}

/**
 * Mesa's Vulkan drivers print "XDG_RUNTIME_DIR is invalid or not set" on stderr when asked for an adapter without
 * one (STACK.md); `src/` prints nothing, so where it is unset (Linux) it is pointed at a fresh 0700 temp dir.
 * Without env or write permission the warning is simply left alone.
 */
function ensureXdgRuntimeDir(): void {
  try {
    if (Deno.build.os === "linux" && !Deno.env.get("XDG_RUNTIME_DIR")) {
      Deno.env.set("XDG_RUNTIME_DIR", Deno.makeTempDirSync({ prefix: "screener-kit-xdg-" }));
    }
  } catch {
    // no --allow-env / --allow-write: Mesa may print its warning
  }
}

async function tryWebgpu(settings: Settings): Promise<Attempt> {
  ensureXdgRuntimeDir();
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } } | undefined)
    ?.gpu;
  if (gpu === undefined) return { ok: false, reason: "navigator.gpu is not available in this runtime" };
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (error) {
    return { ok: false, reason: `navigator.gpu.requestAdapter() threw: ${(error as Error).message}` };
  }
  if (adapter === null) {
    return {
      ok: false,
      reason: "no WebGPU adapter (navigator.gpu.requestAdapter() returned null): install mesa-vulkan-drivers and " +
        "libvulkan1 for the lavapipe software adapter, or use a GPU with Vulkan drivers",
    };
  }
  const description = adapter.info?.description || adapter.info?.vendor || "unnamed adapter";
  const software = adapter.info?.isFallbackAdapter === true;
  if (software && settings.auto && !settings.softwareWebgpu) {
    return {
      ok: false,
      reason: `only a software fallback adapter (${description}), 2–9× slower than cpu: ` +
        `pass "webgpu" or softwareWebgpu: true to use it anyway`,
    };
  }
  try {
    await import("@tensorflow/tfjs-backend-webgpu");
  } catch (error) {
    return { ok: false, reason: `cannot load @tensorflow/tfjs-backend-webgpu: ${(error as Error).message}` };
  }
  if (!(await quietSetBackend("webgpu"))) {
    return { ok: false, reason: `tf.setBackend("webgpu") failed on ${description}` };
  }
  installWebgpuWorkarounds();
  const kind = software ? "software fallback adapter" : "adapter";
  return await checked("webgpu", false, `WebGPU on ${kind} ${description}`, settings);
}

async function tryWasm(settings: Settings): Promise<Attempt> {
  try {
    await import("@tensorflow/tfjs-backend-wasm");
  } catch (error) {
    return { ok: false, reason: `cannot load @tensorflow/tfjs-backend-wasm: ${(error as Error).message}` };
  }
  if (!(await quietSetBackend("wasm"))) return { ok: false, reason: 'tf.setBackend("wasm") failed' };
  return await checked(
    "wasm",
    false,
    "tfjs wasm backend (SIMD, 1 thread; conv3d's input gradient routed around its wrong Conv3DBackpropInputV2)",
    settings,
  );
}

async function tryCpu(settings: Settings, fast: boolean): Promise<Attempt> {
  enableFastKernels(false);
  if (!(await quietSetBackend("cpu"))) return { ok: false, reason: 'tf.setBackend("cpu") failed' };
  if (!fast) return await checked("cpu", false, "tfjs cpu backend with its stock kernels", settings);
  try {
    await loadOrt();
  } catch (error) {
    return { ok: false, reason: `fast kernels unavailable: ${(error as Error).message}` };
  }
  setSessionThreads(settings.ortThreads);
  enableFastKernels(true);
  const what = `tfjs cpu backend with fast kernels (ONNX Runtime ${ORT_VERSION} convolutions and matmuls, ` +
    `${settings.ortThreads} threads per op; fused layerNorm, GELU and addScaled; faster stock broadcasts, ` +
    `transposes, slices and reductions)`;
  const attempt = await checked("cpu", true, what, settings);
  if (!attempt.ok) enableFastKernels(false);
  return attempt;
}

/**
 * Chooses and starts the tfjs backend for the nn ops, and reports what it did and why.
 *
 * - `"tensorflow"`: native TensorFlow through `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`, only if
 *   already installed (they cannot be installed here; see `SCREENER_TFJS_NODE` in `_tfjs_node.ts`).
 * - `"webgpu"`: Deno's `navigator.gpu` with `@tensorflow/tfjs-backend-webgpu`; on lavapipe slow but correct.
 * - `"wasm"`: `@tensorflow/tfjs-backend-wasm` (the ops avoid its wrong conv3d input-gradient kernel).
 * - `"cpu"`: tfjs's cpu backend plus the fast kernels (ONNX Runtime convolutions and matmuls through its synchronous
 *   binding, fused layerNorm/GELU/addScaled, faster float32 broadcasts, transposes, slices and sums in place of the
 *   stock cpu kernels' generic paths); `fastKernels: false` keeps the stock kernels.
 * - `"auto"`: the first of {@linkcode AUTO_ORDER} that starts and passes the self-check — tensorflow, then cpu with
 *   fast kernels (~4× wasm per training step here, ~3× webgpu on an H200), then webgpu on a hardware adapter (a
 *   software one only with `softwareWebgpu`), then wasm, then stock cpu.
 *
 * Every candidate is checked (unless `selfCheck: false`) by a tiny forward and gradient computation of every op,
 * compared with the stock cpu backend. An explicit name whose check fails, or that cannot start, throws; on the
 * cpu backend a failed fast-kernel check falls back to the stock kernels and says so.
 *
 * @param name Backend to use. @default {"auto"}
 * @param options Fast kernels, threads, self-check, software WebGPU.
 * @returns What is active and why; `skipped` explains every other backend.
 * @throws {BackendUnavailableError} If an explicitly named backend cannot be used, or (auto) none can.
 * @throws {RangeError} If `ortThreads` is not a positive integer.
 * @example
 * ```ts ignore
 * const report = await initBackend("auto");
 * console.error(`backend: ${report.name} (${report.reason})`);
 * ```
 */
export async function initBackend(
  name: BackendName = "auto",
  options: InitBackendOptions = {},
): Promise<BackendReport> {
  const { fastKernels = true, ortThreads = 2, selfCheck = true, softwareWebgpu = false } = options;
  parseBackend(name);
  if (!Number.isInteger(ortThreads) || ortThreads < 1) {
    throw new RangeError(`Cannot initialise backend: ortThreads is ${ortThreads}: expected an integer >= 1`);
  }
  const settings: Settings = { fastKernels, ortThreads, selfCheck, softwareWebgpu, auto: name === "auto" };
  const skipped: Record<string, string> = {};
  const attempt = (backend: string): Promise<Attempt> => {
    enableFastKernels(false);
    switch (backend) {
      case "tensorflow":
        return tryTensorflow(settings);
      case "webgpu":
        return tryWebgpu(settings);
      case "wasm":
        return tryWasm(settings);
      default:
        return tryCpu(settings, fastKernels);
    }
  };
  const report = (chosen: string, result: Attempt & { ok: true }, prefix = ""): BackendReport => ({
    name: tf.getBackend(),
    requested: name,
    fastKernels: result.fast,
    reason: `${prefix}${chosen}: ${result.reason}`,
    skipped,
  });

  if (name !== "auto") {
    for (const other of AUTO_ORDER) if (other !== name) skipped[other] = "not requested";
    const result = await attempt(name);
    if (result.ok) return report(name, result);
    if (name === "cpu" && fastKernels) {
      const stock = await tryCpu(settings, false);
      if (stock.ok) return report("cpu", stock, `fast kernels off (${result.reason}); `);
    }
    throw new BackendUnavailableError(name, result.reason);
  }

  // cpu takes its place in AUTO_ORDER only with the fast kernels; stock cpu (~50× slower) is the last resort.
  const order: { backend: string; fast: boolean }[] = [
    ...AUTO_ORDER.filter((backend) => backend !== "cpu" || fastKernels).map((backend) => ({
      backend,
      fast: backend === "cpu",
    })),
    { backend: "cpu", fast: false },
  ];
  for (let i = 0; i < order.length; i++) {
    const { backend, fast } = order[i];
    const result = backend === "cpu" ? await tryCpu(settings, fast) : await attempt(backend);
    if (result.ok) {
      const label = backend === "cpu" && fast ? "cpu with fast kernels" : backend;
      for (const later of order.slice(i + 1).filter((o) => o.backend !== backend)) {
        skipped[later.backend] ??= `not tried: ${label} comes first in auto's order (${AUTO_ORDER.join(" > ")})`;
      }
      return report(backend, result, "auto chose ");
    }
    skipped[backend] = skipped[backend] === undefined ? result.reason : `${skipped[backend]}; ${result.reason}`;
  }
  const list = Object.entries(skipped).map(([b, r]) => `${b}: ${r}`).join("; ");
  throw new BackendUnavailableError("auto", `no backend passed: ${list}`);
}

/**
 * Releases what {@linkcode initBackend} set up for the fast kernels: every cached ONNX Runtime session. The active
 * tfjs backend and its tensors are left alone; fast ops run after this rebuild their sessions on demand.
 */
export function disposeBackend(): void {
  disposeSessions();
}

/** Name of the environment variable that points `"tensorflow"` at a tfjs-node build (see `_tfjs_node.ts`). */
export const TENSORFLOW_BACKEND_ENV = TFJS_NODE_ENV;
