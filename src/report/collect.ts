/**
 * Gathers what the report shows from a run directory: manifest, metrics, training history and
 * the pixels of misclassified digits (from the test file with its answer key, else from the
 * held-out rows of the training file). Missing pieces become notes, never failures.
 */
import { createReadStream } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { fileExists } from '../adapters/atomic-file.js';
import { streamKaggleCsvFile } from '../adapters/kaggle-csv-file.js';
import { PIXELS } from '../domain/dataset.js';
import type { RunManifest } from '../domain/manifest.js';
import { describeTrainingStop, trainingStopOf } from '../domain/training-stop.js';
import { argmax } from '../domain/probabilities/index.js';
import { readIdLabelFile } from '../domain/submission.js';
import { readProbabilityFile } from '../adapters/probability-file.js';
import type { LoadedRun } from '../domain/loaded-run.js';
import type { HistoryPoint, MisclassifiedDigit, ReportData } from './page.js';

/** An input path as recorded (relative to the cwd of the run), else relative to the run dir. */
export async function locate(runDir: string, path: string | undefined): Promise<string | undefined> {
  if (!path || path.startsWith('s3://')) return undefined;
  for (const p of isAbsolute(path) ? [path] : [resolve(path), join(runDir, path)]) if (await fileExists(p)) return p;
  return undefined;
}

/** Training history from the manifest: the local engine's per-epoch record. */
export function historyOf(m: RunManifest): HistoryPoint[] | undefined {
  const pts = m.local?.epochs;
  return pts?.length ? pts : undefined;
}

function paramsOf(m: RunManifest, dir: string): [string, string][] {
  const p: [string, string][] = [
    ['run id', m.runId],
    ['run directory', dir],
    ['command', m.command],
    ['engine', m.engine],
  ];
  if (m.model) p.push(['model', m.model]);
  if (m.backend) p.push(['backend', m.backend]);
  if (m.instanceType) p.push(['instance type', `${m.instanceType}${m.instanceCount ? ` x${m.instanceCount}` : ''}`]);
  p.push(['seed', String(m.seed)]);
  const stop = trainingStopOf(m);
  if (stop) p.push(['training', describeTrainingStop(stop)]);
  if (m.split)
    p.push([
      'validation split',
      `${m.split.validationRows.length} held-out rows (fraction ${m.split.validationFraction}, ` +
        `seed ${m.split.seed}), ${m.split.trainRows} training rows`,
    ]);
  for (const [k, v] of Object.entries(m.hyperparameters ?? {})) p.push([`hyperparameter ${k}`, String(v)]);
  for (const [k, v] of Object.entries(m.timings ?? {})) p.push([`time ${k}`, `${v.toFixed(1)} s`]);
  if (m.billableSeconds !== undefined) p.push(['billable seconds', String(m.billableSeconds)]);
  if (m.costEstimate) p.push(['estimated cost', `$${m.costEstimate.usd.toFixed(4)} (${m.costEstimate.basis})`]);
  for (const i of m.inputs ?? [])
    p.push([
      `input ${i.role}`,
      `${i.path}${i.rows !== undefined ? ` (${i.rows} rows)` : ''}` +
        (i.sha256 ? ` sha256 ${i.sha256.slice(0, 12)}…` : ''),
    ]);
  for (const [k, v] of Object.entries(m.versions ?? {})) p.push([`version ${k}`, v]);
  if (m.gitSha) p.push(['git', m.gitSha]);
  p.push(['created', m.createdAt]);
  return p;
}

/** Pixels of the given 0-based data rows of a Kaggle CSV, streamed (only the wanted rows are kept). */
export async function pixelsOfRows(
  path: string,
  layout: 'train' | 'test',
  wanted: number[],
  signal?: AbortSignal,
): Promise<Map<number, Uint8Array>> {
  const want = new Set(wanted);
  const out = new Map<number, Uint8Array>();
  for await (const chunk of streamKaggleCsvFile(path, { layout, signal })) {
    for (let r = 0; r < chunk.rows; r++) {
      const row = chunk.firstRow + r;
      if (want.has(row)) out.set(row, chunk.pixels.slice(r * PIXELS, (r + 1) * PIXELS));
    }
    if (out.size === want.size) break;
  }
  return out;
}

/** Predicted labels by ImageId from a submission CSV or (argmax of) a probability file. */
export async function predictionsOf(path: string): Promise<Map<number, number>> {
  if (/submission/.test(basename(path))) return readIdLabelFile(createReadStream(path), path);
  const out = new Map<number, number>();
  const { rows } = await readProbabilityFile(path, {});
  let n = 0;
  for await (const row of rows) out.set(row.id ?? ++n, argmax(row.scores));
  return out;
}

interface Source {
  on: 'test' | 'validation';
  pixelsFile: string;
  layout: 'train' | 'test';
  truth: Map<number, number>;
  predicted: Map<number, number>;
  /** ImageId (1-based) → 0-based data row of pixelsFile. */
  rowOf: (id: number) => number;
}

async function misclassifiedSource(run: LoadedRun, notes: string[]): Promise<Source | undefined> {
  const { dir, manifest: m } = run;
  const role = (r: string) => m.inputs?.find((i) => i.role === r)?.path;
  const out = (key: string, fallback: string) => join(dir, m.outputs?.[key] ?? fallback);
  const test = await locate(dir, role('test'));
  const labels = await locate(dir, role('labels'));
  const submission = out('submission', 'submission.csv');
  if (test && labels && (await fileExists(submission))) {
    return {
      on: 'test',
      pixelsFile: test,
      layout: 'test',
      truth: await readIdLabelFile(createReadStream(labels), labels),
      predicted: await predictionsOf(submission),
      rowOf: (id) => id - 1,
    };
  }
  const why = !role('test')
    ? 'the manifest names no test file'
    : !test
      ? `the test file ${role('test')} is not readable from here`
      : !labels
        ? 'there is no answer key (labels) for the test file'
        : `${submission} is missing`;
  const train = await locate(dir, role('train'));
  const valLabelsCandidates = [
    out('validationLabels', 'validation-labels.csv'),
    join(dir, 'sagemaker-input', 'validation-labels.csv'),
  ];
  let valLabels: string | undefined;
  for (const c of valLabelsCandidates) if (!valLabels && (await fileExists(c))) valLabels = c;
  let valPred: string | undefined;
  for (const c of [
    out('validationSubmission', 'validation-submission.csv'),
    out('validationProbabilities', 'validation-probabilities.csv'),
  ])
    if (!valPred && (await fileExists(c))) valPred = c;
  const rows = m.split?.validationRows;
  if (train && valLabels && valPred && rows) {
    notes.push(`Misclassified digits come from the held-out validation rows (${why}).`);
    return {
      on: 'validation',
      pixelsFile: train,
      layout: 'train',
      truth: await readIdLabelFile(createReadStream(valLabels), valLabels),
      predicted: await predictionsOf(valPred),
      rowOf: (id) => rows[id - 1],
    };
  }
  const cannot = !rows
    ? 'no validation split recorded'
    : !train
      ? 'training file not found'
      : 'validation labels or predictions missing';
  notes.push(`No grid of misclassified digits: ${why}, and the held-out rows cannot be drawn either (${cannot}).`);
  return undefined;
}

/** Everything the page shows. `maxDigits` bounds the grid (the first misclassified ids in order). */
export async function collectReportData(
  run: LoadedRun,
  opts: { maxDigits: number; now: Date; signal?: AbortSignal },
): Promise<ReportData> {
  const notes: string[] = [];
  const m = run.manifest;
  const data: ReportData = { runId: m.runId, generatedAt: opts.now.toISOString(), params: paramsOf(m, run.dir), notes };
  if (run.test) {
    data.metrics = { on: 'test', metrics: run.test };
    if (run.validation) data.secondary = { on: 'validation', metrics: run.validation };
  } else if (run.validation) data.metrics = { on: 'validation', metrics: run.validation };
  else notes.push('No metrics: the run has neither metrics.json (test answer key) nor validation results.');
  data.history = historyOf(m);
  const stop = trainingStopOf(m);
  if (stop) data.trainingStop = describeTrainingStop(stop);
  if (!data.history)
    notes.push(
      m.command === 'blend'
        ? "No training curves: a blend trains nothing; its members' reports have theirs."
        : 'No training curves: the manifest records no per-epoch history (managed Linear Learner runs report ' +
            'only final metrics).',
    );
  const src = await misclassifiedSource(run, notes);
  if (src) {
    const wrong = [...src.truth.keys()]
      .filter((id) => src.predicted.has(id) && src.predicted.get(id) !== src.truth.get(id))
      .sort((a, b) => a - b);
    const shown = wrong.slice(0, opts.maxDigits);
    try {
      const pixels = await pixelsOfRows(src.pixelsFile, src.layout, shown.map(src.rowOf), opts.signal);
      const digits: MisclassifiedDigit[] = [];
      for (const id of shown) {
        const px = pixels.get(src.rowOf(id));
        if (px) digits.push({ id, truth: src.truth.get(id)!, predicted: src.predicted.get(id)!, pixels: px });
      }
      data.misclassified = { on: src.on, total: wrong.length, digits };
      if (wrong.length === 0) notes.push(`No misclassified ${src.on} digits to show: every prediction is right.`);
    } catch (e) {
      notes.push(`No grid of misclassified digits: reading ${src.pixelsFile} failed (${(e as Error).message}).`);
    }
  }
  return data;
}
