/**
 * report: one self-contained HTML page for a run (confusion heatmap, per-class bars, training
 * curves, misclassified digits drawn from their pixels, run parameters). No network, no CDN.
 */
import { join } from 'node:path';
import { assertWritable, writeFileAtomic } from '../adapters/atomic-file.js';
import { collectReportData } from '../report/collect.js';
import { renderReportHtml } from '../report/page.js';
import { loadRun } from './compare.js';
import type { StageDeps } from './deps.js';

export interface ReportInput {
  runDir: string;
  /** Default `<runDir>/report.html`. */
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
  notes: string[];
}

/** Writes the report page for `runDir` atomically. */
export async function reportStage(input: ReportInput, deps: StageDeps): Promise<ReportResult> {
  const output = input.output ?? join(input.runDir, 'report.html');
  await assertWritable(output, { force: input.force });
  deps.reporter.emit({ kind: 'step', step: 'report', message: `reading ${input.runDir}` });
  const run = await loadRun(input.runDir);
  const data = await collectReportData(run, { maxDigits: input.maxDigits ?? 60, now: new Date(deps.clock.now()), signal: deps.signal });
  for (const n of data.notes) deps.reporter.emit({ kind: 'info', message: n });
  const html = renderReportHtml(data);
  await writeFileAtomic(output, html, { force: input.force });
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
    misclassified: data.misclassified ? { on: data.misclassified.on, shown: data.misclassified.digits.length, total: data.misclassified.total } : undefined,
    notes: data.notes,
  };
}
