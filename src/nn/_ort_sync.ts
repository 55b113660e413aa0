/**
 * The one module that touches ONNX Runtime's internal, synchronous Node-API binding.
 *
 * `onnxruntime-node`'s public `InferenceSession.run()` is async only as a wrapper around a synchronous native call
 * (STACK.md, "ONNX Runtime"); tfjs kernels must be synchronous, so the cpu fast kernels call the native session
 * directly: `dist/binding.js` exports `initOrt()` and `binding.InferenceSession` with `loadModel(buffer, byteOffset,
 * byteLength, options)` and `run(feeds, fetches, options)`. Inputs are read from the caller's `Float32Array` without a
 * copy, and a fetch given as a preallocated tensor is written in place. This is internal API: the version is pinned
 * to {@linkcode ORT_VERSION} in `deno.json`, and `test/nn/ort_sync_test.ts` checks the behaviour relied on here.
 *
 * Tensors on both sides are plain float32 buffers with row-major `dims`; the layout (NDHWC, NCDHW) is whatever the
 * graph says.
 *
 * @module
 */
/** The `onnxruntime-node` version whose internal binding this module is written against (pinned in `deno.json`). */
export const ORT_VERSION = "1.30.0";

interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, unknown>, fetches: Record<string, unknown>, options: object): Record<string, unknown>;
  dispose(): void;
  readonly inputMetadata: readonly { name: string }[];
  readonly outputMetadata: readonly { name: string }[];
}

interface LoadedOrt {
  newSession: () => NativeSession;
  newTensor: (data: Float32Array, dims: readonly number[]) => unknown;
}

let loaded: LoadedOrt | undefined;
let loading: Promise<LoadedOrt> | undefined;

/**
 * Loads ONNX Runtime's native binding once (a dynamic import, so that a platform without it still runs the other
 * backends) and initialises it. Later calls return the same promise.
 *
 * @returns Resolves when {@linkcode OrtSyncSession} can be constructed.
 * @throws {Error} If the package or its native library cannot be loaded; the cause is kept.
 */
export function loadOrt(): Promise<void> {
  loading ??= (async () => {
    try {
      const [{ binding, initOrt }, { Tensor }] = await Promise.all([
        import("onnxruntime-node/dist/binding.js"),
        import("onnxruntime-node"),
      ]);
      initOrt();
      loaded = {
        newSession: () => new binding.InferenceSession() as unknown as NativeSession,
        newTensor: (data, dims) => new Tensor("float32", data, dims as number[]),
      };
      return loaded;
    } catch (error) {
      loading = undefined;
      throw new Error(`Cannot load onnxruntime-node@${ORT_VERSION}: ${(error as Error).message}`, { cause: error });
    }
  })();
  return loading.then(() => undefined);
}

/** Whether {@linkcode loadOrt} has completed, so that sessions can be created synchronously. */
export function ortLoaded(): boolean {
  return loaded !== undefined;
}

/** A float32 tensor handed to or filled by ONNX Runtime: a row-major buffer and its dimensions. */
export interface OrtBuffer {
  /** Row-major values, `product(dims)` long. */
  readonly data: Float32Array;
  /** Dimensions, outermost first. */
  readonly dims: readonly number[];
}

/** Options for {@linkcode OrtSyncSession}. */
export interface OrtSyncSessionOptions {
  /** Threads ONNX Runtime uses inside one operator (the calling thread counts as one). @default {2} */
  intraOpThreads?: number;
}

/**
 * A synchronous ONNX Runtime session over an in-memory model, on the CPU execution provider.
 *
 * Session options: `intraOpThreads` threads per operator, one inter-op thread, sequential execution, all graph
 * optimisations, and `allow_spinning` "0" for both thread pools — spinning worker threads otherwise steal the JS
 * thread's core between runs (STACK.md measured 0.29 s → 0.74 s per training step).
 */
export class OrtSyncSession {
  readonly #session: NativeSession;
  readonly #ort: LoadedOrt;
  #disposed = false;
  /** Graph input names, in graph order. */
  readonly inputNames: readonly string[];
  /** Graph output names, in graph order. */
  readonly outputNames: readonly string[];

  /**
   * Loads a serialised ONNX model.
   *
   * @param model `ModelProto` bytes.
   * @param options Thread count.
   * @throws {RangeError} If `intraOpThreads` is not a positive integer.
   * @throws {Error} If {@linkcode loadOrt} has not completed, or ONNX Runtime rejects the model (the native message is kept as `cause`).
   */
  constructor(model: Uint8Array, options: OrtSyncSessionOptions = {}) {
    const { intraOpThreads = 2 } = options;
    if (!Number.isInteger(intraOpThreads) || intraOpThreads < 1) {
      throw new RangeError(`Cannot create ONNX Runtime session: intraOpThreads is ${intraOpThreads}: expected >= 1`);
    }
    if (loaded === undefined) {
      throw new Error("Cannot create ONNX Runtime session: the binding is not loaded: expected await loadOrt() first");
    }
    this.#ort = loaded;
    const session = loaded.newSession();
    try {
      session.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, {
        intraOpNumThreads: intraOpThreads,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
        extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
      });
    } catch (error) {
      throw new Error(`Cannot load ONNX model: ${(error as Error).message}`, { cause: error });
    }
    this.#session = session;
    this.inputNames = session.inputMetadata.map((m) => m.name);
    this.outputNames = session.outputMetadata.map((m) => m.name);
  }

  /**
   * Runs the graph once, synchronously, writing every output into the buffer given for it.
   *
   * @param feeds One buffer per graph input, by name.
   * @param outputs One preallocated buffer per graph output, by name; ONNX Runtime writes into them in place.
   * @throws {Error} If the session was disposed, a name is missing, or ONNX Runtime fails (e.g. on a shape that
   *   disagrees with the graph); the native message is kept as `cause`.
   */
  run(feeds: Readonly<Record<string, OrtBuffer>>, outputs: Readonly<Record<string, OrtBuffer>>): void {
    if (this.#disposed) throw new Error("Cannot run ONNX Runtime session: it was disposed");
    const feedTensors: Record<string, unknown> = {};
    for (const name of this.inputNames) {
      const buffer = feeds[name];
      if (buffer === undefined) throw new Error(`Cannot run ONNX Runtime session: input "${name}" is not fed`);
      feedTensors[name] = this.#ort.newTensor(buffer.data, buffer.dims);
    }
    const fetchTensors: Record<string, unknown> = {};
    for (const name of this.outputNames) {
      const buffer = outputs[name];
      if (buffer === undefined) throw new Error(`Cannot run ONNX Runtime session: output "${name}" has no buffer`);
      fetchTensors[name] = this.#ort.newTensor(buffer.data, buffer.dims);
    }
    try {
      this.#session.run(feedTensors, fetchTensors, {});
    } catch (error) {
      throw new Error(`Cannot run ONNX Runtime session: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Releases the native session; later runs throw. Safe to call twice. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#session.dispose();
  }

  /** Whether {@linkcode OrtSyncSession.dispose} was called. */
  get disposed(): boolean {
    return this.#disposed;
  }
}
