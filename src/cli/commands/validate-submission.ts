/** `digitflow validate-submission`: check a Kaggle submission before uploading it. */
import type { Command } from 'commander';
import { createContext, saveResult } from '../context.js';
import { addExamples, outOption, paragraphs } from '../grammar.js';
import { parseInteger } from '../options.js';
import type { ValidateSubmissionResult } from '../../stages/validate-submission.js';
import { DEFAULT_COMPETITION } from '../../domain/submission.js';

export function renderValidateText(r: ValidateSubmissionResult): string {
  const from = {
    rows: '--rows',
    test: 'the --test file',
    run: "the run's test file",
    competition: "the competition's test set",
    none: '',
  }[r.expectedRowsFrom];
  const expected =
    r.expectedRows === undefined
      ? ' (row count not checked: pass --rows or --test)'
      : ` (expected ${r.expectedRows}, from ${from})`;
  return `${r.file}: OK, ${r.rows} rows${expected}`;
}

export function registerValidateSubmission(program: Command): void {
  const command = program
    .command('validate-submission')
    .summary('check a submission; every problem with its line')
    .description(
      paragraphs(
        'Check a submission the way Kaggle will, before uploading: exact header ImageId,Label, ' +
          'the row count, ImageIds 1..N unique and in order, labels whole numbers 0-9, no blank lines, ' +
          'spaces or extra fields.',
        'Expected rows (the same rule as submit): --rows, else the data rows of --test, ' +
          'else the test file recorded by the run the file belongs to, ' +
          "else the competition's (28,000 for digit-recognizer).",
        'Prints every problem with its line number and exits 2 if there is any.',
      ),
    )
    .argument('<file>', 'submission CSV (or a run folder: its submission.csv)')
    .option(
      '--rows <n>',
      'expected number of data rows (default: from --test / the run, else 28000 for digit-recognizer)',
      parseInteger('--rows', 1),
    )
    .option('--test <file>', 'test CSV (.csv or .csv.gz) whose data rows give the expected count')
    .option(
      '-c, --competition <slug>',
      'Kaggle competition (its test set size is the last default)',
      DEFAULT_COMPETITION,
    )
    .addOption(outOption('file', 'also save the result as JSON (what --json prints)'))
    .option('--force', 'replace an existing -o file');
  addExamples(command, [
    ['digitflow validate-submission runs/<id>/submission.csv', "expects the run's test rows"],
    ['digitflow validate-submission submission.csv --test data/test.csv'],
    ['digitflow validate-submission submission.csv --rows 28000'],
  ]);
  command.action(
    async (
      file: string,
      opts: { rows?: number; test?: string; competition: string; out?: string; force?: boolean },
      cmd: Command,
    ) => {
      const ctx = createContext(cmd);
      // loaded on use: keeps CLI start-up short
      const { assertValidSubmission, validateSubmissionStage } = await import('../../stages/validate-submission.js');
      const result = await validateSubmissionStage(
        { file, rows: opts.rows, test: opts.test, competition: opts.competition },
        ctx.deps,
      );
      ctx.close();
      // Defects are a user-input failure: the single error handler prints them (exit 2).
      assertValidSubmission(result);
      await saveResult(opts.out, result, opts.force);
      ctx.output(result, renderValidateText);
    },
  );
}
