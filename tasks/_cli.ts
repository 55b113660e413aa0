/**
 * Shared command-line plumbing for `tasks/*.ts`: error reporting and exit codes, flag parsing helpers, and a
 * progress bar on stderr. Only tasks import this; `src/` reports progress through callbacks.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { type BackendName, parseBackend } from "../src/nn/mod.ts";

/** Bad flags or arguments: reported with a hint and exit code 2. */
export class UsageError extends Error {
  /** @param hint Extra line printed as `hint: …`. */
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Runs a task body and is the only place that prints errors: `error: …`, each `caused by: …`, then `hint: …`.
 * Exit code 0 on success, 1 for a failed run, 2 for bad flags ({@linkcode UsageError}).
 */
export async function runTask(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    const err = e as Error;
    console.error(`error: ${err.message ?? String(e)}`);
    let cause = (err as { cause?: unknown }).cause;
    while (cause instanceof Error) {
      console.error(`  caused by: ${cause.message}`);
      cause = (cause as { cause?: unknown }).cause;
    }
    if (e instanceof UsageError) {
      console.error(`  hint: ${e.hint ?? `run "deno task ${name} --help" for the flags`}`);
      Deno.exit(2);
    }
    Deno.exit(1);
  }
}

/**
 * Parses `Deno.args` with `node:util`'s `parseArgs` (strict: unknown flags are errors), turning its errors into a
 * {@linkcode UsageError} with the task's usage text as the hint.
 *
 * @param options The flags, as for `parseArgs`.
 * @param usage Usage text shown as the hint.
 * @param allowPositionals Accept positional arguments (else they are an error). @default {false}
 */
export function parseFlags<const O extends NonNullable<ParseArgsConfig["options"]>>(
  options: O,
  usage?: string,
  allowPositionals = false,
) {
  let parsed;
  try {
    parsed = parseArgs({ args: Deno.args, options, allowPositionals: true });
  } catch (e) {
    throw new UsageError(`Cannot parse flags: ${(e as Error).message}`, usage);
  }
  if (!allowPositionals && parsed.positionals.length > 0) {
    throw new UsageError(`Cannot use the argument "${parsed.positionals[0]}": this task takes flags only`, usage);
  }
  return parsed;
}

/** Parses `--backend` (default "auto") or throws a {@linkcode UsageError} listing the backends. */
export function backendFlag(value: string | undefined): BackendName {
  try {
    return parseBackend(value ?? "auto");
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Returns the flag's value or throws a {@linkcode UsageError} naming it. */
export function requireFlag<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === "") throw new UsageError(`Missing required flag ${flag}`);
  return value;
}

/** Parses an integer flag within [min, max]. */
export function intFlag(value: string | undefined, flag: string, fallback: number, min = 0, max = 2 ** 31): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`Cannot use ${flag} ${JSON.stringify(value)}: expected an integer in [${min}, ${max}]`);
  }
  return n;
}

/** Parses a number flag within [min, max]. */
export function numberFlag(value: string | undefined, flag: string, fallback: number, min = -Infinity, max = Infinity) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`Cannot use ${flag} ${JSON.stringify(value)}: expected a number in [${min}, ${max}]`);
  }
  return n;
}

/** Parses "a,b,c" into three positive numbers (a shape or spacing flag). */
export function vec3Flag(
  value: string | undefined,
  flag: string,
  fallback: readonly [number, number, number],
  integer = false,
): [number, number, number] {
  if (value === undefined) return [...fallback];
  const parts = value.split(",").map(Number);
  if (parts.length !== 3 || parts.some((x) => !(x > 0) || (integer && !Number.isInteger(x)))) {
    throw new UsageError(
      `Cannot use ${flag} ${JSON.stringify(value)}: expected three positive ${
        integer ? "integers" : "numbers"
      } "a,b,c"`,
    );
  }
  return [parts[0], parts[1], parts[2]];
}

/** `--condition-masking`: "checkerboard" or absent (null). @throws {UsageError} On any other value. */
export function conditionMaskingFlag(value: string | undefined): "checkerboard" | null {
  if (value === undefined) return null;
  if (value !== "checkerboard") {
    throw new UsageError(`Cannot use --condition-masking "${value}": expected checkerboard`);
  }
  return value;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "--:--";
  const m = Math.floor(s / 60), sec = Math.floor(s % 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m` : `${m}:${String(sec).padStart(2, "0")}`;
}

/**
 * A progress reporter for `onProgress(done, total, extra?)` callbacks: a redrawn bar (≤ 4 Hz) on a terminal
 * outside CI, otherwise a plain line at most every 10 s and at the end. Writes to stderr.
 */
export function progressBar(label: string): (done: number, total: number, extra?: string) => void {
  const start = performance.now();
  const tty = Deno.stderr.isTerminal() && !Deno.env.get("CI");
  let last = 0;
  const enc = new TextEncoder();
  return (done, total, extra = "") => {
    const now = performance.now();
    const finished = done >= total;
    if (!finished && now - last < (tty ? 250 : 10_000)) return;
    last = now;
    const elapsed = (now - start) / 1000;
    const rate = done / Math.max(elapsed, 1e-9);
    const eta = (total - done) / rate;
    const frac = total > 0 ? done / total : 1;
    const text = `${label} ${done}/${total} ${(100 * frac).toFixed(0)}% ${rate.toFixed(2)}/s ` +
      `elapsed ${formatSeconds(elapsed)} eta ${formatSeconds(finished ? 0 : eta)}${extra ? " " + extra : ""}`;
    if (tty) {
      const width = 24;
      const filled = Math.round(frac * width);
      Deno.stderr.writeSync(enc.encode(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${text}\x1b[K`));
      if (finished) Deno.stderr.writeSync(enc.encode("\n"));
    } else {
      Deno.stderr.writeSync(enc.encode(text + "\n"));
    }
  };
}
