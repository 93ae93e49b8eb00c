/**
 * The run manifest (`runs/<run-id>/manifest.json`): what went in (with hashes), every seed,
 * versions, timings, the held-out rows, and every cloud resource created. `compare`, `report`
 * and `cleanup` read it; nothing about a run should have to be remembered by the user.
 */
import type { PlanInput, RunPlan } from './sagemaker-plan.js';
import type { TuningPlan } from './linear-learner-tuning.js';
import type { PriceSource, PriceSourceKind } from './instance-prices.js';
import type { KaggleManifestSection } from './kaggle-submission.js';
import type { TrialParams } from './tune-space.js';
import type { BlendMember, BlendMethod } from './blend.js';

export const MANIFEST_VERSION = 1 as const;

export interface InputFileRecord {
  /** What the file is to this run: train, test, labels, validation, probabilities... */
  role: string;
  /** Path or s3:// URI as given. */
  path: string;
  sha256?: string;
  bytes?: number;
  rows?: number;
}

export interface SplitRecord {
  seed: number;
  validationFraction: number;
  /** 0-based data-row indices (header excluded) of the held-out validation rows in the train file. */
  validationRows: number[];
  trainRows: number;
}

export type CloudResourceKind = 's3-prefix' | 's3-object' | 'training-job' | 'model' | 'transform-job' | 'tuning-job';

export interface CloudResource {
  kind: CloudResourceKind;
  /** Job/model name, or s3:// URI. */
  id: string;
  region?: string;
  /** SageMaker job records cannot be deleted by anyone; cleanup lists them instead. */
  deletable: boolean;
  createdAt: string;
}

export interface RunManifest {
  manifestVersion: typeof MANIFEST_VERSION;
  runId: string;
  /** The command that created the run, e.g. "run", "train". */
  command: string;
  createdAt: string;
  updatedAt: string;
  engine: 'local' | 'sagemaker';
  model?: string;
  seed: number;
  inputs: InputFileRecord[];
  split?: SplitRecord;
  hyperparameters?: Record<string, string | number | boolean>;
  /** tfjs backend actually used (local engine). */
  backend?: string;
  instanceType?: string;
  instanceCount?: number;
  versions: Record<string, string>;
  gitSha?: string;
  /** Seconds per phase: prepare, train, predict, transform... */
  timings: Record<string, number>;
  resources: CloudResource[];
  costEstimate?: {
    usd: number;
    basis: string;
    priceTableDate?: string;
    /** Which prices the figure used: the AWS Price List API, the shipped table, and why. */
    priceSource?: { source: PriceSourceKind; region: string; date?: string; reason?: string };
  };
  billableSeconds?: number;
  /** Output name -> path relative to the run directory (probabilities, submission, metrics...). */
  outputs: Record<string, string>;
  /** Headline metrics, copied from metrics.json for quick listing. */
  summary?: Record<string, number>;
  /** Managed engine: the plan and what the cloud reported (typed; older manifests had it under extra.sagemaker). */
  sagemaker?: SageMakerRecord;
  /** `upload`: where the Linear Learner channels are in S3. */
  s3?: S3UploadRecord;
  /** What `cleanup` deleted, and when. */
  cleanup?: CleanupLogEntry[];
  /** Local engine: per-epoch history, the epoch kept, how training ended (older manifests: extra.local). */
  local?: LocalTrainingRecord;
  /** A `tune` trial: which search and trial wrote this run (older manifests: extra.tune). */
  tune?: TuneTrialRecord;
  /** A `blend` run: its method, weights and members (older manifests: extra.blend). */
  blend?: BlendRecord;
  /** Kaggle submissions of this run's files and their public scores (`submit`, `submissions`). */
  kaggle?: KaggleManifestSection;
  /** The machine the run's local work ran on, and the peak memory of the process that wrote it last. */
  host?: HostRecord;
}

/** The managed run's typed record. */
export interface SageMakerRecord {
  /** What the plan was built from: `predict`/`attach` rebuild the same plan from it. */
  planInput?: PlanInput;
  plan?: RunPlan;
  modelDataUrl?: string;
  /** Held-out rows scored in the transform (validation-features.csv). */
  validationRows?: number;
  /** Rows of each test shard, in ImageId order. */
  shardRows?: number[];
  /** DescribeTrainingJob.FinalMetricDataList, e.g. `validation:multiclass_accuracy`. */
  finalMetrics?: Record<string, number>;
  /** Billed instance-seconds per job, with the instance type they ran on (for the cost). */
  billed?: { job: string; instanceType: string; seconds: number }[];
  /** Resources found on a retried Create and adopted because they carry this run's tag. */
  adopted?: string[];
  /** `tune --engine sagemaker`: the tuning job, its plan and every trial (the best one was deployed). */
  tuning?: TuningRecord;
  /** The prices the run's estimates use (resolved once per command; `attach` reuses them). */
  prices?: PriceSource;
}

/** One epoch as recorded (older manifests may lack the losses or the seconds). */
export interface RecordedEpoch {
  epoch: number;
  loss?: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Training seconds of this epoch (validation scoring excluded). */
  seconds?: number;
}

/** The local engine's training record. */
export interface LocalTrainingRecord {
  epochs: RecordedEpoch[];
  /** The epoch whose weights were kept (best validation loss), when there was a hold-out. */
  bestEpoch?: number;
  stoppedEarly?: boolean;
  interrupted?: boolean;
  examplesPerSecond?: number;
  /** `train --full`: the run whose settings were repeated and the fixed epoch count. */
  fullRetrain?: { settingsFrom?: string; epochs: number };
}

export interface TuneTrialRecord {
  tuneId: string;
  trial: number;
  /** 0 for random search; the rung for successive halving. */
  rung: number;
  params: TrialParams;
}

export interface BlendRecord {
  method: BlendMethod;
  weights: number[];
  weightsFrom: 'given' | 'equal' | 'auto';
  /** `--weights auto`: the fit on the held-out rows. */
  fit?: { on: 'validation'; rows: number; accuracy: number; logLoss: number; tried: number; gridStep: number };
  members: BlendMember[];
}

/** A Linear Learner hyperparameter tuning job and its trials, as last described. */
export interface TuningRecord {
  name: string;
  plan: TuningPlan;
  status?: string;
  trials?: TuningTrial[];
  bestTrainingJob?: string;
}

export interface TuningTrial {
  trainingJob: string;
  status: string;
  tuned: Record<string, string>;
  /** validation:multiclass_accuracy, when the trial reported it. */
  objective?: number;
  failureReason?: string;
  billableSeconds?: number;
}

export interface S3UploadRecord {
  bucket: string;
  /** s3://bucket/prefix/<run-id>/ */
  prefix: string;
  train?: string;
  validation?: string;
  /** Transform input prefix (test shards, validation-features.csv). */
  test?: string;
  testKeys?: string[];
}

export interface CleanupLogEntry {
  at: string;
  deleted: { kind: string; id: string; objects?: number; alreadyGone?: boolean }[];
}

export interface HostRecord {
  platform: string;
  arch: string;
  cpus: number;
  cpuModel?: string;
  memoryBytes: number;
  /** Peak resident set size of the digitflow process, as of the last manifest write. */
  peakRssBytes: number;
}

export function newManifest(fields: {
  runId: string;
  command: string;
  engine: RunManifest['engine'];
  seed: number;
  now: Date;
  versions: Record<string, string>;
  model?: string;
}): RunManifest {
  const iso = fields.now.toISOString();
  return {
    manifestVersion: MANIFEST_VERSION,
    runId: fields.runId,
    command: fields.command,
    createdAt: iso,
    updatedAt: iso,
    engine: fields.engine,
    model: fields.model,
    seed: fields.seed,
    inputs: [],
    versions: fields.versions,
    timings: {},
    resources: [],
    outputs: {},
  };
}

/**
 * The one tolerant reader of older manifests (called by `readManifest`): sections earlier versions
 * kept under `extra` (`sagemaker`, `local`, `fullRetrain`, `tune`, `blend`) move to their typed
 * fields, and recorded epochs without an epoch number are dropped. Other `extra` keys stay as they were.
 */
export function upgradeManifest(m: RunManifest): RunManifest {
  const legacy = m as RunManifest & { extra?: Record<string, unknown> };
  const extra = legacy.extra;
  if (extra && typeof extra === 'object') {
    const take = <T>(key: string): T | undefined => {
      const v = extra[key];
      delete extra[key];
      return v && typeof v === 'object' ? (v as T) : undefined;
    };
    const sagemaker = take<SageMakerRecord>('sagemaker');
    const local = take<LocalTrainingRecord>('local');
    const fullRetrain = take<LocalTrainingRecord['fullRetrain']>('fullRetrain');
    const tune = take<TuneTrialRecord>('tune');
    const blend = take<BlendRecord>('blend');
    m.sagemaker ??= sagemaker;
    m.local ??= local && { ...local, ...(fullRetrain ? { fullRetrain } : {}) };
    m.tune ??= tune;
    m.blend ??= blend;
    if (Object.keys(extra).length === 0) delete legacy.extra;
  }
  if (m.local) {
    const epochs: unknown = m.local.epochs;
    m.local.epochs = Array.isArray(epochs)
      ? epochs.filter((e): e is RecordedEpoch => typeof (e as RecordedEpoch | null)?.epoch === 'number')
      : [];
  }
  for (const key of ['sagemaker', 'local', 'tune', 'blend'] as const) if (m[key] === undefined) delete m[key];
  return m;
}
