/**
 * `checkOp()`: the forward of an op against a float64 reference loop, and its gradients with respect to every
 * argument against central finite differences of that reference, on the active backend.
 *
 * @module
 */
import { tf } from "../../src/nn/mod.ts";
import { dot, finiteDifferences, type Ref, ref, seededValues } from "./_reference.ts";

/** An op under test. */
export interface OpCase {
  /** Argument shapes, in `apply`'s order (e.g. x, w, b). */
  shapes: number[][];
  /** The op on tfjs tensors. */
  apply: (...args: tf.Tensor[]) => tf.Tensor;
  /** The same op from its definition, on float64 arrays. */
  reference: (...args: Ref[]) => Ref;
  /** Maps each argument's seeded values in [-1, 1) before use (e.g. keep a scale near 1). */
  init?: (k: number, values: Float32Array) => void;
}

/** Tolerances: |got − want| <= tol · (1 + |want|). */
export interface Tolerances {
  /** For the forward output. @default {2e-5} */
  forward?: number;
  /** For each gradient. @default {2e-4} */
  grad?: number;
  /** Finite-difference step. @default {1e-3} */
  step?: number;
  /** Entries checked per argument (all if fewer). @default {48} */
  samples?: number;
}

function worst(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): { error: number; at: number } {
  let error = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(e <= error)) [error, at] = [Number.isNaN(e) ? Infinity : e, i];
  }
  return error <= tol ? { error, at: -1 } : { error, at };
}

/**
 * Checks an op's forward and gradients on the active backend.
 *
 * @returns The largest relative errors found (forward, then one per argument).
 * @throws {Error} If any value is out of tolerance, naming the argument and index.
 */
export async function checkOp(op: OpCase, tolerances: Tolerances = {}): Promise<number[]> {
  const { forward = 2e-5, grad = 2e-4, step = 1e-3, samples = 48 } = tolerances;
  const values = op.shapes.map((shape, k) => {
    const v = seededValues(shape.reduce((a, b) => a * b, 1), 101 + k);
    op.init?.(k, v);
    return v;
  });
  const refs = op.shapes.map((shape, k) => ref(values[k], shape));
  const want = op.reference(...refs);
  const r = seededValues(want.data.length, 7);
  const args = op.shapes.map((shape, k) => tf.tensor(values[k], shape));
  const dy = tf.tensor(r, want.shape);
  const [y, ...grads] = tf.tidy(
    () => [op.apply(...args), ...tf.grads((...a: tf.Tensor[]) => op.apply(...a))(args, dy)],
  );
  try {
    const errors: number[] = [];
    const gotY = await y.data();
    if (y.shape.join() !== want.shape.join()) throw new Error(`forward shape [${y.shape}]: expected [${want.shape}]`);
    const fw = worst(gotY, want.data, forward);
    if (fw.at >= 0) throw new Error(`forward[${fw.at}] = ${gotY[fw.at]}: expected ${want.data[fw.at]}`);
    errors.push(fw.error);
    for (let k = 0; k < refs.length; k++) {
      const n = refs[k].data.length;
      const pick = n <= samples
        ? [...Array(n).keys()]
        : [...Array(samples).keys()].map((i) => Math.floor((i * n) / samples));
      const fd = finiteDifferences(() => dot(op.reference(...refs), r), refs[k], pick, step);
      const gotAll = await grads[k].data();
      const got = pick.map((i) => gotAll[i]);
      const g = worst(got, fd, grad);
      if (g.at >= 0) {
        throw new Error(`gradient of argument ${k} at [${pick[g.at]}] = ${got[g.at]}: finite differences ${fd[g.at]}`);
      }
      errors.push(g.error);
    }
    return errors;
  } finally {
    tf.dispose([...args, dy, y, ...grads]);
  }
}
