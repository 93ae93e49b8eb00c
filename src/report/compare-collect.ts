/**
 * Gathers what the comparison page shows for several runs: the compare table, the held-out
 * checks, the confusion difference of each run against the first, the digits one of the first two
 * runs gets right and the other wrong (drawn from their pixels), and the training curves of every
 * run. Missing pieces become notes, never failures.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { fileExists } from '../adapters/atomic-file.js';
import { readIdLabelFile } from '../domain/submission.js';
import type { CompareResult } from '../domain/compare-result.js';
import type { LoadedRun } from '../domain/loaded-run.js';
import { historyOf, locate, pixelsOfRows, predictionsOf } from './collect.js';
import type { HistoryPoint } from './page.js';

export interface DisagreementDigit {
  id: number;
  truth: number;
  /** Predictions of the first and the second run. */
  a: number;
  b: number;
  pixels: Uint8Array;
}

export interface CompareReportData {
  generatedAt: string;
  runs: { runId: string; dir: string; engine: string; model?: string }[];
  compare: CompareResult;
  /** Confusion of run i minus run 0, for every i > 0. */
  confusionDiffs: { a: string; b: string; on: 'test' | 'validation'; diff: number[][] }[];
  disagreements?: {
    on: 'test' | 'validation';
    a: string;
    b: string;
    rows: number;
    bothWrong: number;
    aRightBWrong: { total: number; digits: DisagreementDigit[] };
    bRightAWrong: { total: number; digits: DisagreementDigit[] };
  };
  curves: { runId: string; history: HistoryPoint[] }[];
  notes: string[];
}

interface Source {
  on: 'test' | 'validation';
  pixelsFile: string;
  layout: 'train' | 'test';
  truth: Map<number, number>;
  a: Map<number, number>;
  b: Map<number, number>;
  rowOf: (id: number) => number;
}

const roleOf = (r: LoadedRun, role: string) => r.manifest.inputs?.find((i) => i.role === role)?.path;
const outOf = (r: LoadedRun, key: string, fallback: string) => join(r.dir, r.manifest.outputs?.[key] ?? fallback);

async function firstExisting(paths: string[]): Promise<string | undefined> {
  for (const p of paths) if (await fileExists(p)) return p;
  return undefined;
}

/** Where both runs' predictions can be lined up with true labels and pixels: test rows, else held-out rows. */
async function disagreementSource(
  a: LoadedRun,
  b: LoadedRun,
  compare: CompareResult,
  notes: string[],
): Promise<Source | undefined> {
  const why: string[] = [];
  if (compare.heldOut.sameTestInput !== false) {
    const test = (await locate(a.dir, roleOf(a, 'test'))) ?? (await locate(b.dir, roleOf(b, 'test')));
    const labels = (await locate(a.dir, roleOf(a, 'labels'))) ?? (await locate(b.dir, roleOf(b, 'labels')));
    const subA = await firstExisting([outOf(a, 'submission', 'submission.csv')]);
    const subB = await firstExisting([outOf(b, 'submission', 'submission.csv')]);
    if (test && labels && subA && subB) {
      return {
        on: 'test',
        pixelsFile: test,
        layout: 'test',
        truth: await readIdLabelFile(createReadStream(labels), labels),
        a: await predictionsOf(subA),
        b: await predictionsOf(subB),
        rowOf: (id) => id - 1,
      };
    }
    why.push(
      !test
        ? 'the test file is not readable from here'
        : !labels
          ? 'there is no answer key for the test file'
          : 'a run has no submission.csv',
    );
  } else why.push('the runs predicted different test files');
  const rows = a.manifest.split?.validationRows;
  if (compare.heldOut.sameValidationRows && rows) {
    const train = (await locate(a.dir, roleOf(a, 'train'))) ?? (await locate(b.dir, roleOf(b, 'train')));
    const valLabels = await firstExisting([
      outOf(a, 'validationLabels', 'validation-labels.csv'),
      join(a.dir, 'sagemaker-input', 'validation-labels.csv'),
    ]);
    const predA = await firstExisting([
      outOf(a, 'validationSubmission', 'validation-submission.csv'),
      outOf(a, 'validationProbabilities', 'validation-probabilities.csv'),
    ]);
    const predB = await firstExisting([
      outOf(b, 'validationSubmission', 'validation-submission.csv'),
      outOf(b, 'validationProbabilities', 'validation-probabilities.csv'),
    ]);
    if (train && valLabels && predA && predB) {
      notes.push(`Digits the runs disagree on come from the held-out validation rows (${why.join('; ')}).`);
      const recorded = [...rows];
      return {
        on: 'validation',
        pixelsFile: train,
        layout: 'train',
        truth: await readIdLabelFile(createReadStream(valLabels), valLabels),
        a: await predictionsOf(predA),
        b: await predictionsOf(predB),
        rowOf: (id) => recorded[id - 1],
      };
    }
    why.push(!train ? 'the training file is not readable from here' : 'validation labels or predictions are missing');
  } else
    why.push(
      compare.heldOut.sameValidationRows === false
        ? 'the runs held out different validation rows'
        : 'not every run records its validation split',
    );
  notes.push(`No digits one run gets right and the other wrong: ${why.join('; ')}.`);
  return undefined;
}

export async function collectCompareReportData(
  runs: LoadedRun[],
  compare: CompareResult,
  opts: { maxDigits: number; now: Date; signal?: AbortSignal },
): Promise<CompareReportData> {
  const notes: string[] = [];
  const data: CompareReportData = {
    generatedAt: opts.now.toISOString(),
    runs: runs.map((r) => ({
      runId: r.manifest.runId,
      dir: r.dir,
      engine: r.manifest.command === 'blend' ? 'blend' : r.manifest.engine,
      model: r.manifest.model,
    })),
    compare,
    confusionDiffs: [],
    curves: [],
    notes,
  };
  const [first] = runs;
  for (const r of runs.slice(1)) {
    const on =
      first.test && r.test && compare.heldOut.sameTestInput !== false
        ? 'test'
        : first.validation && r.validation && compare.heldOut.sameValidationRows !== false
          ? 'validation'
          : undefined;
    if (!on || first[on]!.confusion.length !== r[on]!.confusion.length) {
      notes.push(
        `No confusion difference for ${r.manifest.runId}: it and ${first.manifest.runId} have no metrics on ` +
          `the same rows.`,
      );
      continue;
    }
    const ca = first[on]!.confusion;
    data.confusionDiffs.push({
      a: first.manifest.runId,
      b: r.manifest.runId,
      on,
      diff: r[on]!.confusion.map((row, t) => row.map((v, p) => v - ca[t][p])),
    });
  }
  for (const r of runs) {
    const history = historyOf(r.manifest);
    if (history) data.curves.push({ runId: r.manifest.runId, history });
  }
  if (data.curves.length === 0) notes.push('No training curves: no run records a per-epoch history.');

  const [a, b] = runs;
  const src = await disagreementSource(a, b, compare, notes);
  if (src) {
    const ids = [...src.truth.keys()].filter((id) => src.a.has(id) && src.b.has(id)).sort((x, y) => x - y);
    const aOnly = ids.filter((id) => src.a.get(id) === src.truth.get(id) && src.b.get(id) !== src.truth.get(id));
    const bOnly = ids.filter((id) => src.b.get(id) === src.truth.get(id) && src.a.get(id) !== src.truth.get(id));
    const bothWrong = ids.filter(
      (id) => src.a.get(id) !== src.truth.get(id) && src.b.get(id) !== src.truth.get(id),
    ).length;
    const shownA = aOnly.slice(0, opts.maxDigits);
    const shownB = bOnly.slice(0, opts.maxDigits);
    try {
      const pixels = await pixelsOfRows(src.pixelsFile, src.layout, [...shownA, ...shownB].map(src.rowOf), opts.signal);
      const digits = (list: number[]) =>
        list.flatMap((id) => {
          const px = pixels.get(src.rowOf(id));
          return px ? [{ id, truth: src.truth.get(id)!, a: src.a.get(id)!, b: src.b.get(id)!, pixels: px }] : [];
        });
      data.disagreements = {
        on: src.on,
        a: a.manifest.runId,
        b: b.manifest.runId,
        rows: ids.length,
        bothWrong,
        aRightBWrong: { total: aOnly.length, digits: digits(shownA) },
        bRightAWrong: { total: bOnly.length, digits: digits(shownB) },
      };
    } catch (e) {
      notes.push(
        `No digits one run gets right and the other wrong: reading ${src.pixelsFile} failed (${(e as Error).message}).`,
      );
    }
  }
  return data;
}
