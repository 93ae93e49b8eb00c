/** `digitflow run`: the whole pipeline in one command (local by default, or --engine sagemaker). */
import { type Command, Option } from 'commander';
import { createContext } from '../context.js';
import { addExamples, outOption, paragraphs, withShownDefault } from '../grammar.js';
import { addLocalTrainingOptions, type LocalTrainingFlags, fullRetrainFlags } from '../local-training-options.js';
import type { RunLocalOutput } from '../../stages/local/run.js';
import { addSageMakerTrainOptions, refuseFlagsForEngine, runWithSageMaker } from './sagemaker-engine.js';
import { renderConfusionText } from '../../domain/confusion-text.js';

export function renderRunText(r: RunLocalOutput, color = false): string {
  const lines: string[] = [];
  lines.push(`run ${r.runId}: local ${r.model} model on the tfjs ${r.backend} backend`);
  if (r.backendNote) lines.push(`  backend: ${r.backendNote}`);
  if (r.prepared) lines.push('  prepared the bundled MNIST digits into data/ first');
  lines.push(
    `  trained on ${r.trainRows} rows (${r.validationRows} held out for validation) ` +
      `in ${r.timings.train.toFixed(1)}s; predicted ${r.testRows} rows in ${r.timings.predict.toFixed(2)}s`,
  );
  if (r.accuracy !== undefined) {
    lines.push(
      `  test accuracy ${r.accuracy.toFixed(4)}   macro-F1 ${r.macroF1!.toFixed(4)}   (always guessing the ` +
        `most frequent class: ${r.baselineAccuracy!.toFixed(4)})`,
    );
  } else {
    lines.push('  test accuracy: no answer key (pass --labels FILE with ImageId,Label to score the test predictions)');
  }
  if (r.validationAccuracy !== undefined)
    lines.push(
      `  validation accuracy ${r.validationAccuracy.toFixed(4)} on ${r.validationRows} held-out training rows`,
    );
  if (r.metrics) {
    lines.push('');
    lines.push(
      renderConfusionText(r.metrics.confusion, {
        color,
        title: 'confusion matrix (rows: true label, columns: predicted)',
      }),
    );
  }
  lines.push('');
  lines.push('files:');
  for (const [k, v] of Object.entries(r.files)) lines.push(`  ${k.padEnd(18)} ${v}`);
  lines.push('');
  lines.push(`next: digitflow report ${r.runDir}   |   digitflow compare ${r.runDir} <another run>`);
  return lines.join('\n');
}

interface RunFlags extends LocalTrainingFlags {
  engine: 'local' | 'sagemaker';
  train?: string;
  test?: string;
  labels?: string;
  out?: string;
  dataDir: string;
  force?: boolean;
}

export function registerRun(program: Command): void {
  const command = program
    .command('run')
    .summary('prepare, train, predict, argmax, evaluate at once')
    .description(
      paragraphs(
        'The whole pipeline in one run folder: prepare the bundled digits (when --train is not given and ' +
          'data/ is empty), train, predict the test file, argmax into submission.csv, ' +
          'and score it against the answer key when there is one.',
        'Writes runs/<run-id>/ (or -o): manifest.json, model/, probabilities.csv, submission.csv, ' +
          'metrics.json (with an answer key), validation-probabilities.csv and validation-metrics.json. ' +
          'Every training flag of `train` works here too.',
      ),
    )
    .addOption(
      new Option('--engine <engine>', 'local (TensorFlow.js) or sagemaker (Linear Learner)')
        .choices(['local', 'sagemaker'])
        .default('local'),
    )
    .addOption(
      withShownDefault(
        new Option('--train <file>', 'Kaggle train.csv'),
        'data/train.csv, prepared from the bundled digits if missing',
      ),
    )
    .addOption(withShownDefault(new Option('--test <file>', 'Kaggle test.csv'), 'data/test.csv'))
    .addOption(
      withShownDefault(
        new Option('--labels <file>', 'answer key ImageId,Label for the test file'),
        'data/test_labels.csv when it exists',
      ),
    )
    .addOption(outOption('run', 'run folder to write', 'runs/<new run id>'));
  addLocalTrainingOptions(command);
  command
    .option('--data-dir <dir>', 'where the default data lives', 'data')
    .option('--force', 'replace the outputs of a run folder that already holds a run');
  addSageMakerTrainOptions(command);
  addExamples(command, [
    ['digitflow run', 'bundled digits, local linear model'],
    ['digitflow run --model cnn --epochs 8 --patience 2'],
    ['digitflow run --train data/train.csv --test data/test.csv --labels data/test_labels.csv -o runs/full'],
    [
      'digitflow run --train data/train.csv --test data/test.csv --full runs/<chosen run> -o runs/final',
      "final submission: every row, the chosen run's settings",
    ],
    [
      'digitflow run --engine sagemaker --bucket my-bucket --role ' +
        'arn:aws:iam::123456789012:role/SageMakerRole --dry-run',
    ],
  ]);
  command.action(async (opts: RunFlags & Record<string, unknown>, cmd: Command) => {
    if (opts.engine === 'sagemaker') {
      await runWithSageMaker(opts, cmd);
      return;
    }
    refuseFlagsForEngine(cmd, 'local');
    const ctx = createContext(cmd);
    // Loaded on use: TensorFlow.js takes a noticeable part of a second to import.
    const { localRunStage } = await import('../../stages/local/run.js');
    const result = await localRunStage(
      {
        train: opts.train,
        test: opts.test,
        labels: opts.labels,
        out: opts.out,
        dataDir: opts.dataDir,
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
    ctx.output(result, (r) => renderRunText(r, ctx.color));
  });
}
