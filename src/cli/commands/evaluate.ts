/** `digitflow evaluate`: accuracy, macro-F1, per-class metrics and the confusion matrix. */
import type { Command } from 'commander';
import { createContext } from '../context.js';

import type { Metrics } from '../../domain/metrics.js';
import { renderConfusionText } from '../../domain/confusion-text.js';

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
    lines.push(`${String(c.label).padStart(5)}  ${c.precision.toFixed(4).padStart(9)}  ${c.recall.toFixed(4).padStart(6)}  ${c.f1.toFixed(4).padStart(6)}  ${String(c.support).padStart(7)}`);
  }
  lines.push('', renderConfusionText(m.confusion, { color }));
  return lines.join('\n');
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .summary('accuracy, macro-F1, per-class metrics, confusion matrix, log loss')
    .description(
      [
        'Score a submission against an answer key: accuracy, macro-F1, per-class precision/recall/F1, the confusion matrix, log loss (with --probabilities) and the most-frequent-class baseline.',
        'Both files are ImageId,Label; ImageIds that do not match are an error that lists them.',
      ].join('\n\n'),
    )
    .requiredOption('--submission <file>', 'submission CSV (ImageId,Label)')
    .requiredOption('--labels <file>', 'answer key CSV (ImageId,Label)')
    .option('--probabilities <file>', 'probability file (any format argmax reads) for log loss')
    .option('-o, --output <file>', 'also write the metrics as JSON here')
    .option('--force', 'replace an existing output file')
    .action(async (opts: { submission: string; labels: string; probabilities?: string; output?: string; force?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd);
      const { evaluateStage } = await import('../../stages/evaluate.js'); // loaded on use: keeps CLI start-up short
      const metrics = await evaluateStage(opts, ctx.deps);
      ctx.output(metrics, (m) => renderMetricsText(m, ctx.color));
    });
}
