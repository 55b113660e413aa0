/**
 * Dice at the best threshold (METHOD §7) and at a given one. Dice = 2·|A ∩ B| / (|A| + |B|), with A the lesion
 * voxels and B the voxels scoring ≥ threshold, both inside the evaluation region.
 *
 * Empty masks: Dice is 0/0 when neither the ground truth nor the prediction has a voxel; these functions return
 * `null` then (undefined, not 1). A lesion-free volume with any voxel predicted gets 0.
 *
 * @module
 */
import { countAtOrAbove, splitByLabel } from "./_split.ts";
import { buildThresholdTable, sweepThresholds, type ThresholdTable } from "./threshold_table.ts";

/** The threshold that maximises Dice and what it gives. */
export interface BestDice {
  /** The highest Dice over all thresholds. */
  dice: number;
  /** The highest threshold that reaches it (a lesion score): predict lesion where `score >= threshold`. */
  threshold: number;
  /** Lesion voxels at or above the threshold. */
  truePositives: number;
  /** Background voxels at or above the threshold. */
  falsePositives: number;
}

/**
 * Best Dice of a threshold table, exact: every distinct lesion score is tried (no grid). Only lesion scores need
 * trying, since between two of them a higher threshold keeps the true positives and drops false positives.
 *
 * @throws {RangeError} If the table has no lesion voxel (Dice is then undefined at every useful threshold).
 */
export function bestDiceOfTable(table: ThresholdTable): BestDice {
  if (table.positives === 0) {
    throw new RangeError(
      `Cannot find the best Dice: the evaluation region has 0 lesion voxels: expected at least one`,
    );
  }
  const P = table.positives;
  let best: BestDice = { dice: -1, threshold: NaN, truePositives: 0, falsePositives: 0 };
  sweepThresholds(table, (p) => {
    if (p.truePositives === 0) return;
    const dice = 2 * p.truePositives / (P + p.truePositives + p.falsePositives);
    if (dice > best.dice) {
      best = { dice, threshold: p.threshold, truePositives: p.truePositives, falsePositives: p.falsePositives };
    }
  });
  return best;
}

/** Options for {@linkcode bestDice} and {@linkcode diceAtThreshold}. */
export interface DiceOptions {
  /** Evaluation region, same length as the scores: voxels where it is 0 are ignored. Default: all voxels. */
  mask?: ArrayLike<number>;
}

/**
 * Best Dice of one volume over all thresholds, exact.
 *
 * @param scores One score per voxel (compared as float32).
 * @param labels Ground truth, same length: nonzero = lesion.
 * @param options See {@linkcode DiceOptions}.
 * @throws {RangeError} If lengths differ, a score in the region is NaN, or the region has no lesion voxel.
 * @example
 * ```ts
 * import { bestDice } from "./dice.ts";
 * const best = bestDice(Float32Array.of(0.1, 0.8, 0.6, 0.7), Uint8Array.of(0, 1, 1, 0));
 * if (best.dice !== 0.8 || best.threshold !== Math.fround(0.6)) throw new Error(JSON.stringify(best));
 * ```
 */
export function bestDice(scores: ArrayLike<number>, labels: ArrayLike<number>, options: DiceOptions = {}): BestDice {
  const split = splitByLabel(scores, labels, options.mask, "find the best Dice");
  return bestDiceOfTable(buildThresholdTable({ scores: split.positives }, [split.negatives]));
}

/** Options for {@linkcode diceAtThreshold}. */
export interface DiceAtThresholdOptions extends DiceOptions {
  /** Predict lesion where `score >= threshold` (compared as float32). */
  threshold: number;
}

/**
 * Dice of one volume at a fixed threshold.
 *
 * @param scores One score per voxel (compared as float32).
 * @param labels Ground truth, same length: nonzero = lesion.
 * @param options The threshold and the evaluation region.
 * @returns Dice in [0, 1], or `null` when both the lesion mask and the prediction are empty in the region.
 * @throws {RangeError} If lengths differ or a score in the region is NaN.
 */
export function diceAtThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: DiceAtThresholdOptions,
): number | null {
  const { mask, threshold } = options;
  const split = splitByLabel(scores, labels, mask, "compute Dice");
  return diceOfCounts(
    split.positives.length,
    countAtOrAbove(split.positives, threshold),
    countAtOrAbove(split.negatives, threshold),
  );
}

/** Dice from counts: `null` when lesions and prediction are both empty. */
export function diceOfCounts(lesionVoxels: number, truePositives: number, falsePositives: number): number | null {
  const denominator = lesionVoxels + truePositives + falsePositives;
  return denominator === 0 ? null : 2 * truePositives / denominator;
}
