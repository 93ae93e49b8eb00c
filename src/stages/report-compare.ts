/**
 * report with several runs: one self-contained comparison page (metrics side by side, the
 * held-out checks, confusion differences, the digits one run gets right and the other wrong,
 * training curves). Blends, tune trials and managed runs are read like any run.
 */
import { dirname, join } from 'node:path';
import { UserInputError } from '../errors/index.js';
import { assertWritable, writeFileAtomic } from '../adapters/atomic-file.js';
import { collectCompareReportData } from '../report/compare-collect.js';
import { renderCompareReportHtml } from '../report/compare-page.js';
import { compareStage, loadRun } from './compare.js';
import type { LoadedRun } from '../domain/loaded-run.js';
import type { StageDeps } from '../runtime/deps.js';

export interface CompareReportInput {
  runDirs: string[];
  /** Default `<folder of the first run>/compare-<id1>-vs-<id2>....html`. */
  output?: string;
  force?: boolean;
  /** Most digits drawn per side (default 30). */
  maxDigits?: number;
}

export interface CompareReportResult {
  output: string;
  runIds: string[];
  bytes: number;
  sections: string[];
  disagreements?: {
    on: 'test' | 'validation';
    aRightBWrong: number;
    bRightAWrong: number;
    bothWrong: number;
    rows: number;
  };
  notes: string[];
}

/** Writes the comparison page atomically. */
export async function compareReportStage(input: CompareReportInput, deps: StageDeps): Promise<CompareReportResult> {
  if (input.runDirs.length < 2)
    throw new UserInputError('NO_RUNS', 'a comparison page needs at least two run directories', {
      hint: 'e.g. digitflow report runs/A runs/B',
    });
  const runs: LoadedRun[] = [];
  for (const dir of input.runDirs) {
    deps.reporter.emit({ kind: 'step', step: 'report', message: `reading ${dir}` });
    runs.push(await loadRun(dir));
  }
  const ids = runs.map((r) => r.manifest.runId);
  const output =
    input.output ?? join(dirname(runs[0].dir), `compare-${ids.join('-vs-')}.html`.replace(/[^a-zA-Z0-9._-]/g, '-'));
  await assertWritable(output, { force: input.force });
  const compare = await compareStage({ runs: input.runDirs }, { ...deps, reporter: { emit: () => undefined } });
  const data = await collectCompareReportData(runs, compare, {
    maxDigits: input.maxDigits ?? 30,
    now: new Date(deps.clock.now()),
    signal: deps.signal,
  });
  for (const n of data.notes) deps.reporter.emit({ kind: 'info', message: n });
  const html = renderCompareReportHtml(data);
  await writeFileAtomic(output, html, { force: input.force });
  const sections = data.compare.heldOut.messages.length ? ['checks', 'metrics'] : ['metrics'];
  if (data.confusionDiffs.length) sections.push('confusion-diff');
  if (data.disagreements) sections.push('disagreements');
  if (data.curves.length) sections.push('curves');
  sections.push('runs');
  const g = data.disagreements;
  return {
    output,
    runIds: ids,
    bytes: Buffer.byteLength(html),
    sections,
    disagreements: g
      ? {
          on: g.on,
          aRightBWrong: g.aRightBWrong.total,
          bRightAWrong: g.bRightAWrong.total,
          bothWrong: g.bothWrong,
          rows: g.rows,
        }
      : undefined,
    notes: data.notes,
  };
}
