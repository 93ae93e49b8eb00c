/** `digitflow report`: a self-contained HTML page for a run. */
import type { Command } from 'commander';
import { createContext } from '../context.js';
import { parseInteger } from '../options.js';
import type { ReportResult } from '../../stages/report.js';
import type { CompareReportResult } from '../../stages/report-compare.js';


export function renderReportText(r: ReportResult): string {
  const lines = [`wrote ${r.output} (${(r.bytes / 1024).toFixed(0)} KB): ${r.sections.join(', ')}`];
  if (r.misclassified) lines.push(`misclassified ${r.misclassified.on} digits drawn: ${r.misclassified.shown} of ${r.misclassified.total}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

export function renderCompareReportText(r: CompareReportResult): string {
  const lines = [`wrote ${r.output} (${(r.bytes / 1024).toFixed(0)} KB): ${r.runIds.join(' vs ')}: ${r.sections.join(', ')}`];
  const g = r.disagreements;
  if (g) lines.push(`on the ${g.rows} ${g.on} rows: only ${r.runIds[0]} right ${g.aRightBWrong}, only ${r.runIds[1]} right ${g.bRightAWrong}, both wrong ${g.bothWrong}`);
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
        'With two or more runs: one comparison page instead (default <folder of the first run>/compare-<A>-vs-<B>.html): metrics side by side, whether they were scored on the same rows, confusion difference heatmaps against the first run, the digits the first two runs disagree on (one right, the other wrong), and every run\'s training curves.',
      ].join('\n\n'),
    )
    .argument('<runDirs...>', 'run directory (runs/<run-id>); two or more write one comparison page')
    .option('-o, --output <file>', 'where to write the page (default <runDir>/report.html)')
    .option('--max-digits <n>', 'most misclassified digits to draw', parseInteger('--max-digits', 0, 10_000), 60)
    .option('--force', 'replace an existing report')
    .addHelpText('after', '\nExamples:\n  digitflow report runs/<id>                       # runs/<id>/report.html\n  digitflow report runs/cnn runs/linear runs/blend  # runs/compare-cnn-vs-linear-vs-blend.html')
    .action(async (runDirs: string[], opts: { output?: string; maxDigits: number; force?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd);
      if (runDirs.length > 1) {
        const { compareReportStage } = await import('../../stages/report-compare.js');
        const compared = await compareReportStage({ runDirs, output: opts.output, maxDigits: opts.maxDigits, force: opts.force }, ctx.deps);
        ctx.output(compared, renderCompareReportText);
        return;
      }
      const runDir = runDirs[0];
      const { reportStage } = await import('../../stages/report.js'); // loaded on use: keeps CLI start-up short
      const result = await reportStage({ runDir, output: opts.output, maxDigits: opts.maxDigits, force: opts.force }, ctx.deps);
      ctx.output(result, renderReportText);
    });
}
