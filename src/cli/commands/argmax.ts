/** `digitflow argmax`: probability rows → Kaggle submission. */
import { Command, Option } from 'commander';
import { createContext } from '../context.js';
import { parseInteger } from '../options.js';
import type { ArgmaxResult } from '../../stages/argmax.js';


export function renderArgmaxText(r: ArgmaxResult): string {
  const counts = r.classCounts.map((c, k) => `${k}:${c}`).join(' ');
  const lines = [`wrote ${r.output}: ${r.rows} rows (input format ${r.format})`, `predicted per class: ${counts}`];
  if (r.warnings > 0) lines.push(`warning: ${r.warnings} row(s) do not sum to ~1`);
  return lines.join('\n');
}

export function registerArgmax(program: Command): void {
  program
    .command('argmax')
    .summary('probability rows (local CSV, SageMaker .out, Amazon ML) → submission.csv')
    .description(
      [
        'Turn per-class probability rows into a Kaggle submission (ImageId,Label).',
        'Input formats, detected automatically (--format overrides): local CSV `ImageId,0,...,9`; SageMaker Linear Learner JSON Lines `{"score":[...],"predicted_label":k}` (the batch transform .out file) and its JSON form `{"predictions":[...]}`; legacy Amazon ML CSV (class columns in any order, mapped by header name; optional tag/trueLabel columns).',
        'The label is always recomputed from the scores. Ties go to the LOWEST class: 0.5/0.5 between 3 and 5 gives 3.',
        'ImageId is the row number (1-based) unless the file carries ids (ImageId or the AML tag).',
        'NaN, missing or negative scores and a wrong number of classes are errors naming file:line; rows that do not sum to 1 (within 0.01) are warnings. Any size streams in constant memory, and the output appears only when complete.',
      ].join('\n\n'),
    )
    .argument('<input>', 'probability file (CSV, JSON Lines .out, JSON, Amazon ML CSV; plain or gzip)')
    .option('-o, --output <file>', 'submission file to write', 'submission.csv')
    .addOption(new Option('--format <format>', 'input format').choices(['auto', 'csv', 'jsonlines', 'json', 'aml']).default('auto'))
    .option('--num-classes <n>', 'number of classes', parseInteger('--num-classes', 2, 1000), 10)
    .option('--force', 'replace an existing output file')
    .action(async (input: string, opts: { output: string; format: 'auto'; numClasses: number; force?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd);
      const { argmaxStage } = await import('../../stages/argmax.js'); // loaded on use: keeps CLI start-up short
      const result = await argmaxStage({ input, output: opts.output, format: opts.format, numClasses: opts.numClasses, force: opts.force }, ctx.deps);
      ctx.output(result, renderArgmaxText);
    });
}
