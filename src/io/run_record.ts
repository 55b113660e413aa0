/**
 * Run records: every run saves its config with the seed, software versions, backend and machine next to its
 * outputs, so that a result can be traced and repeated.
 *
 * @module
 */
import { writeJsonAtomic } from "./atomic.ts";

/** Versions and machine facts recorded with every run. */
export interface Environment {
  /** ISO 8601 time the record was made. */
  date: string;
  deno: string;
  v8: string;
  typescript: string;
  /** npm packages pinned in deno.json's import map, name → version. */
  packages: Record<string, string>;
  os: string;
  arch: string;
  cores: number;
}

/** Reads the pinned npm versions from the project's deno.json import map (empty if it cannot be read). */
async function pinnedPackages(): Promise<Record<string, string>> {
  try {
    const url = new URL("../../deno.json", import.meta.url);
    const json = JSON.parse(await Deno.readTextFile(url)) as { imports?: Record<string, string> };
    const out: Record<string, string> = {};
    for (const spec of Object.values(json.imports ?? {})) {
      const m = /^npm:(@?[^@]+)@(.+)$/.exec(spec);
      if (m) out[m[1]] = m[2];
    }
    return out;
  } catch {
    return {};
  }
}

/** Describes the software and machine this process runs on. */
export async function describeEnvironment(): Promise<Environment> {
  return {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    packages: await pinnedPackages(),
    os: Deno.build.os,
    arch: Deno.build.arch,
    cores: navigator.hardwareConcurrency,
  };
}

/** A run's record: what was asked (`config`, including its seed), and where and with what it ran. */
export interface RunRecord<C> {
  /** Name of the task or API that made the run, e.g. "phantoms". */
  task: string;
  /** The run's typed config, as validated. */
  config: C;
  /** Compute backend used, or "none" for CPU-only TypeScript work. */
  backend: string;
  environment: Environment;
}

/**
 * Writes `<dir>/config.json` atomically: the run's config (with its seed), backend, versions and machine.
 *
 * @param dir Output folder of the run (created if missing).
 * @returns The record written.
 */
export async function writeRunRecord<C>(
  dir: string,
  record: { task: string; config: C; backend?: string },
): Promise<RunRecord<C>> {
  const full: RunRecord<C> = {
    task: record.task,
    config: record.config,
    backend: record.backend ?? "none",
    environment: await describeEnvironment(),
  };
  await writeJsonAtomic(`${dir}/config.json`, full);
  return full;
}
