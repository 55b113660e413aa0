import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { loadOrt, ORT_VERSION, ortLoaded, OrtSyncSession } from "../../src/nn/_ort_sync.ts";
import { encodeModel, type GraphSpec } from "../../src/nn/_onnx_graph.ts";
import { disposeSessions, MAX_SESSIONS, runCached, sessionCount, setSessionLimit } from "../../src/nn/_sessions.ts";

// The binding is onnxruntime-node's internal API: these tests pin down what _ort_sync.ts relies on.

const GRAPH: GraphSpec = {
  inputs: { a: [2, 3], b: [3, 2], c: [2] },
  outputs: { y: [2, 2], z: [2, 3] },
  nodes: [
    { op: "Gemm", inputs: ["a", "b", "c"], outputs: ["y"], attrs: { alpha: { float: 2 } } },
    { op: "Transpose", inputs: ["b"], outputs: ["bt"], attrs: { perm: [1, 0] } },
    { op: "Reshape", inputs: ["bt", "shape"], outputs: ["z"] },
  ],
  int64: { shape: [2, 3] },
};

Deno.test("ORT_VERSION is the version pinned in deno.json", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assertEquals(config.imports["onnxruntime-node"], `npm:onnxruntime-node@${ORT_VERSION}`);
});

Deno.test("OrtSyncSession.run() computes synchronously into the preallocated outputs", async () => {
  await loadOrt();
  await loadOrt(); // idempotent
  assert(ortLoaded());
  const session = new OrtSyncSession(encodeModel(GRAPH));
  try {
    assertEquals([session.inputNames, session.outputNames], [["a", "b", "c"], ["y", "z"]]);
    const a = Float32Array.of(1, 2, 3, 4, 5, 6), b = Float32Array.of(1, 0, 0, 1, 1, 1), c = Float32Array.of(10, 20);
    const y = new Float32Array(4), z = new Float32Array(6);
    session.run({ a: { data: a, dims: [2, 3] }, b: { data: b, dims: [3, 2] }, c: { data: c, dims: [2] } }, {
      y: { data: y, dims: [2, 2] },
      z: { data: z, dims: [2, 3] },
    });
    // y = 2·a·b + c; written into the arrays given, with no await in between.
    assertEquals(Array.from(y), [2 * 4 + 10, 2 * 5 + 20, 2 * 10 + 10, 2 * 11 + 20]);
    assertEquals(Array.from(z), [1, 0, 1, 0, 1, 1]);
    assertEquals(Array.from(a), [1, 2, 3, 4, 5, 6]); // inputs untouched
  } finally {
    session.dispose();
  }
});

Deno.test("OrtSyncSession reports missing feeds, wrong shapes, bad models and use after dispose", async () => {
  await loadOrt();
  const session = new OrtSyncSession(encodeModel(GRAPH), { intraOpThreads: 1 });
  const feeds = {
    a: { data: new Float32Array(6), dims: [2, 3] },
    b: { data: new Float32Array(6), dims: [3, 2] },
    c: { data: new Float32Array(2), dims: [2] },
  };
  const outputs = { y: { data: new Float32Array(4), dims: [2, 2] }, z: { data: new Float32Array(6), dims: [2, 3] } };
  assertThrows(() => session.run({ a: feeds.a, b: feeds.b }, outputs), Error, 'input "c" is not fed');
  assertThrows(() => session.run(feeds, { y: outputs.y }), Error, 'output "z" has no buffer');
  const wrong = { ...feeds, a: { data: new Float32Array(6), dims: [3, 2] } };
  const error = assertThrows(() => session.run(wrong, outputs), Error, "Cannot run ONNX Runtime session");
  assert(error.cause !== undefined);
  session.dispose();
  session.dispose(); // safe twice
  assert(session.disposed);
  assertThrows(() => session.run(feeds, outputs), Error, "disposed");
  const bad = assertThrows(() => new OrtSyncSession(Uint8Array.of(1, 2, 3)), Error, "Cannot load ONNX model");
  assert(bad.cause !== undefined);
  assertThrows(() => new OrtSyncSession(encodeModel(GRAPH), { intraOpThreads: 0 }), RangeError, "intraOpThreads is 0");
});

Deno.test("encodeModel() rejects a non-integer attribute given as a bare number", () => {
  const graph: GraphSpec = { ...GRAPH, nodes: [{ op: "Gemm", inputs: ["a"], outputs: ["y"], attrs: { alpha: 0.5 } }] };
  const error = assertThrows(() => encodeModel(graph), TypeError, "alpha");
  assertStringIncludes(error.message, "expected { float }");
});

Deno.test("runCached() keeps at most the session limit, dropping the least recently used", async () => {
  await loadOrt();
  disposeSessions();
  setSessionLimit(3);
  try {
    const run = (n: number) => {
      const { y } = runCached(`test.relu:${n}`, () => ({
        inputs: { x: [n] },
        outputs: { y: [n] },
        nodes: [{ op: "Relu", inputs: ["x"], outputs: ["y"] }],
      }), { x: { data: Float32Array.from({ length: n }, (_, i) => i - 1), dims: [n] } });
      return Array.from(y);
    };
    assertEquals(run(2), [0, 0]);
    run(3);
    run(4);
    assertEquals(sessionCount(), 3);
    run(2); // 2 becomes the most recent; 3 is now the oldest
    assertEquals(run(5), [0, 0, 1, 2, 3]);
    assertEquals(sessionCount(), 3);
  } finally {
    setSessionLimit(MAX_SESSIONS);
    disposeSessions();
  }
  assertEquals(sessionCount(), 0);
});
