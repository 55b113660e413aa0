/**
 * Training logs as JSON Lines: one JSON object per step, appended and flushed as the run goes.
 *
 * @module
 */

/** Reads a JSONL log; blank lines are skipped, a torn last line (crash mid-write) is dropped. */
export async function readJsonl<T = Record<string, unknown>>(path: string): Promise<T[]> {
  const text = await Deno.readTextFile(path);
  const out: T[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    try {
      out.push(JSON.parse(line));
    } catch (e) {
      if (i >= lines.length - 2) break; // torn final line
      throw new SyntaxError(`Cannot parse log "${path}" line ${i + 1}: ${(e as Error).message}`);
    }
  }
  return out;
}

/**
 * An append-only JSONL log. Opening with `keepUpToStep` rewrites the file (atomically) to the records whose `step`
 * is ≤ that value, so a resumed run's log matches an uninterrupted run's.
 */
export class JsonlLog {
  readonly path: string;
  #file: Deno.FsFile;

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  /** Opens (creating) `path` for appending; see the class doc for `keepUpToStep`. */
  static async open(path: string, options: { keepUpToStep?: number } = {}): Promise<JsonlLog> {
    if (options.keepUpToStep !== undefined) {
      let kept: { step?: number }[] = [];
      try {
        kept = (await readJsonl<{ step?: number }>(path)).filter((r) => (r.step ?? 0) <= options.keepUpToStep!);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      const tmp = `${path}.tmp`;
      await Deno.writeTextFile(tmp, kept.map((r) => JSON.stringify(r) + "\n").join(""));
      await Deno.rename(tmp, path);
    }
    const file = await Deno.open(path, { append: true, create: true });
    return new JsonlLog(path, file);
  }

  /** Appends one record as a line. */
  async write(record: Record<string, unknown>): Promise<void> {
    await this.#file.write(new TextEncoder().encode(JSON.stringify(record) + "\n"));
  }

  /** Closes the file. */
  close(): void {
    this.#file.close();
  }
}
