/** `digitflow argmax <run|file>`: probability rows → Kaggle submission. */
import { type Command, Option } from 'commander';
import { createContext } from '../context.js';
import { parseInteger } from '../options.js';
import type { ArgmaxResult } from '../../stages/argmax.js';
import { addExamples, addHiddenAlias, outOption, paragraphs } from '../grammar.js';

export function renderArgmaxText(r: ArgmaxResult): string {
  const counts = r.classCounts.map((c, k) => `${k}:${c}`).join(' ');
  const lines = [`wrote ${r.output}: ${r.rows} rows (input format ${r.format})`, `predicted per class: ${counts}`];
  if (r.warnings > 0) lines.push(`warning: ${r.warnings} row(s) do not sum to ~1`);
  if (r.runDir) lines.push(`next: digitflow evaluate ${r.runDir}   |   digitflow submit ${r.output}`);
  return lines.join('\n');
}

export function registerArgmax(program: Command): void {
  const command = program
    .command('argmax')
    .summary('probability rows → submission.csv (run or file)')
    .description(
      paragraphs(
        'Turn per-class probability rows into a Kaggle submission (ImageId,Label). Given a run folder, ' +
          "it reads the run's probabilities.csv and writes the run's submission.csv (a previous one is " +
          'replaced); given a file, it writes submission.csv in the current folder unless -o says otherwise ' +
          '(an existing file is kept unless --force).',
        'Input formats, detected automatically (--format overrides): local CSV `ImageId,0,...,9`; ' +
          'SageMaker Linear Learner JSON Lines `{"score":[...],"predicted_label":k}` (the batch transform .out ' +
          'file) and its JSON form `{"predictions":[...]}`; legacy Amazon ML CSV (class columns in any order, ' +
          'mapped by header name; optional tag/trueLabel columns). Plain or gzip.',
        'The label is always recomputed from the scores. Ties go to the LOWEST class: ' +
          '0.5/0.5 between 3 and 5 gives 3. ImageId is the row number (1-based) ' +
          'unless the file carries ids (ImageId or the AML tag).',
        'NaN, missing or negative scores and a wrong number of classes are errors naming file:line; ' +
          'rows that do not sum to 1 (within 0.01) are warnings. Any size streams in constant memory, ' +
          'and the output appears only when complete.',
      ),
    )
    .argument(
      '<run|file>',
      'run folder (its probabilities.csv), or a probability file (CSV, JSON Lines .out, JSON, Amazon ML CSV)',
    )
    .addOption(outOption('file', 'submission file to write', '<run>/submission.csv for a run, else submission.csv'))
    .addOption(
      new Option('--format <format>', 'input format')
        .choices(['auto', 'csv', 'jsonlines', 'json', 'aml'])
        .default('auto'),
    )
    .option('--num-classes <n>', 'number of classes', parseInteger('--num-classes', 2, 1000), 10)
    .option('--force', "replace an existing file given with -o (a run's own submission.csv is always replaced)");
  addHiddenAlias(command, '--output <file>', 'out');
  addExamples(command, [
    ['digitflow argmax runs/<id>', 'runs/<id>/probabilities.csv → runs/<id>/submission.csv'],
    ['digitflow argmax transform-out/test.csv.out -o submission.csv', 'SageMaker batch transform output'],
    ['digitflow argmax batch-prediction.csv --format aml -o aml-submission.csv'],
  ]);
  command.action(
    async (
      input: string,
      opts: { out?: string; format: 'auto'; numClasses: number; force?: boolean },
      cmd: Command,
    ) => {
      const ctx = createContext(cmd);
      const { argmaxStage } = await import('../../stages/argmax.js'); // loaded on use: keeps CLI start-up short
      const result = await argmaxStage(
        { input, output: opts.out, format: opts.format, numClasses: opts.numClasses, force: opts.force },
        ctx.deps,
      );
      ctx.output(result, renderArgmaxText);
    },
  );
}
