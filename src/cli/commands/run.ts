/** `digitflow run`: the whole pipeline in one command (local by default, or --engine sagemaker). */
import { Command, Option } from 'commander';
import { createContext } from '../context.js';
import { parseFloatIn, parseInteger } from '../options.js';
import { LOCAL_MODEL_KINDS, type LocalModelKind } from '../../adapters/tfjs/model-specs.js';
import type { RunLocalOutput } from '../../stages/run-local.js';
import { addSageMakerTrainOptions, runWithSageMaker } from './sagemaker-engine.js';
import { renderConfusionText } from '../../domain/confusion-text.js';

export function renderRunText(r: RunLocalOutput, color = false): string {
  const lines: string[] = [];
  lines.push(`run ${r.runId}: local ${r.model} model on the tfjs ${r.backend} backend`);
  if (r.backendNote) lines.push(`  backend: ${r.backendNote}`);
  if (r.prepared) lines.push('  prepared the bundled MNIST digits into data/ first');
  lines.push(`  trained on ${r.trainRows} rows (${r.validationRows} held out for validation) in ${r.timings.train.toFixed(1)}s; predicted ${r.testRows} rows in ${r.timings.predict.toFixed(2)}s`);
  if (r.accuracy !== undefined) {
    lines.push(
      `  test accuracy ${r.accuracy.toFixed(4)}   macro-F1 ${r.macroF1!.toFixed(4)}   (always guessing the most frequent class: ${r.baselineAccuracy!.toFixed(4)})`,
    );
  } else {
    lines.push('  test accuracy: no answer key (pass --labels FILE with ImageId,Label to score the test predictions)');
  }
  if (r.validationAccuracy !== undefined) lines.push(`  validation accuracy ${r.validationAccuracy.toFixed(4)} on ${r.validationRows} held-out training rows`);
  if (r.metrics) {
    lines.push('');
    lines.push(renderConfusionText(r.metrics.confusion, { color, title: 'confusion matrix (rows: true label, columns: predicted)' }));
  }
  lines.push('');
  lines.push('files:');
  for (const [k, v] of Object.entries(r.files)) lines.push(`  ${k.padEnd(18)} ${v}`);
  lines.push('');
  lines.push(`next: digitflow report ${r.runDir}   |   digitflow compare ${r.runDir} <another run>`);
  return lines.join('\n');
}

interface RunFlags {
  engine: 'local' | 'sagemaker';
  model: LocalModelKind;
  train?: string;
  test?: string;
  labels?: string;
  out?: string;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  validationFraction?: number;
  backend: 'auto' | 'node' | 'wasm' | 'cpu';
  dataDir: string;
  force?: boolean;
}

export function registerRun(program: Command): void {
  const command = program
    .command('run')
    .description('the whole pipeline: prepare (if needed) → train → predict → argmax → submission → metrics')
    .addOption(new Option('--engine <engine>', 'local (TensorFlow.js) or sagemaker (Linear Learner)').choices(['local', 'sagemaker']).default('local'))
    .addOption(new Option('--model <model>', 'local model').choices(LOCAL_MODEL_KINDS).default('linear'))
    .option('--train <file>', 'Kaggle train.csv (default: data/train.csv, prepared from the bundled digits if missing)')
    .option('--test <file>', 'Kaggle test.csv (default: data/test.csv)')
    .option('--labels <file>', 'answer key ImageId,Label for the test file (default: data/test_labels.csv when it exists)')
    .option('--out <dir>', 'run directory (default: runs/<run-id>)')
    .option('--epochs <n>', 'training epochs', parseInteger('--epochs', 1, 10000))
    .option('--batch-size <n>', 'mini-batch size', parseInteger('--batch-size', 1, 1_000_000))
    .option('--learning-rate <x>', 'learning rate', parseFloatIn('--learning-rate', 0, 10, { exclusiveMin: true }))
    .option('--validation-fraction <f>', 'held-out share of the training rows (seeded, stratified)', parseFloatIn('--validation-fraction', 0, 0.9))
    .addOption(new Option('--backend <backend>', 'tfjs backend (auto: node, else wasm, else cpu)').choices(['auto', 'node', 'wasm', 'cpu']).default('auto'))
    .option('--data-dir <dir>', 'where the default data lives', 'data')
    .option('--force', 'replace existing outputs');
  addSageMakerTrainOptions(command);
  command
    .addHelpText(
      'after',
      '\nExamples:\n  digitflow run                          # bundled digits, local linear model\n  digitflow run --model cnn --epochs 8\n  digitflow run --train data/train.csv --test data/test.csv --labels data/test_labels.csv\n  digitflow run --engine sagemaker --bucket my-bucket --role arn:aws:iam::123456789012:role/SageMakerRole --dry-run',
    )
    .action(async (opts: RunFlags & Record<string, unknown>, cmd: Command) => {
      if (opts.engine === 'sagemaker') {
        await runWithSageMaker(opts, cmd);
        return;
      }
      const ctx = createContext(cmd);
      // Loaded on use: TensorFlow.js takes a noticeable part of a second to import.
      const { runLocal } = await import('../../stages/run-local.js');
      const result = await runLocal(
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
          validationFraction: opts.validationFraction,
          backend: opts.backend,
          seed: ctx.globals.seed,
          force: opts.force,
        },
        ctx.deps,
      );
      ctx.output(result, (r) => renderRunText(r, ctx.color));
    });
}
