/** `digitflow report`: a self-contained HTML page for a run. */
import type { Command } from 'commander';
import { createContext } from '../context.js';
import { parseInteger } from '../options.js';
import { addExamples, addHiddenAlias, outOption, paragraphs } from '../grammar.js';
import type { ReportResult } from '../../stages/report.js';
import type { CompareReportResult } from '../../stages/report-compare.js';

export function renderReportText(r: ReportResult): string {
  const lines = [`wrote ${r.output} (${(r.bytes / 1024).toFixed(0)} KB): ${r.sections.join(', ')}`];
  if (r.training) lines.push(`training ${r.training}`);
  if (r.misclassified)
    lines.push(
      `misclassified ${r.misclassified.on} digits drawn: ${r.misclassified.shown} of ${r.misclassified.total}`,
    );
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

export function renderCompareReportText(r: CompareReportResult): string {
  const lines = [
    `wrote ${r.output} (${(r.bytes / 1024).toFixed(0)} KB): ${r.runIds.join(' vs ')}: ${r.sections.join(', ')}`,
  ];
  const g = r.disagreements;
  if (g)
    lines.push(
      `on the ${g.rows} ${g.on} rows: only ${r.runIds[0]} right ${g.aRightBWrong}, ` +
        `only ${r.runIds[1]} right ${g.bRightAWrong}, both wrong ${g.bothWrong}`,
    );
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

export function registerReport(program: Command): void {
  const command = program
    .command('report')
    .summary('HTML report of a run, or one page comparing runs')
    .description(
      paragraphs(
        'Write a self-contained HTML report for a run (no CDN, no network): confusion-matrix heatmap, ' +
          'per-class precision/recall/F1 bars, training curves with the epoch kept and where training stopped, ' +
          'a grid of misclassified digits drawn from their pixels (test rows when the run has an answer key, ' +
          'else the held-out validation rows) and the run parameters.',
        "By default the page is the run's report.html (a previous one is replaced).",
        'With two or more runs: one comparison page (default <folder of the first ' +
          'run>/compare-<A>-vs-<B>.html): metrics side by side, whether they were scored on the same rows, ' +
          'confusion difference heatmaps against the first run, the digits the first two runs disagree on (one ' +
          "right, the other wrong), and every run's training curves. --each writes each run's own report.html " +
          'instead.',
      ),
    )
    .argument('<run...>', 'run folder(s) (runs/<run-id>); two or more make one comparison page')
    .addOption(
      outOption('file', 'where to write the page', '<run>/report.html, or <runs folder>/compare-<A>-vs-<B>.html'),
    )
    .option('--each', "with several runs: one report per run (each run's report.html) instead of a comparison page")
    .option(
      '--max-digits <n>',
      'most digits to draw (per side on a comparison page)',
      parseInteger('--max-digits', 0, 10_000),
      60,
    )
    .option('--force', 'replace an existing file given with -o');
  addHiddenAlias(command, '--output <file>', 'out');
  addExamples(command, [
    ['digitflow report runs/<id>', 'writes runs/<id>/report.html'],
    [
      'digitflow report runs/cnn runs/linear runs/blend',
      'one comparison page: runs/compare-cnn-vs-linear-vs-blend.html',
    ],
    ['digitflow report runs/a runs/b --each', 'one report per run'],
    ['digitflow report runs/<id> -o ~/Desktop/run.html --max-digits 200'],
  ]);
  command.action(
    async (
      runDirs: string[],
      opts: { out?: string; each?: boolean; maxDigits: number; force?: boolean },
      cmd: Command,
    ) => {
      if (opts.out !== undefined && opts.each && runDirs.length > 1)
        cmd.error("error: -o, --out names one file: with --each, leave -o out to write each run's report.html", {
          exitCode: 2,
          code: 'commander.invalidArgument',
        });
      const ctx = createContext(cmd);
      if (runDirs.length > 1 && !opts.each) {
        const { compareReportStage } = await import('../../stages/report-compare.js'); // loaded on use
        const compared = await compareReportStage(
          { runDirs, output: opts.out, maxDigits: opts.maxDigits, force: opts.force },
          ctx.deps,
        );
        ctx.output(compared, renderCompareReportText);
        return;
      }
      const { reportStage } = await import('../../stages/report.js'); // loaded on use: keeps CLI start-up short
      const results: ReportResult[] = [];
      for (const runDir of runDirs)
        results.push(
          await reportStage({ runDir, output: opts.out, maxDigits: opts.maxDigits, force: opts.force }, ctx.deps),
        );
      if (results.length === 1) ctx.output(results[0], renderReportText);
      else ctx.output({ reports: results }, (r) => r.reports.map(renderReportText).join('\n'));
    },
  );
}
