/**
 * report: one self-contained HTML page for a run (confusion heatmap, per-class bars, training
 * curves, misclassified digits drawn from their pixels, run parameters). No network, no CDN.
 */
import { join } from 'node:path';
import { assertWritable, writeFileAtomic } from '../adapters/atomic-file.js';
import { collectReportData } from '../report/collect.js';
import { renderReportHtml } from '../report/page.js';
import { loadRun } from './compare.js';
import type { StageDeps } from '../runtime/deps.js';
import { recordInRun } from './run-folder.js';

export interface ReportInput {
  runDir: string;
  /** Default `<runDir>/report.html`, a derived output replaced (atomically) without `force`. */
  output?: string;
  force?: boolean;
  /** Most misclassified digits drawn (default 60). */
  maxDigits?: number;
}

export interface ReportResult {
  output: string;
  runId: string;
  bytes: number;
  /** Section ids present in the page. */
  sections: string[];
  metricsOn?: 'test' | 'validation';
  misclassified?: { on: 'test' | 'validation'; shown: number; total: number };
  /** Where training stopped and the epoch kept, in words. */
  training?: string;
  notes: string[];
}

/** Writes the report page for `runDir` atomically. */
export async function reportStage(input: ReportInput, deps: StageDeps): Promise<ReportResult> {
  const output = input.output ?? join(input.runDir, 'report.html');
  // The run's own report is derived from the run: a new one replaces it. Any other path is protected.
  const force = Boolean(input.force) || input.output === undefined;
  await assertWritable(output, { force });
  deps.reporter.emit({ kind: 'step', step: 'report', message: `reading ${input.runDir}` });
  const run = await loadRun(input.runDir);
  const data = await collectReportData(run, {
    maxDigits: input.maxDigits ?? 60,
    now: new Date(deps.clock.now()),
    signal: deps.signal,
  });
  // The notes are part of the result (printed once, with it), not progress.
  const html = renderReportHtml(data);
  await writeFileAtomic(output, html, { force });
  if (input.output === undefined) await recordInRun(input.runDir, { outputs: { report: output } }, deps);
  // In page order.
  const sections: string[] = [];
  if (data.metrics) sections.push('summary', 'confusion', 'per-class');
  if (data.history) sections.push('training');
  if (data.misclassified?.digits.length) sections.push('misclassified');
  sections.push('parameters');
  return {
    output,
    runId: data.runId,
    bytes: Buffer.byteLength(html),
    sections,
    metricsOn: data.metrics?.on,
    misclassified: data.misclassified
      ? { on: data.misclassified.on, shown: data.misclassified.digits.length, total: data.misclassified.total }
      : undefined,
    training: data.trainingStop,
    notes: data.notes,
  };
}
