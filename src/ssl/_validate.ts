/**
 * Private argument checks of the SSL stage: they throw `RangeError`s that quote the value and state the requirement.
 *
 * @module
 */
import type { Vec3 } from "../io/mod.ts";

/** A closed range `[lo, hi]` of a drawn parameter. */
export type Range = readonly [number, number];

/** Throws unless `v` is three numbers that each pass `ok`. */
export function checkVec3(action: string, name: string, v: Vec3, ok: (x: number) => boolean, wanted: string): void {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === "number" && ok(x))) {
    throw new RangeError(`Cannot ${action} with ${name} [${Array.from(v ?? []).join(", ")}]: expected ${wanted}`);
  }
}

/** Throws unless `v` is a number that passes `ok`. */
export function checkNumber(action: string, name: string, v: number, ok: (x: number) => boolean, wanted: string): void {
  if (typeof v !== "number" || !ok(v)) throw new RangeError(`Cannot ${action} with ${name} ${v}: expected ${wanted}`);
}

/** Throws unless `p` is a probability in [0, 1]. */
export function checkProbability(action: string, name: string, p: number): void {
  checkNumber(action, name, p, (x) => x >= 0 && x <= 1, "a probability in [0, 1]");
}

/** Throws unless `r` is `[lo, hi]` with finite `min ≤ lo ≤ hi` (and `hi ≤ max`). */
export function checkRange(action: string, name: string, r: Range, min = -Infinity, max = Infinity): void {
  if (
    !Array.isArray(r) || r.length !== 2 || !r.every((x) => typeof x === "number" && Number.isFinite(x)) ||
    !(r[0] >= min && r[0] <= r[1] && r[1] <= max)
  ) {
    const bounds = `${Number.isFinite(min) ? `${min} ≤ ` : ""}lo ≤ hi${Number.isFinite(max) ? ` ≤ ${max}` : ""}`;
    throw new RangeError(
      `Cannot ${action} with ${name} [${Array.from(r ?? []).join(", ")}]: expected [lo, hi] with ${bounds}`,
    );
  }
}

/** True for a positive integer. */
export const isPositiveInteger = (x: number): boolean => Number.isInteger(x) && x >= 1;
/** True for a positive finite number. */
export const isPositiveFinite = (x: number): boolean => x > 0 && Number.isFinite(x);
