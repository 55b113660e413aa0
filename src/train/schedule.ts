/**
 * Learning-rate schedules.
 *
 * @module
 */

/** Options for {@linkcode oneCycleLr}. */
export interface OneCycleOptions {
  /** Peak learning rate (authors: 1e-3). */
  peakLr: number;
  /** Fraction of the steps spent warming up linearly. @default {0.1} */
  warmupFraction?: number;
  /** Initial LR = peakLr / divFactor (PyTorch OneCycleLR's default 25). @default {25} */
  divFactor?: number;
  /** Final LR = initial LR / finalDivFactor (PyTorch's default 1e4). @default {1e4} */
  finalDivFactor?: number;
}

/**
 * One-cycle schedule with warm-up (as PyTorch's `OneCycleLR`, linear warm-up then cosine annealing): the LR rises
 * linearly from `peakLr/divFactor` to `peakLr` over the first `warmupFraction` of the steps, then follows a cosine down
 * to `peakLr/(divFactor·finalDivFactor)` at the last step. Warm-up is 10 % by default (PyTorch: 30 %), so that short
 * CPU runs spend most steps near the peak.
 *
 * @param step Zero-based step index in [0, totalSteps).
 * @param totalSteps Number of steps of the whole run.
 * @returns The learning rate for this step.
 */
export function oneCycleLr(step: number, totalSteps: number, options: OneCycleOptions): number {
  const { peakLr, warmupFraction = 0.1, divFactor = 25, finalDivFactor = 1e4 } = options;
  const initial = peakLr / divFactor;
  const final = initial / finalDivFactor;
  const warm = Math.max(1, Math.round(warmupFraction * totalSteps));
  if (step < warm) return initial + (peakLr - initial) * (step / warm);
  const rest = Math.max(1, totalSteps - 1 - warm);
  const t = Math.min(1, (step - warm) / rest);
  return final + (peakLr - final) * 0.5 * (1 + Math.cos(Math.PI * t));
}
