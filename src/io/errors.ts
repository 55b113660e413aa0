/**
 * Errors of the I/O stage.
 *
 * @module
 */

/** Thrown when a file cannot be read as a volume; `path` lets a task report it without parsing the message. */
export class VolumeReadError extends Error {
  /**
   * @param path The file that could not be read.
   * @param detail What was found, then what was expected.
   */
  constructor(readonly path: string, detail: string, options?: ErrorOptions) {
    super(`Cannot read volume "${path}": ${detail}`, options);
    this.name = "VolumeReadError";
  }
}

/** Thrown when a volume cannot be written; nothing is left at `path` (writes go through a temp file). */
export class VolumeWriteError extends Error {
  /**
   * @param path The destination.
   * @param detail Why the write was refused or failed.
   */
  constructor(readonly path: string, detail: string, options?: ErrorOptions) {
    super(`Cannot write volume "${path}": ${detail}`, options);
    this.name = "VolumeWriteError";
  }
}
