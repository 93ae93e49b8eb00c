/**
 * runs: the leaderboard of every run folder under a directory — id, engine, model, key
 * hyperparameters, validation and test accuracy, Kaggle public score, train time, billed cost —
 * sorted, with runs that were scored on other held-out rows or another test file flagged.
 * Manifests are read tolerantly: a folder that cannot be read is listed as skipped, never fatal.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserInputError } from '../errors/index.js';
import { fileExists } from '../adapters/atomic-file.js';
import { MANIFEST_FILE, readManifest } from '../adapters/run-store.js';
import type { RunManifest } from '../domain/manifest.js';
import type { StageDeps } from '../runtime/deps.js';

export type RunsSort = 'val-acc' | 'test-acc' | 'kaggle' | 'cost' | 'created';
export const RUNS_SORTS: readonly RunsSort[] = ['val-acc', 'test-acc', 'kaggle', 'cost', 'created'];

export interface RunsInput {
  dir?: string;
  sort?: RunsSort;
}

export interface RunsEntry {
  runId: string;
  dir: string;
  /** `local`, `sagemaker`, or `blend` for a blend of runs. */
  engine: string;
  model?: string;
  command: string;
  createdAt: string;
  /** The few hyperparameters that tell runs of one model apart, as `name=value`. */
  hyperparameters: string[];
  validationAccuracy?: number;
  validationRows?: number;
  testAccuracy?: number;
  kagglePublicScore?: number;
  trainSeconds?: number;
  /** Billed cost in USD (managed runs); local runs have none. */
  costUsd?: number;
  /** Which held-out split / test file the run was scored on (A, B, ... in order of first appearance). */
  validationGroup?: string;
  testGroup?: string;
  /** Why this run's numbers are not comparable with the rest (empty when they are). */
  flags: string[];
}

export interface RunsResult {
  dir: string;
  sort: RunsSort;
  runs: RunsEntry[];
  skipped: { dir: string; reason: string }[];
  /** Distinct held-out splits and test files, when there is more than one. */
  notes: string[];
}

/** Hyperparameters worth a column, in this order (local, Linear Learner, blend); others are left out. */
const KEY_HYPERPARAMETERS = [
  'epochs',
  'batchSize',
  'learningRate',
  'l2',
  'augmentShift',
  'dropout',
  'learning_rate',
  'mini_batch_size',
  'wd',
  'l1',
  'optimizer',
  'method',
  'weights',
];

function keyHyperparameters(m: RunManifest): string[] {
  const hp = m.hyperparameters ?? {};
  return KEY_HYPERPARAMETERS.filter((k) => hp[k] !== undefined && hp[k] !== '').map((k) => `${k}=${String(hp[k])}`);
}

async function readNumber(path: string, key: string): Promise<number | undefined> {
  try {
    const v = (JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>)[key];
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

const num = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};

/** The latest scored Kaggle submission recorded in the manifest (`kaggle.submissions[].publicScore`). */
export function kagglePublicScore(m: RunManifest): number | undefined {
  const subs = m.kaggle?.submissions ?? [];
  for (let i = subs.length - 1; i >= 0; i--) {
    const s = num(subs[i]?.publicScore);
    if (s !== undefined) return s;
  }
  return undefined;
}

async function entryOf(dir: string, m: RunManifest): Promise<RunsEntry> {
  const out = (key: string, fallback: string) =>
    join(dir, typeof m.outputs?.[key] === 'string' ? m.outputs[key] : fallback);
  const summary = (m.summary ?? {}) as Record<string, unknown>;
  const validationAccuracy =
    num(summary.validationAccuracy) ??
    num(summary.validation_accuracy) ??
    (await readNumber(out('validationMetrics', 'validation-metrics.json'), 'accuracy'));
  const testAccuracy = num(summary.accuracy) ?? (await readNumber(out('metrics', 'metrics.json'), 'accuracy'));
  return {
    runId: typeof m.runId === 'string' ? m.runId : dir,
    dir,
    engine: m.command === 'blend' ? 'blend' : String(m.engine ?? '?'),
    model: m.model,
    command: String(m.command ?? ''),
    createdAt: String(m.createdAt ?? ''),
    hyperparameters: keyHyperparameters(m),
    validationAccuracy,
    validationRows: Array.isArray(m.split?.validationRows) ? m.split!.validationRows.length : undefined,
    testAccuracy,
    kagglePublicScore: kagglePublicScore(m),
    trainSeconds: num(m.timings?.train),
    costUsd: num(m.costEstimate?.usd),
    flags: [],
  };
}

/** Letters A, B, ... for distinct keys, the most common key first (ties: first seen). */
function groupLetters(keys: (string | undefined)[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const k of keys) if (k !== undefined) count.set(k, (count.get(k) ?? 0) + 1);
  const order = [...count.keys()].sort((a, b) => count.get(b)! - count.get(a)!);
  return new Map(order.map((k, i) => [k, i < 26 ? String.fromCharCode(65 + i) : `Z${i - 25}`]));
}

function compareBy(sort: RunsSort): (a: RunsEntry, b: RunsEntry) => number {
  // Missing values always last; then newest first.
  const pick = (e: RunsEntry): number | undefined =>
    sort === 'val-acc'
      ? e.validationAccuracy
      : sort === 'test-acc'
        ? e.testAccuracy
        : sort === 'kaggle'
          ? e.kagglePublicScore
          : sort === 'cost'
            ? e.costUsd
            : undefined;
  const ascending = sort === 'cost';
  return (a, b) => {
    const va = pick(a);
    const vb = pick(b);
    if (va !== vb) {
      if (va === undefined) return 1;
      if (vb === undefined) return -1;
      if (va !== vb) return ascending ? va - vb : vb - va;
    }
    return b.createdAt.localeCompare(a.createdAt) || a.runId.localeCompare(b.runId);
  };
}

/** Lists the run folders directly under `dir`. */
export async function runsStage(input: RunsInput, deps: StageDeps): Promise<RunsResult> {
  const dir = input.dir ?? 'runs';
  const sort = input.sort ?? 'val-acc';
  if (!RUNS_SORTS.includes(sort))
    throw new UserInputError('SORT_UNKNOWN', `unknown sort key '${String(sort)}'`, {
      hint: `use one of ${RUNS_SORTS.join(', ')}`,
    });
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
    names = await readdir(dir);
  } catch {
    throw new UserInputError('RUNS_DIR_NOT_FOUND', `${dir} is not a directory of runs`, {
      hint: 'make a run first (digitflow run), or point --dir at the folder that holds your run folders',
      details: { path: dir },
    });
  }
  deps.reporter.emit({ kind: 'step', step: 'runs', message: `reading the runs in ${dir}` });
  const runs: { entry: RunsEntry; m: RunManifest }[] = [];
  const skipped: RunsResult['skipped'] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue; // temporary folders of a command in progress
    const runDir = join(dir, name);
    if (
      !(await stat(runDir).then(
        (s) => s.isDirectory(),
        () => false,
      ))
    )
      continue;
    if (!(await fileExists(join(runDir, MANIFEST_FILE)))) continue;
    try {
      const m = await readManifest(runDir);
      runs.push({ entry: await entryOf(runDir, m), m });
    } catch (e) {
      skipped.push({ dir: runDir, reason: (e as Error).message });
    }
  }

  // Which rows each run was scored on.
  const valKeys = runs.map(({ m }) =>
    Array.isArray(m.split?.validationRows) ? [...m.split!.validationRows].sort((a, b) => a - b).join(',') : undefined,
  );
  const testKeys = runs.map(({ m }) => m.inputs?.find?.((i) => i.role === 'test')?.sha256);
  const valLetters = groupLetters(valKeys);
  const testLetters = groupLetters(testKeys);
  const notes: string[] = [];
  runs.forEach(({ entry }, i) => {
    entry.validationGroup = valKeys[i] === undefined ? undefined : valLetters.get(valKeys[i]!);
    entry.testGroup = testKeys[i] === undefined ? undefined : testLetters.get(testKeys[i]!);
    if (
      valLetters.size > 1 &&
      entry.validationGroup &&
      entry.validationGroup !== 'A' &&
      entry.validationAccuracy !== undefined
    )
      entry.flags.push(`validation rows ${entry.validationGroup}, not A`);
    if (testLetters.size > 1 && entry.testGroup && entry.testGroup !== 'A' && entry.testAccuracy !== undefined)
      entry.flags.push(`test file ${entry.testGroup}, not A`);
  });
  if (valLetters.size > 1)
    notes.push(
      `${valLetters.size} different held-out validation splits (A is the most common): ` +
        `validation accuracies of different letters are not comparable`,
    );
  if (testLetters.size > 1)
    notes.push(
      `${testLetters.size} different test files (A is the most common): ` +
        `test accuracies of different letters are not comparable`,
    );
  const entries = runs.map((r) => r.entry).sort(compareBy(sort));
  return { dir, sort, runs: entries, skipped, notes };
}
