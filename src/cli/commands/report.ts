/** `digitflow report`: a self-contained HTML page for a run. */
import type { Command } from 'commander';
import { createContext } from '../context.js';
import { parseInteger } from '../options.js';
import type { ReportResult } from '../../stages/report.js';


export function renderReportText(r: ReportResult): string {
  const lines = [`wrote ${r.output} (${(r.bytes / 1024).toFixed(0)} KB): ${r.sections.join(', ')}`];
  if (r.misclassified) lines.push(`misclassified ${r.misclassified.on} digits drawn: ${r.misclassified.shown} of ${r.misclassified.total}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .summary('self-contained HTML report: heatmap, bars, curves, misclassified digits')
    .description(
      [
        'Write a self-contained HTML report for a run (no CDN, no network): confusion-matrix heatmap, per-class precision/recall/F1 bars, training curves, a grid of misclassified digits drawn from their pixels (test rows when the run has an answer key, else the held-out validation rows) and the run parameters.',
      ].join('\n\n'),
    )
    .argument('<runDir>', 'run directory (runs/<run-id>)')
    .option('-o, --output <file>', 'where to write the page (default <runDir>/report.html)')
    .option('--max-digits <n>', 'most misclassified digits to draw', parseInteger('--max-digits', 0, 10_000), 60)
    .option('--force', 'replace an existing report')
    .action(async (runDir: string, opts: { output?: string; maxDigits: number; force?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd);
      const { reportStage } = await import('../../stages/report.js'); // loaded on use: keeps CLI start-up short
      const result = await reportStage({ runDir, output: opts.output, maxDigits: opts.maxDigits, force: opts.force }, ctx.deps);
      ctx.output(result, renderReportText);
    });
}
