/** `digitflow train`: local tfjs training (default) or dispatch to the SageMaker engine. */
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { createContext } from '../context.js';
import { newRunId } from '../../adapters/run-store.js';
// Loaded lazily: tfjs takes ~0.3 s to import, which no other command should pay.
import type { TrainLocalOutput } from '../../stages/local/train.js';
import { addSageMakerTrainOptions, refuseFlagsForEngine, trainWithSageMaker } from './sagemaker-engine.js';
import { addExamples, outOption, paragraphs } from '../grammar.js';
import { addLocalTrainingOptions, type LocalTrainingFlags, fullRetrainFlags } from '../local-training-options.js';

export function renderTrainText(r: TrainLocalOutput): string {
  const lines = [`trained on ${r.trainRows} rows with tfjs ${r.backendNote}`];
  for (const e of r.epochs) {
    const val =
      e.valAccuracy !== undefined ? `  val_loss ${e.valLoss!.toFixed(4)}  val_acc ${e.valAccuracy.toFixed(4)}` : '';
    const mark = e.epoch === r.bestEpoch ? '  *best' : '';
    lines.push(
      `  epoch ${e.epoch}  loss ${e.loss.toFixed(4)}  acc ${e.accuracy.toFixed(4)}${val}  ` +
        `${e.seconds.toFixed(2)}s${mark}`,
    );
  }
  if (r.stoppedEarly)
    lines.push(
      `stopped early after epoch ${r.epochs.at(-1)?.epoch}: no validation-loss improvement; kept epoch ${r.bestEpoch}`,
    );
  if (r.validationAccuracy !== undefined)
    lines.push(`validation accuracy ${r.validationAccuracy.toFixed(4)} (${r.validationRows.length} held-out rows)`);
  const threads = r.workers > 1 ? ` (${r.workers} gradient threads)` : '';
  // A throughput measured over a few milliseconds says nothing: print it only when it means something.
  const speed = r.trainSeconds >= 0.05 ? `, ${Math.round(r.examplesPerSecond)} examples/s${threads}` : '';
  lines.push(`${r.trainSeconds.toFixed(2)} s training${speed}`);
  lines.push(`model: ${r.modelDir}`);
  lines.push(`run:   ${r.runDir}  (next: digitflow predict ${r.runDir} --test data/test.csv)`);
  return lines.join('\n');
}

interface TrainOpts extends LocalTrainingFlags {
  engine: 'local' | 'sagemaker';
  train: string;
  out?: string;
  force?: boolean;
}

export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .summary('train a local or SageMaker model into a run')
    .description(
      paragraphs(
        'Train a model on a Kaggle train.csv into a run folder (default runs/<new run id>): model/, ' +
          'validation-probabilities.csv, validation-labels.csv and manifest.json.',
        'The local engine (default) uses TensorFlow.js on tfjs-node, else wasm, ' +
          'else cpu (--backend forces one). A seeded, stratified --validation-fraction of the rows is held out ' +
          '(the rows `upload` holds out too) for early stopping and scoring. ' +
          'Ctrl-C stops and keeps the best weights so far.',
        'Flags marked [local] apply to the local engine, [sagemaker] to --engine sagemaker (SageMaker Linear Learner).',
      ),
    )
    .addOption(new Option('--engine <engine>', 'where to train').choices(['local', 'sagemaker']).default('local'))
    .option('--train <file>', 'Kaggle train.csv (label,pixel0..pixel783; .csv or .csv.gz)', 'data/train.csv')
    .addOption(outOption('run', 'run folder to write', 'runs/<new run id>'));
  addLocalTrainingOptions(command);
  command.option('--force', 'retrain into a run folder that already holds a model');
  addSageMakerTrainOptions(command);
  addExamples(command, [
    ['digitflow train', 'linear model on data/train.csv into runs/<id>'],
    ['digitflow train --model cnn --epochs 8 -o runs/cnn'],
    ['digitflow train --model cnn --lr-decay 0.3 --augment-shift 0 --patience 5'],
    [
      'digitflow train --full runs/<chosen run> -o runs/final',
      "retrain on every row with that run's settings and best epoch",
    ],
    [
      'digitflow train --engine sagemaker --bucket my-bucket --role ' +
        'arn:aws:iam::123456789012:role/SageMakerRole --dry-run',
    ],
  ]);
  command.action(async (opts: TrainOpts, cmd: Command) => {
    if (opts.engine === 'sagemaker') return trainWithSageMaker(opts as unknown as Record<string, unknown>, cmd);
    refuseFlagsForEngine(cmd, 'local');
    const ctx = createContext(cmd);
    const outDir =
      opts.out ?? resolve('runs', await newRunId(resolve('runs'), new Date(ctx.deps.clock.now()), opts.model));
    const { localTrainStage } = await import('../../stages/local/train.js');
    const result = await localTrainStage(
      {
        train: opts.train,
        outDir,
        model: opts.model,
        epochs: opts.epochs,
        batchSize: opts.batchSize,
        learningRate: opts.learningRate,
        lrDecay: opts.lrDecay,
        lrSchedule: opts.lrSchedule,
        l2: opts.l2,
        augmentShift: opts.augmentShift,
        ...fullRetrainFlags(opts, cmd),
        augmentRotate: opts.augmentRotate,
        augmentZoom: opts.augmentZoom,
        dropout: opts.dropout,
        ttaShift: opts.ttaShift,
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
