/**
 * The error a training loop throws when its loss stops being finite.
 *
 * @module
 */

/** Thrown when the loss becomes NaN or infinite; the last good checkpoint stays in place. */
export class TrainingDivergedError extends Error {
  constructor(readonly step: number, detail: string, readonly lastCheckpointStep: number | null) {
    super(
      `Cannot continue training: ${detail} at step ${step}: ` +
        (lastCheckpointStep === null
          ? "no checkpoint was written yet"
          : `last good checkpoint is step ${lastCheckpointStep}`),
    );
    this.name = "TrainingDivergedError";
  }
}
