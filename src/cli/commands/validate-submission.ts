/** `digitflow validate-submission`: check a Kaggle submission before uploading it. */
import type { Command } from 'commander';
import { createContext, saveResult } from '../context.js';
import { addExamples, outOption, paragraphs } from '../grammar.js';
import { parseInteger } from '../options.js';
import type { ValidateSubmissionResult } from '../../stages/validate-submission.js';


export function renderValidateText(r: ValidateSubmissionResult): string {
  const expected = r.expectedRows === undefined ? ' (row count not checked: pass --rows or --test)' : ` (expected ${r.expectedRows})`;
  return `${r.file}: OK, ${r.rows} rows${expected}`;
}

export function registerValidateSubmission(program: Command): void {
  const command = program
    .command('validate-submission')
    .summary('check a submission; every problem with its line')
    .description(
      paragraphs(
        'Check a submission the way Kaggle will, before uploading: exact header ImageId,Label, the row count (--rows, or the data rows of --test), ImageIds 1..N unique and in order, labels whole numbers 0-9, no blank lines, spaces or extra fields.',
        'Prints every problem with its line number and exits 2 if there is any.',
      ),
    )
    .argument('<file>', 'submission CSV (ImageId,Label)')
    .option('--rows <n>', 'expected number of data rows', parseInteger('--rows', 1))
    .option('--test <file>', 'test CSV (.csv or .csv.gz) whose data rows give the expected count')
    .addOption(outOption('file', 'also save the result as JSON (what --json prints)'))
    .option('--force', 'replace an existing -o file');
  addExamples(command, [
    ['digitflow validate-submission runs/<id>/submission.csv --test data/test.csv'],
    ['digitflow validate-submission submission.csv --rows 28000'],
  ]);
  command.action(async (file: string, opts: { rows?: number; test?: string; out?: string; force?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd);
      const { assertValidSubmission, validateSubmissionStage } = await import('../../stages/validate-submission.js'); // loaded on use: keeps CLI start-up short
      const result = await validateSubmissionStage({ file, rows: opts.rows, test: opts.test }, ctx.deps);
      ctx.close();
      // Defects are a user-input failure: the single error handler prints them (exit 2).
      assertValidSubmission(result);
      await saveResult(opts.out, result, opts.force);
      ctx.output(result, renderValidateText);
    });
}
