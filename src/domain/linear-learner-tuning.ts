/**
 * A SageMaker hyperparameter tuning job for Linear Learner, decided before anything is created:
 * the tunable ranges (AWS guide "Tune a linear learner model", linear-learner-tuning), the
 * objective, the limits, the tuning job name, and the CreateHyperParameterTuningJob request.
 * The training job definition is the one `run --engine sagemaker` would send (same plan, same
 * channels, same static hyperparameters), minus the hyperparameters being tuned.
 */
import type { CreateHyperParameterTuningJobRequest } from '@aws-sdk/client-sagemaker';
import { UserInputError } from '../errors/index.js';
import { buildCreateTrainingJob, runTags } from './sagemaker-requests.js';
import { DEFAULT_MINI_BATCH_SIZE, type RunPlan } from './sagemaker-plan.js';
import { shortHash } from './sagemaker-names.js';

/** The objective: the multiclass metric Linear Learner reports on the validation channel. */
export const TUNING_OBJECTIVE = { MetricName: 'validation:multiclass_accuracy', Type: 'Maximize' } as const;

/**
 * Strategies Linear Learner can use here. Hyperband needs the objective after every epoch and its
 * own early stopping; Grid needs only categorical ranges (these are continuous): neither fits.
 */
export const TUNING_STRATEGIES = ['Bayesian', 'Random'] as const;
export type TuningStrategy = (typeof TUNING_STRATEGIES)[number];

export type TunableRange =
  | { type: 'continuous'; min: number; max: number }
  | { type: 'integer'; min: number; max: number }
  | { type: 'categorical'; values: readonly string[] };

/** The recommended ranges of the guide (multiclass: positive_example_weight_mult is binary-only). */
export const LINEAR_LEARNER_TUNABLE: Readonly<Record<string, TunableRange>> = Object.freeze({
  learning_rate: { type: 'continuous', min: 1e-5, max: 1 },
  wd: { type: 'continuous', min: 1e-7, max: 1 },
  l1: { type: 'continuous', min: 1e-7, max: 1 },
  mini_batch_size: { type: 'integer', min: 100, max: 5000 },
  use_bias: { type: 'categorical', values: ['true', 'false'] },
});

/** Searched when no --range is given. */
export const DEFAULT_TUNED = ['learning_rate', 'wd', 'l1', 'mini_batch_size'] as const;

/** Tuning job names: 1-32 characters (the launched training jobs get `-NNN-xxxxxxxx` appended). */
export const TUNING_NAME_RE = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$/;

export interface TuningSettings {
  strategy: TuningStrategy;
  maxJobs: number;
  maxParallel: number;
  /** `--range name=min:max` (or `use_bias=true,false`), already parsed; empty = the defaults. */
  ranges: Record<string, TunableRange>;
  /** Recorded in the request (RandomSeed), so a rerun samples the same settings. */
  seed: number;
}

export interface TuningPlan {
  name: string;
  strategy: TuningStrategy;
  objective: typeof TUNING_OBJECTIVE;
  maxJobs: number;
  maxParallel: number;
  seed: number;
  ranges: Record<string, TunableRange>;
  /** Sent with every trial (the run plan's hyperparameters without the tuned ones). */
  staticHyperparameters: Record<string, string>;
  notes: string[];
  costEstimate: { usd?: number; basis: string; priceTableDate: string };
}

/** `digitflow-tune-<runId>`, cut to 32 characters with a hash of the full name when longer. */
export function tuningJobName(runId: string): string {
  const clean = `digitflow-tune-${runId}`.replace(/[^a-zA-Z0-9-]+/g, '-').replace(/-+$/g, '');
  if (clean.length <= 32 && TUNING_NAME_RE.test(clean) && clean === `digitflow-tune-${runId}`) return clean;
  const tag = shortHash(`digitflow-tune-${runId}`);
  return `${clean.slice(0, 32 - tag.length - 1).replace(/-+$/, '')}-${tag}`;
}

const fmt = (r: TunableRange) => (r.type === 'categorical' ? r.values.join(',') : `${r.min}:${r.max}`);

/**
 * Parses repeated `--range name=min:max` / `--range use_bias=true,false`; each must lie within the documented range.
 */
export function parseTuningRanges(items: readonly string[]): Record<string, TunableRange> {
  const out: Record<string, TunableRange> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    const name = eq > 0 ? item.slice(0, eq).trim() : '';
    const doc = LINEAR_LEARNER_TUNABLE[name];
    if (!doc) {
      throw new UserInputError(
        'HYPERPARAMETER_INVALID',
        `--range '${item}': ${name ? `'${name}' is not a tunable Linear Learner hyperparameter` : 'not name=min:max'}`,
        {
          hint: `tunable: ${Object.entries(LINEAR_LEARNER_TUNABLE)
            .map(([k, r]) => `${k}=${fmt(r)}`)
            .join('  ')}`,
        },
      );
    }
    if (name in out)
      throw new UserInputError('HYPERPARAMETER_INVALID', `--range ${name} is given twice`, {
        hint: 'give each range once',
      });
    const value = item.slice(eq + 1).trim();
    if (doc.type === 'categorical') {
      const values = [...new Set(value.split(',').map((v) => v.trim().toLowerCase()))];
      if (values.length === 0 || values.some((v) => !doc.values.includes(v))) {
        throw new UserInputError(
          'HYPERPARAMETER_INVALID',
          `--range ${name}=${value}: values must be among ${doc.values.join(', ')}`,
          { hint: `e.g. --range ${name}=${doc.values.join(',')}` },
        );
      }
      out[name] = { type: 'categorical', values };
      continue;
    }
    const m = /^([^:]+):([^:]+)$/.exec(value);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2]) : NaN;
    const bad = (why: string) =>
      new UserInputError('HYPERPARAMETER_INVALID', `--range ${name}=${value}: ${why}`, {
        hint: `the documented range of ${name} is ${doc.min}:${doc.max}; e.g. --range ${name}=${doc.min}:${doc.max}`,
      });
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw bad('not min:max');
    if (doc.type === 'integer' && (!Number.isInteger(lo) || !Number.isInteger(hi))) throw bad('whole numbers expected');
    if (lo > hi) throw bad('min is larger than max');
    if (lo < doc.min || hi > doc.max) throw bad(`outside the documented range ${doc.min}:${doc.max}`);
    out[name] = { type: doc.type, min: lo, max: hi };
  }
  return out;
}

/**
 * The tuning plan on top of a run plan. A hyperparameter the user fixed with `--hp` is not tuned
 * (refused when also given as --range); mini_batch_size is capped at the rows a training host reads.
 */
export function buildTuningPlan(
  plan: RunPlan,
  userHyperparameters: Record<string, string>,
  s: TuningSettings,
): TuningPlan {
  if (!plan.s3.validationChannel) {
    throw new UserInputError(
      'VALIDATION_EMPTY',
      `tuning maximises ${TUNING_OBJECTIVE.MetricName}, which needs validation rows`,
      {
        hint: 'use a --validation-fraction above 0 (default 0.1)',
      },
    );
  }
  if (s.maxParallel > s.maxJobs) {
    throw new UserInputError(
      'FLAG_CONFLICT',
      `--max-parallel ${s.maxParallel} is larger than --max-jobs ${s.maxJobs}`,
      { hint: `use --max-parallel ${s.maxJobs} or less` },
    );
  }
  const notes: string[] = [];
  const explicit = Object.keys(s.ranges).length > 0;
  const ranges: Record<string, TunableRange> = explicit
    ? { ...s.ranges }
    : Object.fromEntries(DEFAULT_TUNED.map((k) => [k, LINEAR_LEARNER_TUNABLE[k]]));
  for (const name of Object.keys(ranges)) {
    if (!(name in userHyperparameters)) continue;
    if (explicit) {
      throw new UserInputError(
        'HYPERPARAMETER_INVALID',
        `${name} is both fixed (--hp/${name} flag) and tuned (--range ${name}=...)`,
        { hint: 'fix it or tune it, not both' },
      );
    }
    delete ranges[name];
    notes.push(`${name}=${userHyperparameters[name]} fixed by you: not tuned`);
  }
  const perHost = plan.training.rowsPerHost;
  const mb = ranges.mini_batch_size;
  if (mb && mb.type === 'integer' && perHost !== undefined && mb.max > perHost) {
    if (perHost < mb.min) {
      if (explicit) {
        throw new UserInputError(
          'MINI_BATCH_TOO_LARGE',
          `--range mini_batch_size starts at ${mb.min}, more than the ${perHost} training rows each host reads`,
          {
            hint: `drop the mini_batch_size range, or train on more rows / fewer --instance-count`,
            details: { rowsPerHost: perHost },
          },
        );
      }
      delete ranges.mini_batch_size;
      notes.push(
        `mini_batch_size not tuned: its range starts at ${mb.min}, above the ${perHost} rows per training host`,
      );
    } else {
      ranges.mini_batch_size = { ...mb, max: perHost };
      notes.push(`mini_batch_size range capped at ${perHost} rows per training host`);
    }
  }
  if (Object.keys(ranges).length === 0) {
    throw new UserInputError('HYPERPARAMETER_INVALID', 'nothing left to tune', {
      hint: 'give a --range, or fix fewer hyperparameters with --hp',
    });
  }
  const staticHyperparameters = { ...plan.hyperparameters };
  for (const name of Object.keys(ranges)) delete staticHyperparameters[name];
  // The plan added mini_batch_size = min(1000, rows per host) for one job; keep it when not tuned.
  if (!ranges.mini_batch_size && staticHyperparameters.mini_batch_size === undefined)
    staticHyperparameters.mini_batch_size = String(
      Math.min(DEFAULT_MINI_BATCH_SIZE, perHost ?? DEFAULT_MINI_BATCH_SIZE),
    );
  notes.push('Linear Learner trains one model per trial under tuning (num_models is set to 1 by SageMaker)');
  return {
    name: tuningJobName(plan.runId),
    strategy: s.strategy,
    objective: TUNING_OBJECTIVE,
    maxJobs: s.maxJobs,
    maxParallel: s.maxParallel,
    seed: s.seed,
    ranges,
    staticHyperparameters,
    notes,
    costEstimate: tuningCost(plan, s.maxJobs),
  };
}

/** Upper bound: max-jobs training jobs at the plan's per-job bound, plus the one batch transform of the best. */
export function tuningCost(plan: RunPlan, maxJobs: number): TuningPlan['costEstimate'] {
  const c = plan.costEstimate;
  if (c.trainingUsd === undefined || c.transformUsd === undefined)
    return { basis: c.basis, priceTableDate: c.priceTableDate };
  const usd = Math.round((c.trainingUsd * maxJobs + c.transformUsd) * 100) / 100;
  return {
    usd,
    basis:
      `upper bound: ${maxJobs} training job(s) x $${c.trainingUsd.toFixed(2)} (${plan.training.instanceCount} ` +
      `x ${plan.training.instanceType} for the full --max-runtime ${plan.training.maxRuntimeSeconds}s, ` +
      `${plan.region} prices of ${c.priceTableDate}) + $${c.transformUsd.toFixed(2)} for the best trial's ` +
      `batch transform`,
    priceTableDate: c.priceTableDate,
  };
}

/** The trial settings as SageMaker takes them (values are strings). */
function parameterRanges(ranges: Record<string, TunableRange>) {
  const entries = Object.entries(ranges);
  const of = (type: TunableRange['type']) => entries.filter(([, r]) => r.type === type);
  return {
    ContinuousParameterRanges: of('continuous').map(([Name, r]) => ({
      Name,
      MinValue: String((r as { min: number }).min),
      MaxValue: String((r as { max: number }).max),
      // The documented ranges span 5-7 decades: sample evenly in log space.
      ScalingType: 'Logarithmic' as const,
    })),
    IntegerParameterRanges: of('integer').map(([Name, r]) => ({
      Name,
      MinValue: String((r as { min: number }).min),
      MaxValue: String((r as { max: number }).max),
      ScalingType: 'Linear' as const,
    })),
    CategoricalParameterRanges: of('categorical').map(([Name, r]) => ({
      Name,
      Values: [...(r as { values: readonly string[] }).values],
    })),
  };
}

/** CreateHyperParameterTuningJob: the run's training job as the definition, the ranges, the objective, the limits. */
export function buildCreateTuningJob(plan: RunPlan, t: TuningPlan): CreateHyperParameterTuningJobRequest {
  const train = buildCreateTrainingJob(plan);
  return {
    HyperParameterTuningJobName: t.name,
    HyperParameterTuningJobConfig: {
      Strategy: t.strategy,
      HyperParameterTuningJobObjective: { ...t.objective },
      ResourceLimits: { MaxNumberOfTrainingJobs: t.maxJobs, MaxParallelTrainingJobs: t.maxParallel },
      ParameterRanges: parameterRanges(t.ranges),
      // Linear Learner stops early by itself (early_stopping_patience); SageMaker's own is left off.
      TrainingJobEarlyStoppingType: 'Off',
      RandomSeed: t.seed,
    },
    TrainingJobDefinition: {
      StaticHyperParameters: { ...t.staticHyperparameters },
      AlgorithmSpecification: { TrainingImage: plan.image, TrainingInputMode: 'File' },
      RoleArn: train.RoleArn!,
      InputDataConfig: train.InputDataConfig,
      OutputDataConfig: train.OutputDataConfig!,
      ResourceConfig: train.ResourceConfig,
      StoppingCondition: train.StoppingCondition!,
      ...(train.EnableManagedSpotTraining ? { EnableManagedSpotTraining: true } : {}),
      ...(train.CheckpointConfig ? { CheckpointConfig: train.CheckpointConfig } : {}),
    },
    Tags: runTags(plan),
  };
}

/** The tuning plan as aligned text for `--dry-run` (after the run plan). */
export function renderTuningPlanText(t: TuningPlan): string {
  const lines = [
    `  tuning job       ${t.name}  ${t.strategy}, up to ${t.maxJobs} training job(s), ` +
      `${t.maxParallel} at a time, seed ${t.seed}`,
    `  objective        ${t.objective.MetricName} (${t.objective.Type})`,
    ...Object.entries(t.ranges).map(
      ([k, r]) =>
        `  tuned            ${k.padEnd(16)} ` +
        (r.type === 'categorical'
          ? r.values.join(' | ')
          : `${r.min} .. ${r.max}${r.type === 'continuous' ? ' (log scale)' : ''}`),
    ),
    `  static           ${Object.entries(t.staticHyperparameters)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
    ...t.notes.map((n) => `  checked          ${n}`),
    `  estimated cost   ` +
      `${t.costEstimate.usd === undefined ? 'unknown' : `<= $${t.costEstimate.usd.toFixed(2)}`}  ` +
      `(${t.costEstimate.basis})`,
  ];
  return lines.join('\n');
}
