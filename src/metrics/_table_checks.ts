/**
 * Preconditions shared by the metrics computed from a threshold table. Private to the metrics stage.
 *
 * @module
 */
import type { ThresholdTable } from "./threshold_table.ts";

/** Throws unless the table has both lesion and background voxels. */
export function requireBothClasses(table: ThresholdTable, action: string): void {
  if (table.positives === 0 || table.negatives === 0) {
    const missing = table.positives === 0 ? "positive (lesion)" : "negative (background)";
    throw new RangeError(
      `Cannot ${action}: the evaluation region has ${table.positives} positive and ${table.negatives} negative ` +
        `voxels: expected at least one ${missing} voxel`,
    );
  }
}
