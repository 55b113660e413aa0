/**
 * Small seeded pseudo-random numbers for everything that must be reproducible from a seed: phantoms, crop sampling,
 * augmentations. Not cryptographic.
 *
 * @module
 */

/**
 * Mixes a 32-bit integer into a well-spread 32-bit hash (MurmurHash3's finaliser).
 *
 * @param h Any number; only its low 32 bits are used.
 * @returns An unsigned 32-bit integer.
 */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashKey(key: number | string): number {
  if (typeof key === "string") {
    let h = 0x811c9dc5; // FNV-1a
    for (let c = 0; c < key.length; c++) h = Math.imul(h ^ key.charCodeAt(c), 0x01000193);
    return mix32(h ^ 0x5bd1e995);
  }
  if (!Number.isSafeInteger(key)) {
    throw new RangeError(`Cannot derive a seed from key ${key}: expected a safe integer or a string`);
  }
  const lo = key >>> 0;
  const hi = Math.floor(key / 4294967296) >>> 0;
  return mix32(lo ^ mix32(hi + 0x9e3779b9));
}

/**
 * Derives an independent 32-bit seed from a base seed and any number of keys, e.g. `deriveSeed(seed, index)` for the
 * `index`-th phantom of a run, or `deriveSeed(seed, "noise")` for one sub-stream. Equal inputs give equal outputs; the
 * result for one key does not depend on any other (phantom 7 is the same whether 8 or 800 are generated).
 *
 * @param seed Base seed: a safe integer (negative allowed).
 * @param keys Safe integers or strings naming the sub-stream, in order.
 * @returns An unsigned 32-bit integer.
 * @throws {RangeError} If the seed or a numeric key is not a safe integer.
 * @example
 * ```ts
 * import { deriveSeed } from "./rng.ts";
 * const a = deriveSeed(42, 0);
 * const b = deriveSeed(42, 1);
 * if (a === b) throw new Error("streams must differ");
 * ```
 */
export function deriveSeed(seed: number, ...keys: readonly (number | string)[]): number {
  let h = hashKey(seed);
  for (let n = 0; n < keys.length; n++) h = mix32(h ^ mix32(hashKey(keys[n]) + Math.imul(n + 1, 0x9e3779b9)));
  return h;
}

/**
 * A seeded generator (mulberry32: 32-bit state, period 2³²) with the draws the project needs.
 * Gaussian draws use Box–Muller and keep the second value for the next call.
 *
 * @example
 * ```ts
 * import { Rng } from "./rng.ts";
 * const rng = new Rng(7);
 * const u = rng.next(); // [0, 1)
 * const z = rng.normal(0, 1);
 * const child = rng.fork("lesions"); // independent stream; does not advance `rng`
 * ```
 */
export class Rng {
  #state: number;
  #spare = NaN;
  /** The seed this generator was created with (after hashing), for `fork`. */
  readonly seed: number;

  /**
   * @param seed Any safe integer; it is hashed, so nearby seeds give unrelated streams.
   * @throws {RangeError} If `seed` is not a safe integer.
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Cannot seed Rng with ${seed}: expected a safe integer`);
    this.seed = deriveSeed(seed);
    this.#state = this.seed;
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    let a = (this.#state = (this.#state + 0x6d2b79f5) | 0);
    a = Math.imul(a ^ (a >>> 15), a | 1);
    a ^= a + Math.imul(a ^ (a >>> 7), a | 61);
    return (a ^ (a >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Log-uniform in [lo, hi), both > 0: small values as likely per octave as large ones. */
  logUniform(lo: number, hi: number): number {
    return lo * Math.exp(Math.log(hi / lo) * this.next());
  }

  /** Uniform integer in [lo, hi) (hi exclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo) * this.next());
  }

  /** True with probability `p`. */
  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  /** Gaussian with the given mean and standard deviation (Box–Muller). */
  normal(mean = 0, std = 1): number {
    if (!Number.isNaN(this.#spare)) {
      const z = this.#spare;
      this.#spare = NaN;
      return mean + std * z;
    }
    const u = 1 - this.next(); // (0, 1]
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Cannot pick from an empty list");
    return items[this.int(0, items.length)];
  }

  /** One index drawn with probability proportional to `weights` (non-negative, not all zero). */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    if (!(total > 0)) throw new RangeError(`Cannot draw from weights [${weights.join(", ")}]: expected a positive sum`);
    let u = this.next() * total;
    for (let n = 0; n < weights.length; n++) {
      u -= weights[n];
      if (u < 0) return n;
    }
    return weights.length - 1;
  }

  /**
   * An independent generator for a named sub-stream. It depends only on this generator's seed and `key`, not on how
   * many numbers were drawn, so adding draws to one stage never changes another's.
   */
  fork(key: number | string): Rng {
    return new Rng(deriveSeed(this.seed, key));
  }
}
