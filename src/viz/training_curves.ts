/**
 * Training curves from `log.jsonl` files: one JSON object per line, e.g.
 * `{"step": 100, "loss": 1.23, "invariance": 0.4, "lr": 0.001}`.
 *
 * @module
 */
import { baseLayout, type Figure, roundAll } from "./figure.ts";

/** One line of a training log: numbers (and anything else, ignored by the figure) by name. */
export type TrainingRecord = Record<string, unknown>;

/** A named training log, as {@linkcode trainingCurvesFigure} takes it. */
export interface TrainingLog {
  /** Legend prefix, e.g. the run folder's name. */
  name: string;
  records: TrainingRecord[];
}

/**
 * Parses the text of a `log.jsonl` file. Blank lines are skipped; an unparsable last line (torn by a crash
 * mid-write) is dropped.
 *
 * @param text File content.
 * @param source File name for error messages.
 * @returns One record per non-blank line.
 * @throws {SyntaxError} If a line is not a JSON object, naming the file and the line number.
 * @example
 * ```ts
 * import { parseTrainingLog } from "./training_curves.ts";
 * const records = parseTrainingLog('{"step":1,"loss":2}\n\n{"step":2,"loss":1.5}\n', "log.jsonl");
 * if (records.length !== 2) throw new Error("two records");
 * ```
 */
export function parseTrainingLog(text: string, source: string): TrainingRecord[] {
  const records: TrainingRecord[] = [];
  const lines = text.split("\n");
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l].trim();
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      if (isLastLine(lines, l)) break; // a line torn by a crash mid-write: drop it, as src/train's readJsonl does
      throw new SyntaxError(
        `Cannot parse training log "${source}": line ${l + 1} is not JSON (${(cause as Error).message}): expected ` +
          "one JSON object per line",
        { cause },
      );
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new SyntaxError(
        `Cannot parse training log "${source}": line ${l + 1} is ${
          Array.isArray(value) ? "an array" : String(value)
        }: ` +
          "expected a JSON object",
      );
    }
    records.push(value as TrainingRecord);
  }
  return records;
}

/** Reads and parses a `log.jsonl` file; see {@linkcode parseTrainingLog}. */
export async function readTrainingLog(path: string): Promise<TrainingRecord[]> {
  return parseTrainingLog(await Deno.readTextFile(path), path);
}

/** Options for {@linkcode trainingCurvesFigure}. */
export interface TrainingCurvesFigureOptions {
  /** Field on the x axis; records without it use their line index. @default {"step"} */
  x?: string;
  /** Fields to plot, one panel each. Default: every numeric field except `x` and those in `exclude`. */
  keys?: string[];
  /** Fields never plotted by default. @default {["epoch", "time", "seconds", "elapsed_s", "seed", "pairs"]} */
  exclude?: string[];
  /** Fields drawn on a logarithmic y axis. @default {["lr"]} */
  logKeys?: string[];
  /** Panels per row. @default {3} */
  columns?: number;
  /** Figure title. @default {"Training curves"} */
  title?: string;
}

/**
 * One panel per field (loss terms, learning rate, gradient norm, …) with one line per log, against the step.
 *
 * @param logs Parsed logs.
 * @param options See {@linkcode TrainingCurvesFigureOptions}.
 * @returns A Plotly figure spec.
 * @example
 * ```ts
 * import { trainingCurvesFigure } from "./training_curves.ts";
 * const fig = trainingCurvesFigure([{ name: "run1", records: [{ step: 1, loss: 2, lr: 1e-3 }, { step: 2, loss: 1, lr: 2e-3 }] }]);
 * if (fig.data.length !== 2) throw new Error("two panels: loss, lr");
 * ```
 */
export function trainingCurvesFigure(logs: TrainingLog[], options: TrainingCurvesFigureOptions = {}): Figure {
  const {
    x = "step",
    exclude = ["epoch", "time", "seconds", "elapsed_s", "seed", "pairs"],
    logKeys = ["lr"],
    title = "Training curves",
  } = options;
  const keys = options.keys ??
    numericKeys(logs.flatMap((l) => l.records)).filter((k) => k !== x && !exclude.includes(k));
  const columns = Math.max(1, Math.min(options.columns ?? 3, keys.length));
  const rows = Math.max(1, Math.ceil(keys.length / columns));
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
  const data = keys.flatMap((key, k) =>
    logs.map((log, l) => {
      const xs: number[] = [], ys: number[] = [];
      log.records.forEach((r, index) => {
        const v = r[key];
        if (typeof v !== "number" || !Number.isFinite(v)) return;
        const step = r[x];
        xs.push(typeof step === "number" ? step : index);
        ys.push(v);
      });
      return {
        type: "scatter",
        mode: "lines",
        name: log.name,
        legendgroup: log.name,
        showlegend: k === 0,
        x: roundAll(xs, 8),
        y: roundAll(ys, 6),
        xaxis: k === 0 ? "x" : `x${k + 1}`,
        yaxis: k === 0 ? "y" : `y${k + 1}`,
        line: { color: palette[l % palette.length], width: 1.5 },
      };
    })
  );
  const axes: Record<string, unknown> = {};
  keys.forEach((key, k) => {
    const suffix = k === 0 ? "" : String(k + 1);
    axes[`xaxis${suffix}`] = { title: { text: Math.floor(k / columns) === rows - 1 ? x : "" } };
    axes[`yaxis${suffix}`] = { title: { text: key }, type: logKeys.includes(key) ? "log" : "linear" };
  });
  return {
    data,
    layout: baseLayout(title, {
      grid: { rows, columns, pattern: "independent" },
      ...axes,
      width: 320 * columns + 80,
      height: 260 * rows + 90,
    }),
  };
}

/** Fields holding a finite number in at least one record, in first-seen order. */
function numericKeys(records: TrainingRecord[]): string[] {
  const keys = new Set<string>();
  for (const r of records) {
    for (const [k, v] of Object.entries(r)) if (typeof v === "number" && Number.isFinite(v)) keys.add(k);
  }
  return [...keys];
}

/** Whether line `l` is the last non-blank line. */
function isLastLine(lines: string[], l: number): boolean {
  for (let m = l + 1; m < lines.length; m++) if (lines[m].trim() !== "") return false;
  return true;
}
