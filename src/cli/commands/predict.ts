/** `digitflow predict <run>`: per-class probabilities for a test CSV from a trained run. */
import { type Command, Option } from 'commander';
import { createContext } from '../context.js';
import { parseInteger } from '../options.js';
// Loaded lazily: tfjs takes ~0.3 s to import, which no other command should pay.
import type { PredictLocalOutput } from '../../stages/local/predict.js';
import { addSageMakerPredictOptions, predictWithSageMaker, refuseFlagsForEngine } from './sagemaker-engine.js';
import type { BackendRequest } from '../../adapters/tfjs/runtime/backend.js';
import { addExamples, addHiddenAlias, outOption, paragraphs, positionalOr, withShownDefault } from '../grammar.js';

export function renderPredictText(r: PredictLocalOutput & { runDir?: string }): string {
  return [
    `wrote ${r.output}: ${r.rows} rows (ImageId,0..9 probabilities) in ${r.seconds.toFixed(2)} s`,
    `tfjs backend: ${r.backendNote}`,
    `next: digitflow argmax ${r.runDir ?? r.output}`,
  ].join('\n');
}

interface PredictOpts {
  run?: string;
  test: string;
  out?: string;
  engine: 'local' | 'sagemaker';
  chunkRows?: number;
  backend: BackendRequest;
  workers?: number;
  force?: boolean;
}

export function registerPredict(program: Command): void {
  const command = program
    .command('predict')
    .usage('<run> [options]')
    .summary('probability rows for a test CSV from a trained run')
    .description(
      paragraphs(
        'Write per-class probability rows for a Kaggle test.csv with the model of a trained run, ' +
          'into the run folder (probabilities.csv, recorded in its manifest; a previous one is replaced).',
        'Output: header ImageId,0,1,...,9, one row per test image in input order, ImageId 1-based. ' +
          'The test file is streamed in chunks (bounded memory for any size); ' +
          'the output appears only when complete.',
        "--engine sagemaker runs a batch transform with the run's SageMaker model instead.",
      ),
    )
    .argument('[run]', 'run folder written by `train` or `run` (runs/<run-id>)')
    .option('--test <file>', 'Kaggle test.csv (pixel0..pixel783; .csv or .csv.gz)', 'data/test.csv')
    .addOption(outOption('file', 'probability file to write', '<run>/probabilities.csv'))
    .addOption(
      new Option('--engine <engine>', 'which engine trained the run').choices(['local', 'sagemaker']).default('local'),
    )
    .addOption(
      withShownDefault(
        new Option('--chunk-rows <n>', '[local] rows per prediction chunk').argParser(
          parseInteger('--chunk-rows', 1, 1_000_000),
        ),
        '2048',
      ),
    )
    .addOption(
      new Option('--backend <backend>', '[local] tfjs backend')
        .choices(['auto', 'node', 'wasm', 'cpu'])
        .default('auto'),
    )
    .addOption(
      withShownDefault(
        new Option('--workers <n>', '[local] cnn: threads predicting; 1 = no worker thread').argParser(
          parseInteger('--workers', 1, 2),
        ),
        'min(2, CPUs)',
      ),
    )
    .option('--force', 'replace an existing -o file outside the run folder');
  addHiddenAlias(command, '--run <run>');
  addHiddenAlias(command, '--output <file>', 'out');
  addSageMakerPredictOptions(command);
  addExamples(command, [
    ['digitflow predict runs/<id>', 'data/test.csv → runs/<id>/probabilities.csv'],
    ['digitflow predict runs/<id> --test data/fashion/test.csv'],
    ['digitflow predict runs/<id> --test big.csv.gz -o bench/p.csv --force'],
    ['digitflow predict runs/<sagemaker-run> --engine sagemaker'],
  ]);
  command.action(async (runArg: string | undefined, opts: PredictOpts, cmd: Command) => {
    const run = positionalOr(cmd, runArg, opts.run, 'run');
    if (opts.engine === 'sagemaker')
      return predictWithSageMaker({ ...(opts as unknown as Record<string, unknown>), run }, cmd);
    refuseFlagsForEngine(cmd, 'local');
    const ctx = createContext(cmd);
    const { localPredictStage } = await import('../../stages/local/predict.js');
    const result = await localPredictStage(
      {
        runDir: run,
        test: opts.test,
        output: opts.out,
        force: opts.force,
        chunkRows: opts.chunkRows,
        backend: opts.backend,
        workers: opts.workers,
      },
      ctx.deps,
    );
    ctx.output(opts.out ? result : { ...result, runDir: run }, renderPredictText);
  });
}
