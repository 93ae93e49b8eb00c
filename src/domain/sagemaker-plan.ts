/**
 * The managed run, decided before anything is created: names, S3 layout, image, hyperparameters,
 * channels, limits and an estimated cost. `--dry-run` prints exactly this object, and the apply
 * path builds every request from it, so what the user approved is what gets created.
 */
import { UserInputError } from '../errors/index.js';
import { linearLearnerImage } from './linear-learner-images.js';
import { estimateCost, PRICE_TABLE_DATE, PRICE_TABLE_REGION } from './instance-prices.js';
import { PIXELS } from './dataset.js';

export const PLAN_VERSION = 1 as const;

/** Transform jobs are not bounded by a max runtime, so the estimate assumes this many seconds each. */
export const ASSUMED_TRANSFORM_SECONDS = 600;

export interface PlanInput {
  runId: string;
  region: string;
  bucket: string;
  /** Key prefix under the bucket (no leading/trailing slash needed). */
  prefix?: string;
  roleArn: string;
  instanceType: string;
  instanceCount: number;
  spot: boolean;
  maxRuntimeSeconds: number;
  /** Spot only: how long to wait for capacity + run; defaults to 2 x max runtime. */
  maxWaitSeconds?: number;
  numClasses: number;
  /** User hyperparameters (epochs, mini_batch_size, ...); stringified into the plan. */
  hyperparameters?: Record<string, string | number | boolean | undefined>;
  /** Whether a validation channel (and a validation transform) exists. */
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
  names: { trainingJob: string; model: string; transformTest: string; transformValidation?: string };
  s3: {
    bucket: string;
    /** s3://B/P/<runId>/ : everything the run writes lives under it (cleanup deletes it). */
    root: string;
    trainChannel: string;
    validationChannel?: string;
    /** Headerless test features, written as `testShards` files for ShardedByS3Key. */
    testInput: string;
    testShards: string[];
    validationInput?: string;
    modelOutput: string;
    transformTestOutput: string;
    transformValidationOutput?: string;
  };
  hyperparameters: Record<string, string>;
  channels: { name: string; s3Uri: string; contentType: 'text/csv'; distribution: 'FullyReplicated' | 'ShardedByS3Key' }[];
  training: {
    instanceType: string;
    instanceCount: number;
    volumeSizeInGB: number;
    maxRuntimeSeconds: number;
    spot: boolean;
    maxWaitSeconds?: number;
  };
  transform: { instanceType: string; instanceCount: number; maxPayloadInMB: number };
  costEstimate: {
    usd?: number;
    trainingUsd?: number;
    transformUsd?: number;
    basis: string;
    priceTableDate: string;
  };
}

const NAME_RE = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** FNV-1a, base36: a short stable tag that keeps truncated names unique. */
function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(36).padStart(7, '0');
}

/**
 * `digitflow-<stage>-<runId>[-suffix]`, valid for SageMaker (1-63 chars of [a-zA-Z0-9-], starting
 * and ending alphanumeric). Too-long ids are cut and tagged with a hash of the full name, so two
 * different runs can never end up with the same job name.
 */
export function resourceName(stage: string, runId: string, suffix?: string): string {
  const clean = (s: string) => s.replace(/[^a-zA-Z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  const full = ['digitflow', clean(stage), clean(runId), suffix ? clean(suffix) : ''].filter(Boolean).join('-');
  if (full.length <= 63 && NAME_RE.test(full)) return full;
  const tag = shortHash(full);
  const head = full.slice(0, 63 - tag.length - 1).replace(/-+$/, '');
  return `${head}-${tag}`;
}

/** True for a valid SageMaker job/model name. */
export function isValidResourceName(name: string): boolean {
  return NAME_RE.test(name);
}

const ROLE_RE = /^arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-f)?:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/;

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

function assertInstanceType(t: string): void {
  if (!/^ml\.[a-z0-9-]+\.[a-z0-9]+$/.test(t)) {
    throw new UserInputError('INSTANCE_TYPE_INVALID', `--instance-type '${t}' is not a SageMaker instance type`, {
      hint: 'SageMaker types start with ml., e.g. ml.m5.large',
    });
  }
}

/** Shard file name i of n (zero padded so lexical order = ImageId order). */
export function shardName(i: number): string {
  return `test-part-${String(i).padStart(5, '0')}.csv`;
}

/** Builds the plan. Pure: same input, same plan. Throws UserInputError on a bad flag. */
export function buildRunPlan(input: PlanInput): RunPlan {
  assertBucketName(input.bucket);
  assertRoleArn(input.roleArn);
  assertInstanceType(input.instanceType);
  if (input.numClasses < 3) {
    throw new UserInputError('NUM_CLASSES', `multiclass Linear Learner needs at least 3 classes, got ${input.numClasses}`);
  }
  const image = linearLearnerImage(input.region);
  const prefix = (input.prefix ?? 'digitflow').replace(/^\/+|\/+$/g, '');
  const root = `s3://${input.bucket}/${prefix ? prefix + '/' : ''}${input.runId}/`;
  const attempt = input.transformAttempt ?? 1;
  const suffix = attempt > 1 ? String(attempt) : undefined;
  const names = {
    trainingJob: resourceName('train', input.runId),
    model: resourceName('model', input.runId),
    transformTest: resourceName('tf-test', input.runId, suffix),
    transformValidation: input.validation ? resourceName('tf-val', input.runId, suffix) : undefined,
  };
  const count = input.instanceCount;
  const testShards = Array.from({ length: count }, (_, i) => shardName(i));
  const s3: RunPlan['s3'] = {
    bucket: input.bucket,
    root,
    trainChannel: `${root}data/train/`,
    validationChannel: input.validation ? `${root}data/validation/` : undefined,
    testInput: `${root}data/transform-input/test/`,
    testShards,
    validationInput: input.validation ? `${root}data/transform-input/validation/` : undefined,
    modelOutput: `${root}model/`,
    transformTestOutput: `${root}transform/${names.transformTest}/`,
    transformValidationOutput: names.transformValidation ? `${root}transform/${names.transformValidation}/` : undefined,
  };

  const hyperparameters: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.hyperparameters ?? {})) if (v !== undefined) hyperparameters[k] = String(v);
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
  if (s3.validationChannel) channels.push({ name: 'validation', s3Uri: s3.validationChannel, contentType: 'text/csv', distribution: 'FullyReplicated' });

  const maxWaitSeconds = input.spot ? Math.max(input.maxWaitSeconds ?? input.maxRuntimeSeconds * 2, input.maxRuntimeSeconds) : undefined;
  const trainingUsd = estimateCost(input.instanceType, count, input.maxRuntimeSeconds);
  const transformJobs = input.validation ? 2 : 1;
  const transformUsd =
    estimateCost(input.instanceType, count, ASSUMED_TRANSFORM_SECONDS) === undefined
      ? undefined
      : (estimateCost(input.instanceType, count, ASSUMED_TRANSFORM_SECONDS) as number) +
        (transformJobs > 1 ? (estimateCost(input.instanceType, 1, ASSUMED_TRANSFORM_SECONDS) as number) : 0);
  const usd = trainingUsd === undefined || transformUsd === undefined ? undefined : Math.round((trainingUsd + transformUsd) * 100) / 100;
  const basis =
    usd === undefined
      ? `no price for ${input.instanceType} in the ${PRICE_TABLE_DATE} table: cost unknown`
      : `upper bound: ${count} x ${input.instanceType} on-demand (${PRICE_TABLE_REGION} prices of ${PRICE_TABLE_DATE}, an estimate) ` +
        `for the full --max-runtime ${input.maxRuntimeSeconds}s, plus ${transformJobs} transform job(s) assumed ${ASSUMED_TRANSFORM_SECONDS}s each` +
        (input.spot ? '; spot is usually cheaper than this' : '');

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
    },
    transform: { instanceType: input.instanceType, instanceCount: count, maxPayloadInMB: 6 },
    costEstimate: { usd, trainingUsd, transformUsd, basis, priceTableDate: PRICE_TABLE_DATE },
  };
}

/** The plan as aligned text for `--dry-run`. */
export function renderPlanText(plan: RunPlan): string {
  const hp = Object.entries(plan.hyperparameters).map(([k, v]) => `${k}=${v}`).join(' ');
  const lines = [
    `plan v${plan.planVersion} for run ${plan.runId} (${plan.region})`,
    `  image            ${plan.image}`,
    `  role             ${plan.roleArn}`,
    `  training job     ${plan.names.trainingJob}  ${plan.training.instanceCount} x ${plan.training.instanceType}` +
      `  max ${plan.training.maxRuntimeSeconds}s${plan.training.spot ? `  spot (max wait ${plan.training.maxWaitSeconds}s)` : ''}`,
    `  hyperparameters  ${hp}`,
    ...plan.channels.map((c) => `  ${('channel ' + (c.name === 'validation' ? 'val' : c.name)).padEnd(17)}${c.s3Uri}  ${c.contentType} ${c.distribution}`),
    `  model            ${plan.names.model}  artifacts under ${plan.s3.modelOutput}`,
    `  transform test   ${plan.names.transformTest}  ${plan.s3.testShards.length} shard(s) in ${plan.s3.testInput} -> ${plan.s3.transformTestOutput}`,
  ];
  if (plan.names.transformValidation) {
    lines.push(`  transform val    ${plan.names.transformValidation}  ${plan.s3.validationInput} -> ${plan.s3.transformValidationOutput}`);
  }
  lines.push(
    `  estimated cost   ${plan.costEstimate.usd === undefined ? 'unknown' : `<= $${plan.costEstimate.usd.toFixed(2)}`}  (${plan.costEstimate.basis})`,
  );
  return lines.join('\n');
}
