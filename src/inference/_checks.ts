/**
 * Option checks shared by the inference stage (private).
 *
 * @module
 */
import type { Vec3 } from "../io/mod.ts";

/** @throws {RangeError} Unless `v` is 3 positive integers, quoting it. */
export function checkVec3(v: Vec3, name: string, action: string): void {
  if (!Array.isArray(v) || v.length !== 3 || v.some((x) => !Number.isInteger(x) || x < 1)) {
    const shown = Array.isArray(v) ? `[${v.join(", ")}]` : String(v);
    throw new RangeError(`Cannot ${action} as ${name} must be 3 positive integers: current value is ${shown}`);
  }
}

/** @throws {RangeError} Unless `overlap` is a number in [0, 1), quoting it. */
export function checkOverlap(overlap: number, action: string): void {
  if (!(overlap >= 0 && overlap < 1)) {
    throw new RangeError(`Cannot ${action} as overlap must be in [0, 1): current value is ${overlap}`);
  }
}

/** @throws {RangeError} Unless `value` is a positive integer, quoting it. */
export function checkPositiveInteger(value: number, name: string, action: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Cannot ${action} as ${name} must be a positive integer: current value is ${value}`);
  }
}

/** @throws {RangeError} Unless `value` is finite and `> 0`, quoting it. */
export function checkPositive(value: number, name: string, action: string): void {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`Cannot ${action} as ${name} must be a positive finite number: current value is ${value}`);
  }
}

/** @throws {RangeError} Unless `value` is in (0, 1], quoting it. */
export function checkMinWeight(value: number, action: string): void {
  if (!(value > 0 && value <= 1)) {
    throw new RangeError(`Cannot ${action} as minWeight must be in (0, 1]: current value is ${value}`);
  }
}
