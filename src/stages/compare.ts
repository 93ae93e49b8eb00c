/**
 * compare: runs side by side (engine, model, backend or instance, accuracy, macro-F1, timings,
 * billable seconds, cost, per-class recall), a differences-only view, a check that the runs were
 * scored on the same held-out rows and the same test file, and a confusion difference for two runs.
 */
import { LINEAR_LEARNER_TO_LOCAL } from '../domain/linear-learner-hyperparameters.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { displayValue } from '../domain/display-value.js';
import { UserInputError } from '../errors/index.js';
import { readManifest } from '../adapters/run-store.js';
import { fileExists } from '../adapters/atomic-file.js';
import type { RunManifest } from '../domain/manifest.js';
import { computeMetrics, type Metrics } from '../domain/metrics.js';
import { matchLabels } from '../domain/probabilities/match-labels.js';
import { readIdLabelFile } from '../domain/submission.js';
import { createReadStream } from 'node:fs';
import { readProbabilityFile } from '../adapters/probability-file.js';
import type { StageDeps } from '../runtime/deps.js';
import type { LoadedRun } from '../domain/loaded-run.js';
import type { CompareResult, CompareRow, HeldOutCheck } from '../domain/compare-result.js';
import { trainingStopOf } from '../domain/training-stop.js';
import { kagglePublicScore } from './runs.js';

function outputPath(dir: string, m: RunManifest, key: string, fallback: string): string {
  return join(dir, m.outputs?.[key] ?? fallback);
}

async function readMetricsFile(path: string): Promise<Metrics> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Metrics;
  } catch (e) {
    throw new UserInputError('METRICS_INVALID', `${path} is not a readable metrics file: ${(e as Error).message}`, {
      details: { path },
    });
  }
}

/** Metrics of a probability file against an `ImageId,Label` answer key (argmax + log loss). */
export async function metricsFromProbabilities(
  probabilities: string,
  labels: string,
  numClasses = 10,
): Promise<Metrics> {
  const truthById = await readIdLabelFile(createReadStream(labels), labels, numClasses);
  const { rows } = await readProbabilityFile(probabilities, { numClasses });
  const matched = await matchLabels(rows, truthById, {
    probabilities,
    labels,
    countHint: 'both files must cover the same validation rows',
  });
  const m = computeMetrics(matched.truth, matched.predicted, numClasses);
  m.logLoss = matched.logLoss;
  return m;
}

/** Reads a run directory: manifest, metrics.json, validation metrics (computed when only the raw files exist). */
export async function loadRun(dir: string): Promise<LoadedRun> {
  const manifest = await readManifest(dir);
  const run: LoadedRun = { dir, manifest };
  const metricsPath = outputPath(dir, manifest, 'metrics', 'metrics.json');
  if (await fileExists(metricsPath)) run.test = await readMetricsFile(metricsPath);
  const vm = outputPath(dir, manifest, 'validationMetrics', 'validation-metrics.json');
  const vp = outputPath(dir, manifest, 'validationProbabilities', 'validation-probabilities.csv');
  const vl = outputPath(dir, manifest, 'validationLabels', 'validation-labels.csv');
  if (await fileExists(vm)) {
    run.validation = await readMetricsFile(vm);
    run.validationSource = 'validation-metrics.json';
  } else if ((await fileExists(vp)) && (await fileExists(vl))) {
    run.validation = await metricsFromProbabilities(vp, vl);
    run.validationSource = 'computed';
  }
  return run;
}

export interface CompareInput {
  runs: string[];
  /** Keep only the rows whose values differ. */
  diff?: boolean;
}

function sortedKey(rows: number[] | undefined): string | null {
  if (!rows) return null;
  return [...rows].sort((a, b) => a - b).join(',');
}

export function checkHeldOut(runs: LoadedRun[]): HeldOutCheck {
  const messages: string[] = [];
  const trainShas = runs.map((r) => r.manifest.inputs?.find((i) => i.role === 'train')?.sha256 ?? null);
  const differentTrainFiles = trainShas.every((s) => s !== null) && trainShas.some((s) => s !== trainShas[0]);
  const keys = runs.map((r) => sortedKey(r.manifest.split?.validationRows));
  const counts = runs.map((r) => r.manifest.split?.validationRows.length ?? null);
  let sameValidationRows: boolean | null = null;
  if (keys.every((k) => k !== null)) {
    sameValidationRows = !differentTrainFiles && keys.every((k) => k === keys[0]);
    const rowCounts = counts.every((c) => c === counts[0])
      ? `same count, ${counts[0]}, but other rows`
      : `${counts.join(' vs ')} rows`;
    messages.push(
      sameValidationRows && !differentTrainFiles
        ? `same held-out rows: all runs were validated on the same ${counts[0]} rows of the training file`
        : differentTrainFiles
          ? 'DIFFERENT training files (sha256 differs): the held-out rows are rows of different files, ' +
            'so validation numbers are NOT comparable; train on the same file to compare them'
          : `DIFFERENT held-out rows ` +
            `(${rowCounts}): ` +
            `validation numbers are NOT comparable; rerun with the same --seed and --validation-fraction`,
    );
  } else if (runs.length > 1) {
    const without = runs.filter((_, i) => keys[i] === null).map((r) => r.manifest.runId);
    messages.push(`cannot check the held-out rows: ${without.join(', ')} record no validation split`);
  }
  const shas = runs.map((r) => r.manifest.inputs?.find((i) => i.role === 'test')?.sha256 ?? null);
  let sameTestInput: boolean | null = null;
  if (shas.every((s) => s !== null)) {
    sameTestInput = shas.every((s) => s === shas[0]);
    messages.push(
      sameTestInput
        ? 'same test file (sha256 matches)'
        : 'DIFFERENT test files (sha256 differs): test metrics are NOT comparable',
    );
  } else if (runs.length > 1 && runs.some((r) => r.test)) {
    messages.push('cannot check the test file: not every run records its sha256');
  }
  return { sameValidationRows, sameTestInput, validationRowCounts: counts, messages };
}

/** Compares run directories side by side. */
export async function compareStage(input: CompareInput, deps: StageDeps): Promise<CompareResult> {
  if (input.runs.length === 0)
    throw new UserInputError('NO_RUNS', 'compare needs at least one run directory', {
      hint: 'e.g. digitflow compare runs/A runs/B',
    });
  const runs: LoadedRun[] = [];
  for (const dir of input.runs) {
    deps.reporter.emit({ kind: 'step', step: 'compare', message: `reading ${dir}` });
    runs.push(await loadRun(dir));
  }
  const rows: CompareRow[] = [];
  const add = (key: string, label: string, get: (r: LoadedRun) => string | number | null | undefined) => {
    const values = runs.map((r) => get(r) ?? null);
    if (values.every((v) => v === null)) return;
    const shown = values.map((v) => displayValue(v, key));
    rows.push({ key, label, values, differs: shown.some((s) => s !== shown[0]) });
  };
  add('runId', 'run', (r) => r.manifest.runId);
  add('engine', 'engine', (r) => r.manifest.engine);
  add('model', 'model', (r) => r.manifest.model);
  add(
    'backend',
    'backend / instance',
    (r) =>
      r.manifest.backend ??
      (r.manifest.instanceType
        ? `${r.manifest.instanceType}${(r.manifest.instanceCount ?? 1) > 1 ? ` x${r.manifest.instanceCount}` : ''}`
        : null),
  );
  add('seed', 'seed', (r) => r.manifest.seed);
  // The shared settings line up across engines: learningRate next to learning_rate, batchSize next
  // to mini_batch_size, l2 next to wd (the managed engine's Linear Learner names).
  const localName = (k: string) => LINEAR_LEARNER_TO_LOCAL[k] ?? k;
  const hpKeys = [...new Set(runs.flatMap((r) => Object.keys(r.manifest.hyperparameters ?? {}).map(localName)))].sort();
  for (const k of hpKeys) {
    const names = [
      ...new Set(runs.flatMap((r) => Object.keys(r.manifest.hyperparameters ?? {}).filter((n) => localName(n) === k))),
    ];
    // `epochs` is the budget: the epochs actually trained and the epoch kept are their own rows.
    add(`hp.${k}`, k === 'epochs' ? 'epochs (max)' : names.join(' / '), (r) => {
      const hp = r.manifest.hyperparameters ?? {};
      const name = Object.keys(hp).find((n) => localName(n) === k);
      return name === undefined ? null : String(hp[name]);
    });
  }
  add('training.epochsRun', 'epochs trained', (r) => {
    const t = trainingStopOf(r.manifest);
    return t ? `${t.epochsRun}${t.stoppedEarly ? ' (stopped early)' : t.interrupted ? ' (interrupted)' : ''}` : null;
  });
  add('training.epochKept', 'epoch kept', (r) => trainingStopOf(r.manifest)?.epochKept);
  add('validationRows', 'held-out rows', (r) => r.validation?.rows ?? r.manifest.split?.validationRows.length);
  add('validation.accuracy', 'validation accuracy', (r) => r.validation?.accuracy);
  add('validation.macroF1', 'validation macro-F1', (r) => r.validation?.macroF1);
  add('validation.logLoss', 'validation log loss', (r) => r.validation?.logLoss);
  add('test.accuracy', 'test accuracy', (r) => r.test?.accuracy);
  add('test.macroF1', 'test macro-F1', (r) => r.test?.macroF1);
  // The real score next to the local one, read the way `runs` reads it (latest scored submission).
  add('kaggle.publicScore', 'Kaggle public score', (r) => kagglePublicScore(r.manifest));
  add('timings.train', 'train seconds', (r) => r.manifest.timings?.train);
  add('timings.predict', 'predict seconds', (r) => r.manifest.timings?.predict ?? r.manifest.timings?.transform);
  add('billableSeconds', 'billable seconds', (r) => r.manifest.billableSeconds);
  add('costUsd', 'est. cost', (r) => r.manifest.costEstimate?.usd);
  // Per-class recall on the held-out validation rows (the rows every run is checked to share);
  // on the test answer key only when no run has validation metrics. The label says which.
  const recallOn: 'validation' | 'test' = runs.some((r) => r.validation) ? 'validation' : 'test';
  const numClasses = Math.max(0, ...runs.map((r) => r[recallOn]?.perClass.length ?? 0));
  for (let c = 0; c < numClasses; c++) {
    // A class with no rows has no recall: show a dash rather than a misleading 0%.
    add(`recall.${c}`, `${recallOn} recall ${c}`, (r) => {
      const pc = r[recallOn]?.perClass[c];
      return pc && pc.support > 0 ? pc.recall : null;
    });
  }
  const heldOut = checkHeldOut(runs);
  let confusionDiff: CompareResult['confusionDiff'];
  if (runs.length === 2) {
    const [a, b] = runs;
    const on = a.validation && b.validation ? 'validation' : a.test && b.test ? 'test' : undefined;
    if (on) {
      const ca = a[on]!.confusion;
      const cb = b[on]!.confusion;
      if (ca.length === cb.length)
        confusionDiff = {
          a: a.manifest.runId,
          b: b.manifest.runId,
          on,
          diff: cb.map((row, t) => row.map((v, p) => v - ca[t][p])),
        };
    }
  }
  return {
    runs: runs.map((r) => ({
      dir: r.dir,
      runId: r.manifest.runId,
      validationSource: r.validationSource,
      hasTestMetrics: Boolean(r.test),
    })),
    rows: input.diff ? rows.filter((r) => r.differs || r.key === 'runId') : rows,
    diffOnly: Boolean(input.diff),
    heldOut,
    confusionDiff,
  };
}

export { displayValue };
