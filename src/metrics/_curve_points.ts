/**
 * Collects the points of a curve in the unit square, optionally thinned for plotting. Private to the metrics stage.
 *
 * @module
 */

/** Points of a curve, with the threshold that gives each. */
export interface CurvePoints {
  x: Float64Array;
  y: Float64Array;
  thresholds: Float64Array;
}

/**
 * Keeps every point when `maxPoints` is `Infinity`; otherwise a point only when it lies at least `2 / maxPoints`
 * (L1 distance) from the last kept one, plus the first and the last point, so a monotone curve in the unit square
 * keeps at most about `maxPoints` points and its shape.
 */
export class CurveCollector {
  #x: number[] = [];
  #y: number[] = [];
  #t: number[] = [];
  #minStep: number;
  #pending: [number, number, number] | null = null;

  constructor(maxPoints: number) {
    if (!(maxPoints >= 2)) throw new RangeError(`Cannot thin a curve to ${maxPoints} points: expected at least 2`);
    this.#minStep = Number.isFinite(maxPoints) ? 2 / maxPoints : 0;
  }

  add(x: number, y: number, threshold: number): void {
    const n = this.#x.length;
    if (n === 0 || Math.abs(x - this.#x[n - 1]) + Math.abs(y - this.#y[n - 1]) >= this.#minStep) {
      this.#x.push(x);
      this.#y.push(y);
      this.#t.push(threshold);
      this.#pending = null;
    } else {
      this.#pending = [x, y, threshold];
    }
  }

  finish(): CurvePoints {
    if (this.#pending) {
      this.#x.push(this.#pending[0]);
      this.#y.push(this.#pending[1]);
      this.#t.push(this.#pending[2]);
      this.#pending = null;
    }
    return { x: Float64Array.from(this.#x), y: Float64Array.from(this.#y), thresholds: Float64Array.from(this.#t) };
  }
}
