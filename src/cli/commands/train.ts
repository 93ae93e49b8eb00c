/** `digitflow train`: local tfjs training (default) or dispatch to the SageMaker engine. */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { createContext } from '../context.js';
import { parseFloatIn, parseInteger } from '../options.js';
import { LOCAL_MODEL_KINDS, type LocalModelKind } from '../../adapters/tfjs/model-specs.js';
import { newRunId } from '../../adapters/run-store.js';
// Loaded lazily: tfjs takes ~0.3 s to import, which no other command should pay.
import type { TrainLocalOutput } from '../../stages/train-local.js';
import { addSageMakerTrainOptions, trainWithSageMaker } from './sagemaker-engine.js';
import type { BackendRequest } from '../../adapters/tfjs/backend.js';

export function renderTrainText(r: TrainLocalOutput): string {
  const lines = [`trained on ${r.trainRows} rows with tfjs ${r.backendNote}`];
  for (const e of r.epochs) {
    const val = e.valAccuracy !== undefined ? `  val_loss ${e.valLoss!.toFixed(4)}  val_acc ${e.valAccuracy.toFixed(4)}` : '';
    const mark = e.epoch === r.bestEpoch ? '  *best' : '';
    lines.push(`  epoch ${e.epoch}  loss ${e.loss.toFixed(4)}  acc ${e.accuracy.toFixed(4)}${val}  ${e.seconds.toFixed(2)}s${mark}`);
  }
  if (r.stoppedEarly) lines.push(`stopped early: no validation-loss improvement; kept epoch ${r.bestEpoch}`);
  if (r.validationAccuracy !== undefined) lines.push(`validation accuracy ${r.validationAccuracy.toFixed(4)} (${r.validationRows.length} held-out rows)`);
  const threads = r.workers > 1 ? ` (${r.workers} gradient threads)` : '';
  lines.push(`${r.trainSeconds.toFixed(2)} s training, ${Math.round(r.examplesPerSecond)} examples/s${threads}`);
  lines.push(`model: ${r.modelDir}`);
  lines.push(`run:   ${r.runDir}  (next: digitflow predict --run ${r.runDir} --test data/test.csv)`);
  return lines.join('\n');
}

interface TrainOpts {
  engine: 'local' | 'sagemaker';
  model: LocalModelKind;
  train: string;
  out?: string;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  l2?: number;
  validationFraction: number;
  patience?: number;
  backend: BackendRequest;
  workers?: number;
  force?: boolean;
}

export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description(
      'Train a model on a Kaggle train.csv.\n' +
        'local engine (default): TensorFlow.js on tfjs-node, else wasm, else cpu (--backend forces one).\n' +
        'linear: softmax regression on standardised pixels; cnn: conv32-pool-conv64-pool-dense128.\n' +
        'A seeded, stratified --validation-fraction is held out (the rows `upload` holds out too)\n' +
        'for early stopping. Ctrl-C stops and saves the best weights so far.\n' +
        'Writes <out>/model/, validation-probabilities.csv, validation-labels.csv, manifest.json.\n' +
        '--engine sagemaker: SageMaker Linear Learner (the [sagemaker] flags).',
    )
    .addOption(new Option('--engine <engine>', 'where to train').choices(['local', 'sagemaker']).default('local'))
    .addOption(new Option('--model <model>', 'local model').choices(LOCAL_MODEL_KINDS).default('linear'))
    .option('--train <file>', 'Kaggle train.csv (label,pixel0..pixel783; .csv or .csv.gz)', 'data/train.csv')
    .option('--out <dir>', 'run directory (default runs/<new run id>)')
    .option('--epochs <n>', 'training epochs (default linear 10, cnn 15)', parseInteger('--epochs', 1, 1000))
    .option('--batch-size <n>', 'examples per step (default linear 128, cnn 64)', parseInteger('--batch-size', 1, 100_000))
    .option('--learning-rate <x>', 'Adam learning rate (default linear 0.01, cnn 0.002)', parseFloatIn('--learning-rate', 0, 10, { exclusiveMin: true }))
    .option('--l2 <x>', 'L2 penalty on the weights (default linear 0.001, cnn 0)', parseFloatIn('--l2', 0, 100))
    .option('--validation-fraction <f>', 'held-out fraction for early stopping (0 = none)', parseFloatIn('--validation-fraction', 0, 1, { exclusiveMax: true }), 0.1)
    .option('--patience <n>', 'epochs without validation-loss improvement before stopping (0 = never)', parseInteger('--patience', 0, 1000))
    .addOption(new Option('--backend <backend>', '[local] tfjs backend').choices(['auto', 'node', 'wasm', 'cpu']).default('auto'))
    .option('--workers <n>', '[local] cnn: threads computing each batch (default min(2, CPUs); 1 = single-threaded)', parseInteger('--workers', 1, 64))
    .option('--force', 'replace an existing model/outputs in the run directory');
  addSageMakerTrainOptions(command);
  command.action(async (opts: TrainOpts, cmd: Command) => {
    if (opts.engine === 'sagemaker') return trainWithSageMaker(opts as unknown as Record<string, unknown>, cmd);
    const ctx = createContext(cmd);
    const outDir = opts.out ?? resolve('runs', await newRunId(resolve('runs'), new Date(), opts.model));
    const { trainLocal } = await import('../../stages/train-local.js');
    const result = await trainLocal(
      {
        train: opts.train,
        outDir,
        model: opts.model,
        epochs: opts.epochs,
        batchSize: opts.batchSize,
        learningRate: opts.learningRate,
        l2: opts.l2,
        validationFraction: opts.validationFraction,
        patience: opts.patience,
        backend: opts.backend,
        workers: opts.workers,
        seed: ctx.globals.seed,
        force: opts.force,
      },
      ctx.deps,
    );
    ctx.output(result, renderTrainText);
  });
}
