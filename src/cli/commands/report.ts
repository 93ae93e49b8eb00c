/** `digitflow report`: a self-contained HTML page for a run. */
import type { Command } from 'commander';
import { createContext } from '../context.js';
import { parseInteger } from '../options.js';
import { addExamples, addHiddenAlias, outOption, paragraphs } from '../grammar.js';
import type { ReportResult } from '../../stages/report.js';


export function renderReportText(r: ReportResult): string {
  const lines = [`wrote ${r.output} (${(r.bytes / 1024).toFixed(0)} KB): ${r.sections.join(', ')}`];
  if (r.training) lines.push(`training ${r.training}`);
  if (r.misclassified) lines.push(`misclassified ${r.misclassified.on} digits drawn: ${r.misclassified.shown} of ${r.misclassified.total}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

export function registerReport(program: Command): void {
  const command = program
    .command('report')
    .summary('self-contained HTML report of a run')
    .description(
      paragraphs(
        'Write a self-contained HTML report for a run (no CDN, no network): confusion-matrix heatmap, per-class precision/recall/F1 bars, training curves with the epoch kept and where training stopped, a grid of misclassified digits drawn from their pixels (test rows when the run has an answer key, else the held-out validation rows) and the run parameters.',
        'By default the page is the run\'s report.html (a previous one is replaced). With several runs, each gets its own.',
      ),
    )
    .argument('<run...>', 'run folder(s) (runs/<run-id>)')
    .addOption(outOption('file', 'where to write the page (one run only)', '<run>/report.html'))
    .option('--max-digits <n>', 'most misclassified digits to draw', parseInteger('--max-digits', 0, 10_000), 60)
    .option('--force', 'replace an existing file given with -o');
  addHiddenAlias(command, '--output <file>', 'out');
  addExamples(command, [
    ['digitflow report runs/<id>', 'writes runs/<id>/report.html'],
    ['digitflow report runs/a runs/b', 'one report per run'],
    ['digitflow report runs/<id> -o ~/Desktop/run.html --max-digits 200'],
  ]);
  command.action(async (runDirs: string[], opts: { out?: string; maxDigits: number; force?: boolean }, cmd: Command) => {
    if (opts.out !== undefined && runDirs.length > 1) cmd.error('error: -o, --out names one file: give one run, or leave -o out to write each run\'s report.html', { exitCode: 2, code: 'commander.invalidArgument' });
    const ctx = createContext(cmd);
    const { reportStage } = await import('../../stages/report.js'); // loaded on use: keeps CLI start-up short
    const results: ReportResult[] = [];
    for (const runDir of runDirs) results.push(await reportStage({ runDir, output: opts.out, maxDigits: opts.maxDigits, force: opts.force }, ctx.deps));
    if (results.length === 1) ctx.output(results[0], renderReportText);
    else ctx.output({ reports: results }, (r) => r.reports.map(renderReportText).join('\n'));
  });
}
