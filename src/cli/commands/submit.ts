/** `digitflow submit`: validate, then upload with the official Kaggle CLI (or print the command). */
import type { Command } from 'commander';
import { homedir } from 'node:os';
import { createContext } from '../context.js';
import { addExamples } from '../grammar.js';
import { parseInteger } from '../options.js';
import type { SubmitResult } from '../../stages/submit.js';
import { DEFAULT_COMPETITION } from '../../domain/submission.js';

export function renderSubmitText(r: SubmitResult): string {
  if (r.submitted) return `submitted ${r.file} (${r.rows} rows) to ${r.competition}\n${(r.kaggleOutput ?? '').trim()}`;
  const why =
    r.reason === 'kaggle-not-found'
      ? 'the Kaggle CLI is not on PATH (install it with `pip install kaggle`)'
      : r.reason === 'no-credentials'
        ? 'no Kaggle credentials (~/.kaggle/kaggle.json or KAGGLE_USERNAME/KAGGLE_KEY)'
        : 'dry run';
  return `${r.file} is valid (${r.rows} rows) but was not submitted: ${why}.\nTo submit it, run:\n  ${r.commandLine}`;
}

export function registerSubmit(program: Command): void {
  const command = program
    .command('submit')
    .summary('validate, then submit with the Kaggle CLI')
    .description(
      [
        'Validate a submission (28,000 rows for digit-recognizer unless --rows), then upload it with the official Kaggle CLI (`kaggle competitions submit -c ... -f ... -m ...`) when `kaggle` is on PATH and credentials exist (~/.kaggle/kaggle.json or KAGGLE_USERNAME/KAGGLE_KEY); otherwise print the exact command to run.',
        'An invalid file is never sent (exit 2, every problem with its line).',
      ].join('\n\n'),
    )
    .argument('<file>', 'submission CSV (ImageId,Label)')
    .option('-c, --competition <slug>', 'Kaggle competition', DEFAULT_COMPETITION)
    .option('-m, --message <text>', 'submission message')
    .option('--rows <n>', 'expected data rows (default 28000 for digit-recognizer)', parseInteger('--rows', 1))
    .option('--dry-run', 'validate and print the command without running it');
  addExamples(command, [
    ['digitflow submit runs/<id>/submission.csv -m "linear baseline"'],
    ['digitflow submit submission.csv --dry-run'],
  ]);
  command.action(async (file: string, opts: { competition: string; message?: string; rows?: number; dryRun?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd);
      const { submitStage } = await import('../../stages/submit.js'); // loaded on use: keeps CLI start-up short
      const result = await submitStage(
        { file, competition: opts.competition, message: opts.message, rows: opts.rows, dryRun: opts.dryRun, env: { ...process.env }, home: homedir() },
        ctx.deps,
      );
      ctx.output(result, renderSubmitText);
    });
}
