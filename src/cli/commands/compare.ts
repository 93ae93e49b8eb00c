/** `digitflow compare`: runs side by side. */
import type { Command } from 'commander';
import { createContext } from '../context.js';
import type { CompareResult } from '../../stages/compare.js';
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
  if (r.runs.length > 1) lines.push('', r.diffOnly ? '(only rows that differ; drop --diff for all rows)' : '(* = differs between runs; --diff shows only those rows)');
  if (r.confusionDiff) {
    lines.push('', renderConfusionDiffText(r.confusionDiff.diff, {
      color,
      title: `confusion on ${r.confusionDiff.on} rows, ${r.confusionDiff.b} minus ${r.confusionDiff.a} (rows: true, columns: predicted)`,
    }));
  }
  return lines.join('\n');
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .summary('runs side by side, on the same held-out rows; --diff for differences')
    .description(
      [
        'Runs side by side: engine, model, backend or instance type, hyperparameters, validation and test accuracy and macro-F1, train/predict seconds, billable seconds, estimated cost and per-class recall.',
        'Checks that the runs were scored on the same held-out rows (manifest split) and the same test file (sha256), and says so clearly when not. With two runs, also prints the difference of their confusion matrices.',
      ].join('\n\n'),
    )
    .argument('<runDirs...>', 'run directories (runs/<run-id>)')
    .option('--diff', 'show only the rows whose values differ')
    .action(async (runDirs: string[], opts: { diff?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd);
      const { compareStage } = await import('../../stages/compare.js'); // loaded on use: keeps CLI start-up short
      const result = await compareStage({ runs: runDirs, diff: opts.diff }, ctx.deps);
      ctx.output(result, (r) => renderCompareText(r, ctx.color));
    });
}
