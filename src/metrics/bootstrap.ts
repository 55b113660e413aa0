/**
 * Seeded percentile-bootstrap intervals for dataset means over cases.
 *
 * @module
 */
import { Rng } from "../data/mod.ts";

/** Options for {@linkcode bootstrapMean}. */
export interface BootstrapOptions {
  /** Bootstrap resamples of the cases. @default {2000} */
  samples?: number;
  /** Seed of the resampling (any safe integer): the same seed and values give the same interval. @default {0} */
  seed?: number;
  /** Coverage of the interval, in (0, 1). @default {0.95} */
  level?: number;
}

/** A mean over cases with its bootstrap interval; all `null` when no case has a value. */
export interface MeanInterval {
  /** Mean over the cases that have a value. */
  mean: number | null;
  /** Lower and upper percentile-bootstrap bounds (`level` coverage). Equal to the mean for a single case. */
  ci: [number, number] | null;
  /** Cases with a value (nulls are left out). */
  n: number;
}

/**
 * Mean of per-case values with a percentile-bootstrap interval: resample the cases with replacement `samples`
 * times, take the mean of each resample, and report the `(1 − level)/2` and `(1 + level)/2` quantiles of those
 * means (linear interpolation between order statistics, numpy's default). `null` values (undefined metrics) are
 * left out before resampling.
 *
 * @param values One value per case; `null` for a case where the metric is undefined.
 * @param options See {@linkcode BootstrapOptions}.
 * @throws {RangeError} If an option is out of range or a value is not finite.
 * @example
 * ```ts
 * import { bootstrapMean } from "./bootstrap.ts";
 * const { mean, ci, n } = bootstrapMean([0.8, 0.9, null, 0.7], { seed: 1 });
 * if (n !== 3 || Math.abs(mean! - 0.8) > 1e-12 || !(ci![0] <= 0.8 && 0.8 <= ci![1])) throw new Error("interval");
 * ```
 */
export function bootstrapMean(values: readonly (number | null)[], options: BootstrapOptions = {}): MeanInterval {
  const { samples = 2000, seed = 0, level = 0.95 } = options;
  if (!Number.isInteger(samples) || samples < 1) {
    throw new RangeError(`Cannot bootstrap with ${samples} samples: expected a positive integer`);
  }
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`Cannot bootstrap at level ${level}: expected a number in (0, 1)`);
  }
  const xs = values.filter((v): v is number => v !== null);
  const bad = xs.find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new RangeError(`Cannot bootstrap the value ${bad}: expected finite numbers or null`);
  const n = xs.length;
  if (n === 0) return { mean: null, ci: null, n: 0 };
  const mean = xs.reduce((s, v) => s + v, 0) / n;
  if (n === 1) return { mean, ci: [mean, mean], n };
  const rng = new Rng(seed);
  const means = new Float64Array(samples);
  for (let b = 0; b < samples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += xs[rng.int(0, n)];
    means[b] = sum / n;
  }
  means.sort();
  return { mean, ci: [quantile(means, (1 - level) / 2), quantile(means, (1 + level) / 2)], n };
}

/** Quantile `q` of sorted values, linear between order statistics (numpy's default "linear" method). */
function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos), hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
