/**
 * The local engine's training flags, shared by `train` and `run` (one definition, so the two
 * commands can never drift apart). The --model choices and the defaults that depend on --model
 * come from the model registry (adapters/tfjs/model/model-specs.ts); the training stage applies them.
 */
import { Option, type Command } from 'commander';
import { parseFloatIn, parseInteger } from './options.js';
import { withShownDefault } from './grammar.js';
import {
  defaultsByModel,
  LOCAL_MODEL_KINDS,
  MAX_TTA_SHIFT,
  MODEL_SPECS,
  type LocalModelKind,
} from '../adapters/tfjs/model/model-specs.js';
import type { BackendRequest } from '../adapters/tfjs/runtime/backend.js';
import { LR_SCHEDULES, type LrSchedule } from '../adapters/tfjs/train/lr-schedule.js';

export interface LocalTrainingFlags {
  model: LocalModelKind;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  lrDecay?: number;
  lrSchedule?: LrSchedule;
  l2?: number;
  augmentShift?: number;
  augmentRotate?: number;
  augmentZoom?: number;
  dropout?: number;
  ttaShift?: number;
  validationFraction: number;
  patience?: number;
  backend: BackendRequest;
  workers?: number;
  /** --full [run]: true, or the run whose settings the final retrain repeats. */
  full?: boolean | string;
}

/**
 * The stage inputs of --full: whether it was given, the run it names, and the validation fraction
 * to pass (--full holds nothing out, so only an explicit --validation-fraction conflicts with it).
 */
export function fullRetrainFlags(
  opts: LocalTrainingFlags,
  command: Command,
): { full: boolean; settingsFrom?: string; validationFraction?: number } {
  const full = opts.full !== undefined && opts.full !== false;
  const explicit = command.getOptionValueSource('validationFraction') !== 'default';
  return {
    full,
    settingsFrom: typeof opts.full === 'string' ? opts.full : undefined,
    validationFraction: full && !explicit ? undefined : opts.validationFraction,
  };
}

export function addLocalTrainingOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--model <model>',
        `local model: ${LOCAL_MODEL_KINDS.map((k) => `${k} = ${MODEL_SPECS[k].summary}`).join('; ')}`,
      )
        .choices(LOCAL_MODEL_KINDS)
        .default('linear'),
    )
    .addOption(
      withShownDefault(
        new Option('--epochs <n>', 'most training epochs').argParser(parseInteger('--epochs', 1, 1000)),
        defaultsByModel('epochs'),
      ),
    )
    .addOption(
      withShownDefault(
        new Option('--batch-size <n>', 'examples per step (sagemaker: mini_batch_size)').argParser(
          parseInteger('--batch-size', 1, 100_000),
        ),
        defaultsByModel('batchSize'),
      ),
    )
    .addOption(
      withShownDefault(
        new Option('--learning-rate <x>', '[local] Adam learning rate').argParser(
          parseFloatIn('--learning-rate', 0, 10, { exclusiveMin: true }),
        ),
        defaultsByModel('learningRate'),
      ),
    )
    .addOption(
      withShownDefault(
        new Option(
          '--lr-decay <x>',
          '[local] per-epoch learning-rate decay: lr / (1 + decay x (epoch - 1)); 0 = constant',
        ).argParser(parseFloatIn('--lr-decay', 0, 100)),
        defaultsByModel('lrDecay'),
      ),
    )
    .addOption(
      withShownDefault(
        new Option(
          '--lr-schedule <shape>',
          '[local] learning rate per step: decay (per epoch only) or cosine (5% warm-up, cosine to 0; x decay)',
        ).choices(LR_SCHEDULES),
        defaultsByModel('lrSchedule'),
      ),
    )
    .addOption(
      withShownDefault(
        new Option('--l2 <x>', '[local] L2 penalty on the weights').argParser(parseFloatIn('--l2', 0, 100)),
        defaultsByModel('l2'),
      ),
    )
    .addOption(
      withShownDefault(
        new Option(
          '--augment-shift <n>',
          '[local] cnn: shift each training image randomly by up to n pixels (data augmentation; 0 = none)',
        ).argParser(parseInteger('--augment-shift', 0, 8)),
        defaultsByModel('augmentShift'),
      ),
    )
    .addOption(
      withShownDefault(
        new Option(
          '--augment-rotate <deg>',
          '[local] cnn: rotate each training image randomly by up to deg degrees (seeded; 0 = none)',
        ).argParser(parseFloatIn('--augment-rotate', 0, 45)),
        defaultsByModel('augmentRotate'),
      ),
    )
    .addOption(
      withShownDefault(
        new Option(
          '--augment-zoom <f>',
          '[local] cnn: zoom each training image randomly by a factor in [1-f, 1+f] (seeded; 0 = none)',
        ).argParser(parseFloatIn('--augment-zoom', 0, 0.5)),
        defaultsByModel('augmentZoom'),
      ),
    )
    .addOption(
      withShownDefault(
        new Option(
          '--dropout <rate>',
          '[local] cnn: drop hidden dense units with this probability while training, conv features ' +
            'with half of it (seeded; 0 = none)',
        ).argParser(parseFloatIn('--dropout', 0, 0.9)),
        defaultsByModel('dropout'),
      ),
    )
    .addOption(
      withShownDefault(
        new Option(
          '--tta-shift <n>',
          '[local] cnn: predict the mean over (2n+1)^2 copies of each image shifted by up to n pixels ' +
            '(test-time augmentation; 0 = none)',
        ).argParser(parseInteger('--tta-shift', 0, MAX_TTA_SHIFT)),
        defaultsByModel('ttaShift'),
      ),
    )
    .addOption(
      new Option(
        '--validation-fraction <f>',
        'share of the training rows held out (seeded, stratified; the rows `upload` holds out too) ' +
          'for early stopping and scoring; 0 = none',
      )
        .argParser(parseFloatIn('--validation-fraction', 0, 1, { exclusiveMax: true }))
        .default(0.1),
    )
    .addOption(
      withShownDefault(
        new Option(
          '--patience <n>',
          '[local] epochs without validation-loss improvement before stopping; 0 = never stop early',
        ).argParser(parseInteger('--patience', 0, 1000)),
        defaultsByModel('patience'),
      ),
    )
    .addOption(
      new Option(
        '--full [run]',
        '[local] final submission: train on every row (no validation hold-out, no early stopping) ' +
          'for fixed epochs: --epochs, else the best epoch of <run> (whose settings it repeats), ' +
          'else the default',
      ),
    )
    .addOption(
      new Option('--backend <backend>', '[local] tfjs backend; auto = node, else wasm, else cpu')
        .choices(['auto', 'node', 'wasm', 'cpu'])
        .default('auto'),
    )
    .addOption(
      withShownDefault(
        new Option('--workers <n>', '[local] cnn: threads computing each batch; 1 = single-threaded').argParser(
          parseInteger('--workers', 1, 64),
        ),
        'min(2, CPUs)',
      ),
    );
}
