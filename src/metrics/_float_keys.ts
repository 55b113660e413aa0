/**
 * Float32 scores as order-preserving unsigned 32-bit keys, and a fast "where does this key fall among sorted keys"
 * lookup. Private to the metrics stage: the threshold table bins tens of millions of background scores against the
 * distinct lesion scores with it, without sorting the background.
 *
 * @module
 */

/**
 * The order-preserving key of a float32 given by its bit pattern: flips every bit of a negative number and only the
 * sign bit of a positive one, so that unsigned comparison of keys equals numeric comparison of the floats.
 * −0 gets the key of +0, since the two compare equal.
 */
export function keyOfBits(bits: number): number {
  if (bits === 0x80000000) return 0x80000000;
  return (bits ^ ((bits >> 31) | 0x80000000)) >>> 0;
}

/** The float32 value of a key made by {@linkcode keyOfBits}. */
export function floatOfKey(key: number): number {
  const bits = key & 0x80000000 ? key ^ 0x80000000 : ~key;
  KEY_U32[0] = bits >>> 0;
  return KEY_F32[0];
}

const KEY_F32 = new Float32Array(1);
const KEY_U32 = new Uint32Array(KEY_F32.buffer);

/** The bit patterns of a float32 array, as a view on the same memory (no copy). */
export function bitsOf(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** Sorted distinct keys of `values` (float32), ascending. */
export function distinctSortedKeys(values: Float32Array): Uint32Array {
  const bits = bitsOf(values);
  const keys = new Uint32Array(values.length);
  for (let i = 0; i < keys.length; i++) keys[i] = keyOfBits(bits[i]);
  keys.sort();
  let n = 0;
  for (let i = 0; i < keys.length; i++) if (n === 0 || keys[i] !== keys[n - 1]) keys[n++] = keys[i];
  return keys.slice(0, n);
}

const BUCKET_BITS = 16;

/**
 * Locates keys among a sorted list of distinct keys: `locate(key)` is the index of the first listed key ≥ `key`
 * (the list's length if none). A table of 2¹⁶ buckets over the list's key range narrows each lookup to a short
 * binary search, so a lookup costs a few steps whatever the list's length.
 */
export class KeyIndex {
  readonly keys: Uint32Array;
  #start: Int32Array;
  #min: number;
  #max: number;
  #shift: number;

  /** @param keys Distinct keys, ascending (as from {@linkcode distinctSortedKeys}). */
  constructor(keys: Uint32Array) {
    this.keys = keys;
    const n = keys.length;
    this.#min = n > 0 ? keys[0] : 0;
    this.#max = n > 0 ? keys[n - 1] : 0;
    const span = this.#max - this.#min; // < 2³², exact as a double
    let shift = 0;
    while (span / 2 ** shift >= 2 ** BUCKET_BITS) shift++;
    this.#shift = shift;
    const buckets = Math.floor(span / 2 ** shift) + 1;
    // start[b] = first index whose key's bucket is ≥ b; start[buckets] = n.
    const start = new Int32Array(buckets + 1);
    let t = 0;
    for (let b = 0; b <= buckets; b++) {
      while (t < n && this.#bucket(keys[t]) < b) t++;
      start[b] = t;
    }
    this.#start = start;
  }

  #bucket(key: number): number {
    return Math.floor((key - this.#min) / 2 ** this.#shift);
  }

  /** Index of the first listed key ≥ `key`, in [0, keys.length]. */
  locate(key: number): number {
    const keys = this.keys;
    if (keys.length === 0 || key <= this.#min) return 0;
    if (key > this.#max) return keys.length;
    const b = ((key - this.#min) >>> 0) >>> this.#shift;
    let lo = this.#start[b], hi = this.#start[b + 1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
