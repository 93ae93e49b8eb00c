/**
 * Linear Learner's documented hyperparameters (guide page "Linear learner hyperparameters",
 * ll_hyperparameters), each with the values the service accepts, and the mapping of the flags the
 * local engine shares (--epochs, --batch-size, --learning-rate, --l2) to their Linear Learner
 * names. A value outside the documented range is refused here, before anything is uploaded.
 */
import { UserInputError } from '../errors/index.js';

type Rule =
  | { kind: 'int'; min: number; max?: number; auto?: boolean }
  | { kind: 'float'; min: number; max?: number; exclusiveMin?: boolean; auto?: boolean }
  | { kind: 'choice'; values: readonly string[] };

const BOOL = { kind: 'choice', values: ['true', 'false'] } as const;
const AUTO_BOOL = { kind: 'choice', values: ['auto', 'true', 'false'] } as const;
const POS_FLOAT = { kind: 'float', min: 0, exclusiveMin: true } as const;

/** Every optional hyperparameter a user may set with `--hp name=value`. */
export const LINEAR_LEARNER_HYPERPARAMETERS: Readonly<Record<string, Rule>> = Object.freeze({
  accuracy_top_k: { kind: 'int', min: 1 },
  balance_multiclass_weights: BOOL,
  beta_1: { kind: 'float', min: 0, max: 1, auto: true },
  beta_2: { kind: 'float', min: 0, max: 1, auto: true },
  bias_lr_mult: { kind: 'float', min: 0, exclusiveMin: true, auto: true },
  bias_wd_mult: { kind: 'float', min: 0, auto: true },
  early_stopping_patience: { kind: 'int', min: 1 },
  early_stopping_tolerance: POS_FLOAT,
  epochs: { kind: 'int', min: 1 },
  f_beta: POS_FLOAT,
  init_bias: { kind: 'float', min: -Infinity },
  init_method: { kind: 'choice', values: ['uniform', 'normal'] },
  init_scale: POS_FLOAT,
  init_sigma: POS_FLOAT,
  l1: { kind: 'float', min: 0, auto: true },
  learning_rate: { kind: 'float', min: 0, exclusiveMin: true, auto: true },
  // Multiclass: softmax_loss (what `auto` picks) keeps the scores probabilities; hinge_loss does not.
  loss: { kind: 'choice', values: ['auto', 'softmax_loss', 'hinge_loss'] },
  lr_scheduler_factor: { kind: 'float', min: 0, max: 1, exclusiveMin: true, auto: true },
  lr_scheduler_minimum_lr: { kind: 'float', min: 0, exclusiveMin: true, auto: true },
  lr_scheduler_step: { kind: 'int', min: 1, auto: true },
  margin: POS_FLOAT,
  mini_batch_size: { kind: 'int', min: 1 },
  momentum: { kind: 'float', min: 0, max: 1, auto: true },
  normalize_data: AUTO_BOOL,
  num_models: { kind: 'int', min: 1, auto: true },
  num_point_for_scaler: { kind: 'int', min: 1 },
  optimizer: { kind: 'choice', values: ['auto', 'sgd', 'adam', 'rmsprop'] },
  unbias_data: AUTO_BOOL,
  use_bias: BOOL,
  use_lr_scheduler: BOOL,
  wd: { kind: 'float', min: 0, auto: true },
});

/** Set by digitflow from the data (multiclass digits); a user value would change the model kind. */
export const FIXED_HYPERPARAMETERS = ['predictor_type', 'num_classes', 'feature_dim'] as const;

/** Shared training flags → Linear Learner hyperparameter names (README table). */
export const SHARED_FLAG_TO_HYPERPARAMETER = Object.freeze({
  '--epochs': 'epochs',
  '--batch-size': 'mini_batch_size',
  '--learning-rate': 'learning_rate',
  '--l2': 'wd',
} as const);

/** Linear Learner name → the local engine's manifest name of the same setting (for `compare`). */
export const LINEAR_LEARNER_TO_LOCAL: Readonly<Record<string, string>> = Object.freeze({
  epochs: 'epochs',
  mini_batch_size: 'batchSize',
  learning_rate: 'learningRate',
  wd: 'l2',
});

function describe(rule: Rule): string {
  if (rule.kind === 'choice') return `one of ${rule.values.join(', ')}`;
  const low = rule.kind === 'float' && rule.exclusiveMin ? `> ${rule.min}` : `>= ${rule.min}`;
  const what = rule.kind === 'int' ? 'a whole number' : 'a number';
  const bounds = rule.min === -Infinity ? '' : ` ${low}${rule.max !== undefined ? ` and <= ${rule.max}` : ''}`;
  return `${rule.auto ? "'auto' or " : ''}${what}${bounds}`;
}

/** Checks one `name=value` against the documented table; returns the value as Linear Learner reads it. */
export function checkHyperparameter(name: string, value: string, flag = `--hp ${name}`): string {
  if ((FIXED_HYPERPARAMETERS as readonly string[]).includes(name)) {
    throw new UserInputError(
      'HYPERPARAMETER_INVALID',
      `${flag}: ${name} is set by digitflow (multiclass digits, 784 features)`,
      {
        hint: 'remove it; digitflow sends predictor_type=multiclass_classifier, num_classes and feature_dim=784',
      },
    );
  }
  const rule = LINEAR_LEARNER_HYPERPARAMETERS[name];
  if (!rule) {
    throw new UserInputError('HYPERPARAMETER_INVALID', `${flag}: '${name}' is not a Linear Learner hyperparameter`, {
      hint: `documented names: ${Object.keys(LINEAR_LEARNER_HYPERPARAMETERS).join(', ')}`,
    });
  }
  const v = value.trim();
  const bad = () =>
    new UserInputError(
      'HYPERPARAMETER_INVALID',
      `${flag}: ${name}=${value} is not valid; Linear Learner accepts ${describe(rule)}`,
      {
        hint: 'see the hyperparameter table in the README ("Pointing it at AWS")',
      },
    );
  if (rule.kind === 'choice') {
    if (!rule.values.includes(v.toLowerCase())) throw bad();
    return v.toLowerCase();
  }
  if (rule.auto && v.toLowerCase() === 'auto') return 'auto';
  const n = Number(v);
  if (v === '' || !Number.isFinite(n)) throw bad();
  if (rule.kind === 'int' && !Number.isInteger(n)) throw bad();
  const lowOk = rule.kind === 'float' && rule.exclusiveMin ? n > rule.min : n >= rule.min;
  if (!lowOk || (rule.max !== undefined && n > rule.max)) throw bad();
  return String(n);
}

/** Parses repeated `--hp name=value` flags into a checked map (a name given twice is refused). */
export function parseHyperparameterFlags(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) {
      throw new UserInputError('HYPERPARAMETER_INVALID', `--hp '${item}' is not name=value`, {
        hint: 'e.g. --hp optimizer=sgd --hp l1=0.0001',
      });
    }
    const name = item.slice(0, eq).trim();
    if (name in out)
      throw new UserInputError('HYPERPARAMETER_INVALID', `--hp ${name} is given twice`, {
        hint: 'give each hyperparameter once',
      });
    out[name] = checkHyperparameter(name, item.slice(eq + 1));
  }
  return out;
}
