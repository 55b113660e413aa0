/**
 * Independent float64 references for the nn op tests: naive loops written from each op's definition, and central
 * finite differences of a scalar loss built on them.
 *
 * All arrays are row-major in the layout the ops document (NDHWC activations).
 *
 * @module
 */

/** A float64 tensor: values and shape. */
export interface Ref {
  data: Float64Array;
  shape: number[];
}

/** Wraps values (copied to float64) with a shape. */
export function ref(data: ArrayLike<number>, shape: number[]): Ref {
  return { data: Float64Array.from(data), shape: [...shape] };
}

/** Seeded uniform values in [-1, 1) (mulberry32), reproducible across runs. */
export function seededValues(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Dense conv3d, stride 1, zero "same" padding: x [N,D,H,W,Ci], w [kd,kh,kw,Ci,Co], b [Co]. */
export function conv3dRef(x: Ref, w: Ref, b?: Ref): Ref {
  const [n, d, h, wd, ci] = x.shape;
  const [kd, kh, kw, , co] = w.shape;
  const [pd, ph, pw] = [kd, kh, kw].map((k) => (k - 1) / 2);
  const out = new Float64Array(n * d * h * wd * co);
  for (let b0 = 0; b0 < n; b0++) {
    for (let z = 0; z < d; z++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < wd; xx++) {
          const o = (((b0 * d + z) * h + y) * wd + xx) * co;
          for (let c = 0; c < co; c++) out[o + c] = b ? b.data[c] : 0;
          for (let a = 0; a < kd; a++) {
            const zz = z + a - pd;
            if (zz < 0 || zz >= d) continue;
            for (let bb = 0; bb < kh; bb++) {
              const yy = y + bb - ph;
              if (yy < 0 || yy >= h) continue;
              for (let cc = 0; cc < kw; cc++) {
                const x2 = xx + cc - pw;
                if (x2 < 0 || x2 >= wd) continue;
                const i = (((b0 * d + zz) * h + yy) * wd + x2) * ci;
                const t = ((a * kh + bb) * kw + cc) * ci;
                for (let k = 0; k < ci; k++) {
                  for (let c = 0; c < co; c++) out[o + c] += x.data[i + k] * w.data[(t + k) * co + c];
                }
              }
            }
          }
        }
      }
    }
  }
  return { data: out, shape: [n, d, h, wd, co] };
}

/** Depthwise conv3d, stride 1, zero "same" padding: x [N,D,H,W,C], w [kd,kh,kw,C], b [C]. */
export function depthwiseRef(x: Ref, w: Ref, b?: Ref): Ref {
  const [n, d, h, wd, c] = x.shape;
  const [kd, kh, kw] = w.shape;
  const [pd, ph, pw] = [kd, kh, kw].map((k) => (k - 1) / 2);
  const out = new Float64Array(x.data.length);
  for (let b0 = 0; b0 < n; b0++) {
    for (let z = 0; z < d; z++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < wd; xx++) {
          const o = (((b0 * d + z) * h + y) * wd + xx) * c;
          for (let ch = 0; ch < c; ch++) {
            let s = b ? b.data[ch] : 0;
            for (let a = 0; a < kd; a++) {
              const zz = z + a - pd;
              if (zz < 0 || zz >= d) continue;
              for (let bb = 0; bb < kh; bb++) {
                const yy = y + bb - ph;
                if (yy < 0 || yy >= h) continue;
                for (let cc = 0; cc < kw; cc++) {
                  const x2 = xx + cc - pw;
                  if (x2 < 0 || x2 >= wd) continue;
                  s += x.data[(((b0 * d + zz) * h + yy) * wd + x2) * c + ch] *
                    w.data[((a * kh + bb) * kw + cc) * c + ch];
                }
              }
            }
            out[o + ch] = s;
          }
        }
      }
    }
  }
  return { data: out, shape: [...x.shape] };
}

/** Per-voxel matmul over the last axis: x [..., Ci], w [Ci, Co], b [Co]. */
export function pointwiseRef(x: Ref, w: Ref, b?: Ref): Ref {
  const [ci, co] = w.shape;
  const m = x.data.length / ci;
  const out = new Float64Array(m * co);
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < co; c++) {
      let s = b ? b.data[c] : 0;
      for (let k = 0; k < ci; k++) s += x.data[i * ci + k] * w.data[k * co + c];
      out[i * co + c] = s;
    }
  }
  return { data: out, shape: [...x.shape.slice(0, -1), co] };
}

/** LayerNorm over the last axis with biased variance: (x − mean) / sqrt(var + eps) · gamma + beta. */
export function layerNormRef(x: Ref, gamma: Ref, beta: Ref, eps: number): Ref {
  const c = gamma.data.length;
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < x.data.length; i += c) {
    let mean = 0;
    for (let k = 0; k < c; k++) mean += x.data[i + k];
    mean /= c;
    let v = 0;
    for (let k = 0; k < c; k++) v += (x.data[i + k] - mean) ** 2;
    const r = 1 / Math.sqrt(v / c + eps);
    for (let k = 0; k < c; k++) out[i + k] = (x.data[i + k] - mean) * r * gamma.data[k] + beta.data[k];
  }
  return { data: out, shape: [...x.shape] };
}

/** GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function geluRef(x: Ref): Ref {
  const k = Math.sqrt(2 / Math.PI);
  return { data: x.data.map((v) => 0.5 * v * (1 + Math.tanh(k * (v + 0.044715 * v ** 3)))), shape: [...x.shape] };
}

/** 2×2×2 stride-2 conv written as a loop: w row ((dz·2 + dy)·2 + dx)·Ci + c. */
export function patchDownRef(x: Ref, w: Ref, b?: Ref): Ref {
  const [n, d, h, wd, ci] = x.shape;
  const co = w.shape[1];
  const [d2, h2, w2] = [d / 2, h / 2, wd / 2];
  const out = new Float64Array(n * d2 * h2 * w2 * co);
  for (let b0 = 0; b0 < n; b0++) {
    for (let z = 0; z < d2; z++) {
      for (let y = 0; y < h2; y++) {
        for (let xx = 0; xx < w2; xx++) {
          const o = (((b0 * d2 + z) * h2 + y) * w2 + xx) * co;
          for (let c = 0; c < co; c++) {
            let s = b ? b.data[c] : 0;
            for (let dz = 0; dz < 2; dz++) {
              for (let dy = 0; dy < 2; dy++) {
                for (let dx = 0; dx < 2; dx++) {
                  const i = (((b0 * d + 2 * z + dz) * h + 2 * y + dy) * wd + 2 * xx + dx) * ci;
                  const r = ((dz * 2 + dy) * 2 + dx) * ci;
                  for (let k = 0; k < ci; k++) s += x.data[i + k] * w.data[(r + k) * co + c];
                }
              }
            }
            out[o + c] = s;
          }
        }
      }
    }
  }
  return { data: out, shape: [n, d2, h2, w2, co] };
}

/** 2×2×2 stride-2 transposed conv written as a loop: w column ((dz·2 + dy)·2 + dx)·Co + c. */
export function patchUpRef(x: Ref, w: Ref, b?: Ref): Ref {
  const [n, d, h, wd, ci] = x.shape;
  const co = w.shape[1] / 8;
  const [d2, h2, w2] = [2 * d, 2 * h, 2 * wd];
  const out = new Float64Array(n * d2 * h2 * w2 * co);
  for (let b0 = 0; b0 < n; b0++) {
    for (let z = 0; z < d2; z++) {
      for (let y = 0; y < h2; y++) {
        for (let xx = 0; xx < w2; xx++) {
          const i = (((b0 * d + (z >> 1)) * h + (y >> 1)) * wd + (xx >> 1)) * ci;
          const col = (((z & 1) * 2 + (y & 1)) * 2 + (xx & 1)) * co;
          const o = (((b0 * d2 + z) * h2 + y) * w2 + xx) * co;
          for (let c = 0; c < co; c++) {
            let s = b ? b.data[c] : 0;
            for (let k = 0; k < ci; k++) s += x.data[i + k] * w.data[k * 8 * co + col + c];
            out[o + c] = s;
          }
        }
      }
    }
  }
  return { data: out, shape: [n, d2, h2, w2, co] };
}

/** Σ y ⊙ r: the scalar loss whose gradient the tests compare. */
export function dot(y: Ref, r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.data.length; i++) s += y.data[i] * r[i];
  return s;
}

/**
 * Central finite differences of `loss` with respect to each listed entry of `arg`, in float64.
 *
 * @param loss Scalar function of the (mutated in place, then restored) argument.
 * @param arg The argument to perturb.
 * @param indices Entries to differentiate; default: all.
 * @param h Step. @default {1e-4}
 */
export function finiteDifferences(
  loss: () => number,
  arg: Ref,
  indices: number[] = [...arg.data.keys()],
  h = 1e-4,
): Float64Array {
  const out = new Float64Array(indices.length);
  indices.forEach((i, k) => {
    const v = arg.data[i];
    arg.data[i] = v + h;
    const up = loss();
    arg.data[i] = v - h;
    const down = loss();
    arg.data[i] = v;
    out[k] = (up - down) / (2 * h);
  });
  return out;
}
