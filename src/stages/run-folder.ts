/**
 * The step-by-step flow keeps a run together: `predict <run>` → `argmax <run>` → `evaluate <run>`
 * → `report <run>` each read from the run folder and write into it. This file says what a
 * positional `<run|file>` is, where a run's outputs live, and records new outputs in its manifest.
 * A run's derived outputs (probabilities.csv, submission.csv, metrics.json, report.html) are
 * replaced atomically by the step that makes them; user data and trained models stay protected.
 */
import { stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileExists } from '../adapters/atomic-file.js';
import { MANIFEST_FILE, readManifest, writeManifest } from '../adapters/run-store.js';
import type { InputFileRecord, RunManifest } from '../domain/manifest.js';
import type { StageDeps } from '../runtime/deps.js';

/** The standard names of a run's outputs (manifest `outputs` keys → file names). */
export const RUN_OUTPUTS = {
  probabilities: 'probabilities.csv',
  submission: 'submission.csv',
  metrics: 'metrics.json',
  report: 'report.html',
} as const;
export type RunOutput = keyof typeof RUN_OUTPUTS;

/** A positional that is either a run folder or a file. */
export type Target = { kind: 'run'; runDir: string } | { kind: 'file'; path: string };

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** A folder is a run folder; anything else is a file (checked by whoever reads it). */
export async function targetOf(path: string): Promise<Target> {
  return (await isDirectory(path)) ? { kind: 'run', runDir: path } : { kind: 'file', path };
}

/** The path of a run's output: as its manifest records it, else the standard name. */
export async function runOutputPath(runDir: string, key: RunOutput): Promise<string> {
  const m = await manifestIfAny(runDir);
  return join(runDir, m?.outputs?.[key] ?? RUN_OUTPUTS[key]);
}

export async function manifestIfAny(runDir: string): Promise<RunManifest | undefined> {
  return (await fileExists(join(runDir, MANIFEST_FILE))) ? readManifest(runDir) : undefined;
}

/**
 * The run a file belongs to when it is that run's recorded output `key` (e.g. the run's own
 * probabilities.csv given as a file): then its derived outputs go into the run too.
 */
export async function runOwning(file: string, key: RunOutput): Promise<string | undefined> {
  const dir = dirname(file);
  const m = await manifestIfAny(dir);
  if (!m) return undefined;
  return resolve(join(dir, m.outputs?.[key] ?? RUN_OUTPUTS[key])) === resolve(file) ? dir : undefined;
}

/** An input path as the manifest records it: usable from the current folder, else relative to the run. */
export async function recordedInput(
  runDir: string,
  m: RunManifest | undefined,
  role: string,
): Promise<string | undefined> {
  const path = m?.inputs?.find((i) => i.role === role)?.path;
  if (!path || path.startsWith('s3://')) return undefined;
  for (const p of [path, join(runDir, path)]) if (await fileExists(p)) return p;
  return undefined;
}

/** True when `path` lies inside `runDir`. */
export function insideRun(runDir: string, path: string): boolean {
  const rel = relative(resolve(runDir), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && !rel.includes(`..${sep}`);
}

/** Records outputs (paths inside the run), inputs and summary numbers in the run's manifest. */
export async function recordInRun(
  runDir: string,
  update: {
    outputs?: Partial<Record<RunOutput, string>>;
    inputs?: InputFileRecord[];
    summary?: Record<string, number>;
  },
  deps: StageDeps,
): Promise<void> {
  const m = await manifestIfAny(runDir);
  if (!m) return; // a bare folder without a manifest is not a run: nothing to record
  for (const [key, path] of Object.entries(update.outputs ?? {}))
    if (insideRun(runDir, path)) m.outputs = { ...m.outputs, [key]: relative(resolve(runDir), resolve(path)) };
  for (const input of update.inputs ?? []) m.inputs = [...m.inputs.filter((i) => i.role !== input.role), input];
  if (update.summary) m.summary = { ...m.summary, ...update.summary };
  await writeManifest(runDir, m, new Date(deps.clock.now()));
}
