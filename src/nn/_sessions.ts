/**
 * The cache of ONNX Runtime sessions behind the cpu fast kernels: one session per (graph kind, shapes), built on
 * first use (~1–5 ms) and reused for any weights, since weights are graph inputs. At most
 * {@linkcode MAX_SESSIONS} (by default) are kept (least recently used first out: each session holds a thread pool, and inference
 * over many volume sizes would otherwise grow the cache without bound). {@linkcode disposeSessions} releases them
 * all (called by `disposeBackend()`).
 *
 * @module
 */
import { encodeModel, type GraphSpec } from "./_onnx_graph.ts";
import { type OrtBuffer, OrtSyncSession } from "./_ort_sync.ts";

interface Entry {
  readonly session: OrtSyncSession;
  readonly outputs: readonly (readonly [string, readonly number[]])[];
}

/** Default for the most sessions kept at once; a training run of one crop size needs ~60. */
export const MAX_SESSIONS = 256;
let sessionLimit = MAX_SESSIONS;

/**
 * Changes how many sessions are kept (tests use a small limit); extra ones are disposed at the next miss.
 *
 * @throws {RangeError} If `limit` is not a positive integer.
 */
export function setSessionLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`Cannot set the session limit: ${limit}: expected an integer >= 1`);
  }
  sessionLimit = limit;
}

const sessions = new Map<string, Entry>(); // insertion order = least recently used first
let intraOpThreads = 2;

/**
 * Sets the per-operator thread count of sessions created from now on (existing ones keep theirs).
 *
 * @param threads Threads per ONNX Runtime operator, >= 1.
 * @throws {RangeError} If `threads` is not a positive integer.
 */
export function setSessionThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`Cannot set ONNX Runtime threads: ${threads}: expected an integer >= 1`);
  }
  intraOpThreads = threads;
}

function entryFor(key: string, build: () => GraphSpec): Entry {
  let entry = sessions.get(key);
  if (entry !== undefined) {
    sessions.delete(key); // move to the most recently used end
    sessions.set(key, entry);
  } else {
    while (sessions.size >= sessionLimit) {
      const [oldest, old] = sessions.entries().next().value!;
      old.session.dispose();
      sessions.delete(oldest);
    }
    const spec = build();
    entry = {
      session: new OrtSyncSession(encodeModel(spec), { intraOpThreads }),
      outputs: Object.entries(spec.outputs),
    };
    sessions.set(key, entry);
  }
  return entry;
}

/**
 * Runs the cached graph for `key` (building its session from `build()` on first use) and returns its outputs, each
 * in a new `Float32Array`.
 *
 * @param key Unique per graph kind and shapes, e.g. `conv3d.fwd:2,32,32,32,8:3,3,3,8,16:b`.
 * @param build Makes the graph; called only on a cache miss. Its `outputs` give the returned buffers' sizes.
 * @param feeds One buffer per graph input.
 * @returns Output buffers by name.
 */
export function runCached(
  key: string,
  build: () => GraphSpec,
  feeds: Readonly<Record<string, OrtBuffer>>,
): Record<string, Float32Array> {
  const { session, outputs } = entryFor(key, build);
  const fetches: Record<string, OrtBuffer> = {};
  const result: Record<string, Float32Array> = {};
  for (const [name, dims] of outputs) {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    fetches[name] = { data, dims };
    result[name] = data;
  }
  session.run(feeds, fetches);
  return result;
}

/** How many sessions are cached now. */
export function sessionCount(): number {
  return sessions.size;
}

/** Disposes every cached session and empties the cache. */
export function disposeSessions(): void {
  for (const { session } of sessions.values()) session.dispose();
  sessions.clear();
}
