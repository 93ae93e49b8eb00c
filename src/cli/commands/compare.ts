/** `digitflow compare`: runs side by side. */
import type { Command } from 'commander';
import { createContext, saveResult } from '../context.js';
import { addExamples, outOption, paragraphs } from '../grammar.js';
import type { CompareResult } from '../../domain/compare-result.js';
import { displayValue } from '../../domain/display-value.js';
import { renderConfusionDiffText } from '../../domain/confusion-text.js';

export function renderCompareText(r: CompareResult, color = false): string {
  const labelWidth = Math.max(...r.rows.map((row) => row.label.length), 5) + 2;
  const shown = r.rows.map((row) => row.values.map((v) => displayValue(v, row.key)));
  const colWidth = r.runs.map((_, i) => Math.max(...shown.map((s) => s[i].length), 8) + 2);
  const lines: string[] = [];
  for (const m of r.heldOut.messages) {
    const warn = m.startsWith('DIFFERENT') || m.startsWith('cannot');
    lines.push((warn ? '! ' : '✓ ') + (color && warn ? `\u001b[31m${m}\u001b[0m` : m));
  }
  if (lines.length) lines.push('');
  r.rows.forEach((row, i) => {
    const mark = row.differs && r.runs.length > 1 && row.key !== 'runId' ? '*' : ' ';
    lines.push(mark + ' ' + row.label.padEnd(labelWidth) + shown[i].map((s, j) => s.padStart(colWidth[j])).join(''));
  });
  if (r.runs.length > 1)
    lines.push(
      '',
      r.diffOnly
        ? '(only rows that differ; drop --diff for all rows)'
        : '(* = differs between runs; --diff shows only those rows)',
    );
  if (r.confusionDiff) {
    lines.push(
      '',
      renderConfusionDiffText(r.confusionDiff.diff, {
        color,
        title:
          `confusion on ${r.confusionDiff.on} rows, ${r.confusionDiff.b} minus ${r.confusionDiff.a} (rows: ` +
          `true, columns: predicted)`,
      }),
    );
  }
  return lines.join('\n');
}

export function registerCompare(program: Command): void {
  const command = program
    .command('compare')
    .summary('runs side by side, on the same held-out rows')
    .description(
      paragraphs(
        'Runs side by side: engine, model, backend or instance type, hyperparameters, ' +
          'the epochs trained and the epoch kept, validation and test accuracy and macro-F1, ' +
          'train/predict seconds, billable seconds, estimated cost and per-class recall on the validation ' +
          'rows.',
        'Checks that the runs were scored on the same held-out rows of the same training file (manifest ' +
          'split, sha256) and the same test file (sha256), and says so clearly when not. With two runs, ' +
          'also prints the difference of their confusion matrices.',
      ),
    )
    .argument('<run...>', 'run folders (runs/<run-id>)')
    .option('--diff', 'show only the rows whose values differ')
    .addOption(outOption('file', 'also save the comparison as JSON (what --json prints)'))
    .option('--force', 'replace an existing -o file');
  addExamples(command, [
    ['digitflow compare runs/linear runs/cnn'],
    ['digitflow compare runs/* --diff'],
    ['digitflow compare runs/a runs/b -o comparison.json'],
  ]);
  command.action(async (runDirs: string[], opts: { diff?: boolean; out?: string; force?: boolean }, cmd: Command) => {
    const ctx = createContext(cmd);
    const { compareStage } = await import('../../stages/compare.js'); // loaded on use: keeps CLI start-up short
    const result = await compareStage({ runs: runDirs, diff: opts.diff }, ctx.deps);
    await saveResult(opts.out, result, opts.force);
    ctx.output(result, (r) => renderCompareText(r, ctx.color));
  });
}
