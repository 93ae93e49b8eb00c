/** `digitflow predict`: per-class probabilities for a test CSV from a trained run. */
import { Command, Option } from 'commander';
import { createContext } from '../context.js';
import { parseInteger } from '../options.js';
// Loaded lazily: tfjs takes ~0.3 s to import, which no other command should pay.
import type { PredictLocalOutput } from '../../stages/predict-local.js';
import { addSageMakerPredictOptions, predictWithSageMaker, refuseFlagsForEngine } from './sagemaker-engine.js';
import type { BackendRequest } from '../../adapters/tfjs/backend.js';

export function renderPredictText(r: PredictLocalOutput): string {
  return [
    `wrote ${r.output}: ${r.rows} rows (ImageId,0..9 probabilities) in ${r.seconds.toFixed(2)} s`,
    `tfjs backend: ${r.backendNote}`,
    `next: digitflow argmax ${r.output} -o submission.csv`,
  ].join('\n');
}

interface PredictOpts {
  run: string;
  test: string;
  output?: string;
  engine: 'local' | 'sagemaker';
  chunkRows?: number;
  backend: BackendRequest;
  workers?: number;
  force?: boolean;
}

export function registerPredict(program: Command): void {
  const command = program
    .command('predict')
    .description(
      'Write per-class probability rows for a Kaggle test.csv using a trained run.\n' +
        'Output: header ImageId,0,1,...,9, one row per test image in input order, ImageId 1-based.\n' +
        'The test file is streamed in chunks (bounded memory for any size); the output appears only when complete.\n' +
        '--engine sagemaker runs a batch transform with the run\'s SageMaker model instead.',
    )
    .requiredOption('--run <dir>', 'run directory written by `train` (runs/<run-id>)')
    .option('--test <file>', 'Kaggle test.csv (pixel0..pixel783; .csv or .csv.gz)', 'data/test.csv')
    .option('-o, --output <file>', 'probability file (default <run>/probabilities.csv)')
    .addOption(new Option('--engine <engine>', 'which engine trained the run').choices(['local', 'sagemaker']).default('local'))
    .option('--chunk-rows <n>', '[local] rows per prediction chunk (default 2048)', parseInteger('--chunk-rows', 1, 1_000_000))
    .addOption(new Option('--backend <backend>', '[local] tfjs backend').choices(['auto', 'node', 'wasm', 'cpu']).default('auto'))
    .option('--workers <n>', '[local] cnn: threads predicting (default min(2, CPUs); 1 = no worker thread)', parseInteger('--workers', 1, 2))
    .option('--force', 'replace an existing output file');
  addSageMakerPredictOptions(command);
  command.action(async (opts: PredictOpts, cmd: Command) => {
    if (opts.engine === 'sagemaker') return predictWithSageMaker(opts as unknown as Record<string, unknown>, cmd);
    refuseFlagsForEngine(cmd, 'local');
    const ctx = createContext(cmd);
    const { predictLocal } = await import('../../stages/predict-local.js');
    const result = await predictLocal(
      { runDir: opts.run, test: opts.test, output: opts.output, force: opts.force, chunkRows: opts.chunkRows, backend: opts.backend, workers: opts.workers },
      ctx.deps,
    );
    ctx.output(result, renderPredictText);
  });
}
