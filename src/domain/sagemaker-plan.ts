/**
 * The managed run, decided before anything is created: names, S3 layout, image, hyperparameters,
 * channels, limits and an estimated cost. `--dry-run` prints exactly this object, and the apply
 * path builds every request from it, so what the user approved is what gets created.
 */
import { UserInputError } from '../errors/index.js';
import { linearLearnerImage } from './linear-learner-images.js';
import {
  describePriceSource,
  estimateCost,
  shippedPriceSource,
  PRICE_TABLE_DATE,
  type PriceSource,
  type PriceSourceKind,
} from './instance-prices.js';
import { assertInstanceType } from './sagemaker-instance-types.js';
import { resourceName } from './sagemaker-names.js';
import { PIXELS } from './dataset.js';

export const PLAN_VERSION = 2 as const;

/** Transform jobs are not bounded by a max runtime, so the estimate assumes this many seconds each. */
export const ASSUMED_TRANSFORM_SECONDS = 600;

/** Linear Learner's default mini_batch_size (and the SageMaker SDK's cap on its own default). */
export const DEFAULT_MINI_BATCH_SIZE = 1000;

/** The spot guide's cap on MaxWaitTimeInSeconds for a built-in algorithm that does not checkpoint. */
export const SPOT_MAX_WAIT_WITHOUT_CHECKPOINTS = 3600;

/** One ml.m5.large scores the 28,000 Kaggle test rows well within an hour. */
export const DEFAULT_TRANSFORM_INSTANCE_TYPE = 'ml.m5.large';

export interface PlanInput {
  runId: string;
  region: string;
  bucket: string;
  /** Key prefix under the bucket (no leading/trailing slash needed). */
  prefix?: string;
  roleArn: string;
  instanceType: string;
  instanceCount: number;
  /** Batch transform settings (default one ml.m5.large): independent of training. */
  transformInstanceType?: string;
  transformInstanceCount?: number;
  spot: boolean;
  maxRuntimeSeconds: number;
  /** Spot only: how long to wait for capacity + run; defaults to 2 x max runtime. */
  maxWaitSeconds?: number;
  numClasses: number;
  /** User hyperparameters (epochs, mini_batch_size, ...), already checked; stringified into the plan. */
  hyperparameters?: Record<string, string | number | boolean | undefined>;
  /** Rows in the train channel (after the validation split): sets and checks mini_batch_size per host. */
  trainRows?: number;
  /** Whether validation rows exist (validation channel + scored in the transform). */
  validation: boolean;
  /** Suffix for transform job names so `predict` re-runs never collide (1 for the first). */
  transformAttempt?: number;
}

export interface RunPlan {
  planVersion: typeof PLAN_VERSION;
  runId: string;
  region: string;
  roleArn: string;
  image: string;
  names: { trainingJob: string; model: string; transform: string };
  s3: {
    bucket: string;
    /** s3://B/P/<runId>/ : everything the run writes lives under it (cleanup deletes it). */
    root: string;
    trainChannel: string;
    validationChannel?: string;
    /** Transform input prefix: the test shards and (with validation) validation-features.csv. */
    transformInput: string;
    /** Object names under transformInput, test shards first. */
    testShards: string[];
    validationFeatures?: string;
    modelOutput: string;
    checkpoints?: string;
    transformOutput: string;
  };
  hyperparameters: Record<string, string>;
  channels: {
    name: string;
    s3Uri: string;
    contentType: 'text/csv';
    distribution: 'FullyReplicated' | 'ShardedByS3Key';
  }[];
  training: {
    instanceType: string;
    instanceCount: number;
    volumeSizeInGB: number;
    maxRuntimeSeconds: number;
    spot: boolean;
    maxWaitSeconds?: number;
    /** Rows each training host reads (smallest shard). */
    rowsPerHost?: number;
  };
  transform: { instanceType: string; instanceCount: number; maxPayloadInMB: number };
  /** What the plan checked, in words, for --dry-run and the manifest. */
  notes: string[];
  costEstimate: {
    usd?: number;
    trainingUsd?: number;
    transformUsd?: number;
    basis: string;
    priceTableDate: string;
    /** Which prices the estimate used (the stage resolves them once per command). */
    prices?: { source: PriceSourceKind; region: string; date?: string; reason?: string; text: string };
  };
}

export { resourceName, isValidResourceName } from './sagemaker-names.js';

const ROLE_RE = /^arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-f)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** Throws a UserInputError unless `arn` looks like an IAM role ARN. */
export function assertRoleArn(arn: string): void {
  if (!ROLE_RE.test(arn)) {
    throw new UserInputError('ROLE_ARN_INVALID', `--role '${arn}' is not an IAM role ARN`, {
      hint: 'pass the execution role SageMaker assumes, e.g. arn:aws:iam::123456789012:role/SageMakerExecutionRole',
      details: { roleArn: arn },
    });
  }
}

/** Bucket naming rules (3-63 chars, lowercase, digits, dots, hyphens). */
export function assertBucketName(bucket: string): void {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) {
    throw new UserInputError('S3_BUCKET_INVALID', `--bucket '${bucket}' is not a valid S3 bucket name`, {
      hint: 'a bucket name only, 3-63 lowercase letters, digits, dots or hyphens (no s3:// and no key)',
      details: { bucket },
    });
  }
}

/** Shard object name i of n under the transform input (zero padded so lexical order = ImageId order). */
export function shardName(i: number): string {
  return `test-part-${String(i).padStart(5, '0')}.csv`;
}

/** Train channel object name i of n (one file per training host for ShardedByS3Key). */
export function trainShardName(i: number, n: number): string {
  return n === 1 ? 'train.csv' : `train-part-${String(i).padStart(5, '0')}.csv`;
}

export const VALIDATION_CHANNEL_FILE = 'validation.csv';
export const VALIDATION_FEATURES_FILE = 'validation-features.csv';

/**
 * Where a run's data lives in S3 (one layout for `upload` and `run --engine sagemaker`, so an
 * upload is the first half of a managed run and a later run reuses it).
 */
export function runS3Layout(bucket: string, prefix: string | undefined, runId: string) {
  const p = (prefix ?? 'digitflow').replace(/^\/+|\/+$/g, '');
  const root = `s3://${bucket}/${p ? p + '/' : ''}${runId}/`;
  return {
    root,
    trainChannel: `${root}data/train/`,
    validationChannel: `${root}data/validation/`,
    transformInput: `${root}data/transform-input/`,
    modelOutput: `${root}model/`,
    checkpoints: `${root}checkpoints/`,
    transformOutputs: `${root}transform/`,
  };
}

/** Train rows on the smallest of `hosts` near-equal shards (what one host reads with ShardedByS3Key). */
export function rowsPerHost(trainRows: number, hosts: number): number {
  return Math.floor(trainRows / Math.max(1, hosts));
}

/**
 * Builds the plan. Pure: same input (and prices), same plan. Throws UserInputError on a bad flag.
 * `prices` is what the stage resolved for the command (default: the shipped table of the region).
 */
export function buildRunPlan(input: PlanInput, prices: PriceSource = shippedPriceSource(input.region)): RunPlan {
  assertBucketName(input.bucket);
  assertRoleArn(input.roleArn);
  assertInstanceType(input.instanceType, 'training', '--instance-type');
  const tfType = input.transformInstanceType ?? DEFAULT_TRANSFORM_INSTANCE_TYPE;
  const tfCount = input.transformInstanceCount ?? 1;
  assertInstanceType(tfType, 'transform', '--transform-instance-type');
  if (input.numClasses < 3) {
    throw new UserInputError(
      'NUM_CLASSES',
      `multiclass Linear Learner needs at least 3 classes, got ${input.numClasses}`,
    );
  }
  const image = linearLearnerImage(input.region);
  const layout = runS3Layout(input.bucket, input.prefix, input.runId);
  const attempt = input.transformAttempt ?? 1;
  const names = {
    trainingJob: resourceName('train', input.runId),
    model: resourceName('model', input.runId),
    transform: resourceName('tf', input.runId, attempt > 1 ? String(attempt) : undefined),
  };
  const count = input.instanceCount;
  const notes: string[] = [];
  // Each transform instance gets whole objects: one test shard per instance.
  const testShards = Array.from({ length: tfCount }, (_, i) => shardName(i));
  const s3: RunPlan['s3'] = {
    bucket: input.bucket,
    root: layout.root,
    trainChannel: layout.trainChannel,
    validationChannel: input.validation ? layout.validationChannel : undefined,
    transformInput: layout.transformInput,
    testShards,
    validationFeatures: input.validation ? VALIDATION_FEATURES_FILE : undefined,
    modelOutput: layout.modelOutput,
    checkpoints: input.spot ? layout.checkpoints : undefined,
    transformOutput: `${layout.transformOutputs}${names.transform}/`,
  };

  const hyperparameters: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.hyperparameters ?? {})) if (v !== undefined) hyperparameters[k] = String(v);
  // mini_batch_size must not exceed the rows one host reads, or the job fails after start-up.
  const perHost = input.trainRows !== undefined ? rowsPerHost(input.trainRows, count) : undefined;
  if (perHost !== undefined) {
    if (perHost < 1) {
      throw new UserInputError(
        'TOO_FEW_TRAIN_ROWS',
        `${input.trainRows} training rows cannot be shared by --instance-count ${count}`,
        {
          hint: 'use fewer training instances: each one reads its own share of the rows',
        },
      );
    }
    const given = hyperparameters.mini_batch_size;
    if (given === undefined) {
      hyperparameters.mini_batch_size = String(Math.min(DEFAULT_MINI_BATCH_SIZE, perHost));
      notes.push(
        `mini_batch_size ${hyperparameters.mini_batch_size} = min(${DEFAULT_MINI_BATCH_SIZE}, ` +
          `${perHost} rows per training host)`,
      );
    } else if (Number(given) > perHost) {
      throw new UserInputError(
        'MINI_BATCH_TOO_LARGE',
        `mini_batch_size ${given} is larger than the ${perHost} training rows each of ${count} host(s) reads`,
        {
          hint:
            `use --batch-size ${perHost} or less (or fewer --instance-count); ` +
            `Linear Learner fails such a job after start-up`,
          details: { miniBatchSize: Number(given), rowsPerHost: perHost, instanceCount: count },
        },
      );
    }
  }
  // Ours go last: the user cannot turn this into a different kind of model by accident.
  Object.assign(hyperparameters, {
    predictor_type: 'multiclass_classifier',
    num_classes: String(input.numClasses),
    feature_dim: String(PIXELS),
  });
  // Distributed training splits the data between instances; one instance reads it all.
  const trainDistribution = count > 1 ? 'ShardedByS3Key' : 'FullyReplicated';
  const channels: RunPlan['channels'] = [
    { name: 'train', s3Uri: s3.trainChannel, contentType: 'text/csv', distribution: trainDistribution },
  ];
  // AWS: the validation channel "should be FullyReplicated".
  if (s3.validationChannel)
    channels.push({
      name: 'validation',
      s3Uri: s3.validationChannel,
      contentType: 'text/csv',
      distribution: 'FullyReplicated',
    });

  let maxWaitSeconds: number | undefined;
  if (input.spot) {
    maxWaitSeconds = input.maxWaitSeconds ?? input.maxRuntimeSeconds * 2;
    if (maxWaitSeconds < input.maxRuntimeSeconds) {
      throw new UserInputError(
        'MAX_WAIT_TOO_SHORT',
        `--max-wait ${maxWaitSeconds} is shorter than --max-runtime ${input.maxRuntimeSeconds}`,
        {
          hint: 'spot training needs --max-wait >= --max-runtime (the wait includes the run)',
        },
      );
    }
    // Linear Learner checkpoints, so the run sends CheckpointConfig and the 3600 s cap of
    // non-checkpointing built-ins does not apply; an interrupted job resumes from the checkpoint.
    notes.push(
      `spot: checkpoints to ${s3.checkpoints} (Linear Learner resumes from them), ` +
        `so max wait ${maxWaitSeconds}s may exceed ${SPOT_MAX_WAIT_WITHOUT_CHECKPOINTS}s`,
    );
  } else if (input.maxWaitSeconds !== undefined) {
    throw new UserInputError('FLAG_NOT_APPLICABLE', '--max-wait applies to --spot training only', {
      hint: 'add --spot, or drop --max-wait',
    });
  }

  const cost = planCost(prices, input.instanceType, count, input.maxRuntimeSeconds, tfType, tfCount, input.spot);

  return {
    planVersion: PLAN_VERSION,
    runId: input.runId,
    region: input.region,
    roleArn: input.roleArn,
    image,
    names,
    s3,
    hyperparameters,
    channels,
    training: {
      instanceType: input.instanceType,
      instanceCount: count,
      volumeSizeInGB: 10,
      maxRuntimeSeconds: input.maxRuntimeSeconds,
      spot: input.spot,
      maxWaitSeconds,
      rowsPerHost: perHost,
    },
    transform: { instanceType: tfType, instanceCount: tfCount, maxPayloadInMB: 6 },
    notes,
    costEstimate: cost,
  };
}

function planCost(
  prices: PriceSource,
  trainType: string,
  trainCount: number,
  maxRuntime: number,
  tfType: string,
  tfCount: number,
  spot: boolean,
): RunPlan['costEstimate'] {
  const region = prices.region;
  const trainingUsd = estimateCost(trainType, trainCount, maxRuntime, prices, 'training');
  const transformUsd = estimateCost(tfType, tfCount, ASSUMED_TRANSFORM_SECONDS, prices, 'transform');
  const usd =
    trainingUsd === undefined || transformUsd === undefined
      ? undefined
      : Math.round((trainingUsd + transformUsd) * 100) / 100;
  const text = describePriceSource(prices);
  const where =
    prices.source === 'price-list-api' ? `AWS Price List API (${region}, ${prices.date})` : `the ${prices.date} table`;
  let basis: string;
  if (prices.source === 'none') basis = `${text}: cost unknown`;
  else if (usd === undefined) {
    const missing = trainingUsd === undefined ? `training on ${trainType}` : `transform on ${tfType}`;
    basis =
      `no ${region} price for ${missing} in ${where}: cost unknown, ` + `see https://aws.amazon.com/sagemaker/pricing/`;
  } else {
    const of =
      prices.source === 'price-list-api'
        ? `${region} prices from the AWS Price List API on ${prices.date}`
        : `${region} prices of ${prices.date}, an estimate`;
    basis =
      `upper bound: ${trainCount} x ${trainType} on-demand (${of}) ` +
      `for the full --max-runtime ${maxRuntime}s, plus 1 transform job on ${tfCount} x ${tfType} assumed ` +
      `${ASSUMED_TRANSFORM_SECONDS}s` +
      (spot ? '; spot is usually cheaper than this' : '');
  }
  const summary = {
    source: prices.source,
    region,
    ...(prices.date ? { date: prices.date } : {}),
    ...(prices.reason ? { reason: prices.reason } : {}),
    text,
  };
  return { usd, trainingUsd, transformUsd, basis, priceTableDate: prices.date ?? PRICE_TABLE_DATE, prices: summary };
}

/** The plan as aligned text for `--dry-run`. */
export function renderPlanText(plan: RunPlan): string {
  const hp = Object.entries(plan.hyperparameters)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const t = plan.training;
  const lines = [
    `plan v${plan.planVersion} for run ${plan.runId} (${plan.region})`,
    `  image            ${plan.image}`,
    `  role             ${plan.roleArn}`,
    `  training job     ${plan.names.trainingJob}  ${t.instanceCount} x ${t.instanceType}` +
      `  max ${t.maxRuntimeSeconds}s` +
      (t.spot ? `  spot (max wait ${t.maxWaitSeconds}s, checkpoints ${plan.s3.checkpoints})` : ''),
    `  hyperparameters  ${hp}`,
    ...plan.channels.map(
      (c) =>
        `  ${('channel ' + (c.name === 'validation' ? 'val' : c.name)).padEnd(17)}${c.s3Uri}  ` +
        `${c.contentType} ${c.distribution}`,
    ),
    `  model            ${plan.names.model}  artifacts under ${plan.s3.modelOutput}`,
    `  transform job    ${plan.names.transform}  ${plan.transform.instanceCount} x ${plan.transform.instanceType}: ` +
      `${plan.s3.testShards.length} test shard(s)` +
      `${plan.s3.validationFeatures ? ` + ${plan.s3.validationFeatures}` : ''} ` +
      `in ${plan.s3.transformInput} -> ${plan.s3.transformOutput}`,
  ];
  for (const n of plan.notes) lines.push(`  checked          ${n}`);
  lines.push(
    `  estimated cost   ` +
      `${plan.costEstimate.usd === undefined ? 'unknown' : `<= $${plan.costEstimate.usd.toFixed(2)}`}  ` +
      `(${plan.costEstimate.basis})`,
  );
  if (plan.costEstimate.prices && plan.costEstimate.prices.source !== 'none')
    lines.push(`  ${plan.costEstimate.prices.text}`);
  return lines.join('\n');
}
