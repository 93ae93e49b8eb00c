/** `digitflow evaluate`: accuracy, macro-F1, per-class metrics and the confusion matrix. */
import { Option, type Command } from 'commander';
import { createContext } from '../context.js';

import type { Metrics } from '../../domain/metrics.js';
import { renderConfusionText } from '../../domain/confusion-text.js';
import { addExamples, addHiddenAlias, outOption, paragraphs, positionalOr, withShownDefault } from '../grammar.js';

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/** The text view of a Metrics object (same numbers as --json). */
export function renderMetricsText(m: Metrics, color = false): string {
  const lines = [
    `rows      ${m.rows}`,
    `accuracy  ${pct(m.accuracy)}   (baseline: always ${m.baselineClass} → ${pct(m.baselineAccuracy)})`,
    `macro-F1  ${m.macroF1.toFixed(4)}`,
  ];
  if (m.logLoss !== undefined) lines.push(`log loss  ${m.logLoss.toFixed(4)}`);
  lines.push('', 'class  precision  recall      F1  support');
  for (const c of m.perClass) {
    lines.push(
      `${String(c.label).padStart(5)}  ${c.precision.toFixed(4).padStart(9)}  ` +
        `${c.recall.toFixed(4).padStart(6)}  ${c.f1.toFixed(4).padStart(6)}  ${String(c.support).padStart(7)}`,
    );
  }
  lines.push('', renderConfusionText(m.confusion, { color }));
  return lines.join('\n');
}

export function registerEvaluate(program: Command): void {
  const command = program
    .command('evaluate')
    .usage('<run|file> [options]')
    .summary('accuracy, F1, per-class metrics, confusion matrix')
    .description(
      paragraphs(
        'Score a submission against an answer key: accuracy, macro-F1, per-class precision/recall/F1, ' +
          'the confusion matrix, log loss (with probabilities) and the most-frequent-class baseline.',
        "Given a run folder, it scores the run's submission.csv against the run's answer key (recorded, " +
          'or test_labels.csv beside its test file; --labels overrides), ' +
          'adds log loss from its probabilities.csv, and writes metrics.json into the run (a previous one is ' +
          'replaced), where `compare` and `report` find it. Given a submission file, ' +
          '--labels is needed and nothing is written unless -o.',
        'Both files are ImageId,Label; ImageIds that do not match are an error that lists them.',
      ),
    )
    .argument('[run|file]', 'run folder, or a submission CSV (ImageId,Label)')
    .addOption(
      withShownDefault(new Option('--labels <file>', 'answer key CSV (ImageId,Label)'), "the run's answer key"),
    )
    .addOption(
      withShownDefault(
        new Option('--probabilities <file>', 'probability file (any format argmax reads), for log loss'),
        "the run's probabilities.csv",
      ),
    )
    .addOption(outOption('file', 'write the metrics as JSON here', '<run>/metrics.json for a run, else none'))
    .option('--force', 'replace an existing file given with -o');
  addHiddenAlias(command, '--submission <file>');
  addHiddenAlias(command, '--output <file>', 'out');
  addExamples(command, [
    ['digitflow evaluate runs/<id>', 'writes runs/<id>/metrics.json'],
    ['digitflow evaluate runs/<id> --labels data/test_labels.csv'],
    ['digitflow evaluate submission.csv --labels data/test_labels.csv'],
  ]);
  command.action(
    async (
      target: string | undefined,
      opts: { submission?: string; labels?: string; probabilities?: string; out?: string; force?: boolean },
      cmd: Command,
    ) => {
      const submission = positionalOr(cmd, target, opts.submission, 'run|file');
      const ctx = createContext(cmd);
      const { evaluateWithPaths } = await import('../../stages/evaluate.js'); // loaded on use: keeps CLI start-up short
      const { metrics, paths } = await evaluateWithPaths(
        { submission, labels: opts.labels, probabilities: opts.probabilities, output: opts.out, force: opts.force },
        ctx.deps,
      );
      ctx.output(
        metrics,
        (m) =>
          renderMetricsText(m, ctx.color) +
          (paths.output ? `\n\nwrote ${paths.output} (answer key ${paths.labels})` : ''),
      );
    },
  );
}
