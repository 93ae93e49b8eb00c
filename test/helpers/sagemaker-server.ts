/**
 * A loopback SageMaker-protocol server for tests: awsJson1.1 over `POST /` with
 * `X-Amz-Target: SageMaker.<Operation>`, answering the real SDK's requests. It validates the
 * required fields of the API (aws-facts §3.1), and "runs" jobs asynchronously: training reads
 * the CSV channels from the S3 test server, fits the LOCAL tfjs linear engine (not AWS's
 * algorithm: this proves the plumbing, not the model), writes `model.tar.gz`; batch transform
 * writes `<input>.out` in Linear Learner's JSON Lines format. It also answers the two CloudWatch
 * Logs calls of `--logs` with what the "container" logged. Tests can make the next job fail or
 * stop. Only listens on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip, gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/adapters/s3/client.js';
import { readKaggleCsvFile } from '../../src/adapters/kaggle-csv-file.js';
import { concatDatasets, type Dataset } from '../../src/domain/dataset.js';
import { fitLocalModel, LocalModel } from '../../src/stages/local/train.js';
import { selectBackend } from '../../src/adapters/tfjs/runtime/backend.js';
import { systemClock } from '../../src/runtime/deps.js';
import { LINEAR_LEARNER_ACCOUNTS } from '../../src/domain/linear-learner-images.js';
import { SageMakerClient, TrainingInstanceType, TransformInstanceType } from '@aws-sdk/client-sagemaker';

/** The service's own instance-type lists (the SDK enums), per job kind. */
const TRAINING_TYPES = new Set<string>(Object.values(TrainingInstanceType));
const TRANSFORM_TYPES = new Set<string>(Object.values(TransformInstanceType));
/** Tag key/value pattern of the API. */
const TAG_RE = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface SageMakerServerOptions {
  s3: { endpoint: string; accessKeyId: string; secretAccessKey: string };
  /** Milliseconds between simulated status transitions (default 150). */
  stepMs?: number;
}

interface Job {
  kind: 'training' | 'transform';
  name: string;
  request: Json;
  status: string;
  secondary: string;
  transitions: { SecondaryStatus: string; StartTime: number; StatusMessage: string }[];
  failureReason?: string;
  created: number;
  start?: number;
  end?: number;
  artifact?: string;
  stopRequested?: boolean;
  /** FinalMetricDataList once training completed. */
  metrics?: { MetricName: string; Value: number }[];
  /** CloudWatch stream name -> lines, as the container would have logged them. */
  logs: Map<string, { timestamp: number; message: string }[]>;
}

/** A hyperparameter tuning job: its request, its trials (training jobs in `jobs`), its status. */
interface TuningJob {
  name: string;
  request: Json;
  status: 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
  trials: string[];
  created: number;
  end?: number;
  stopRequested?: boolean;
  failureReason?: string;
}

export interface SageMakerTestServer {
  endpoint: string;
  tuningJobs: Map<string, TuningJob>;
  /** Every request received: operation and parsed body (for assertions). */
  requests: { op: string; body: Json }[];
  jobs: Map<string, Job>;
  models: Map<string, Json>;
  /** The next job of this kind fails with `reason` once it is running. */
  failNext(kind: 'training' | 'transform', reason: string): void;
  /** The next job of this kind ends as Stopped (as if someone called Stop*Job). */
  stopNext(kind: 'training' | 'transform'): void;
  /**
   * The next Create of this kind succeeds but answers 500 (a lost response): the SDK's retry then meets ResourceInUse.
   */
  loseNextCreateResponse(kind: 'training' | 'transform' | 'model'): void;
  /** The next training job ends Stopped with SecondaryStatus MaxRuntimeExceeded (its stopping condition). */
  exceedRuntimeNext(): void;
  /** Jobs of this kind stay InProgress until `resume` (for Ctrl-C/detach tests). */
  pause(kind: 'training' | 'transform'): void;
  resume(kind: 'training' | 'transform'): void;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const NAME_RE = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/**
 * Linear Learner's own check of its hyperparameters when the container starts (a failed job, not a
 * refused request). Transcribed separately from the guide page "Linear learner hyperparameters"
 * (not imported from src/, so a wrong table there is caught here): every documented name, and the
 * value kinds of the ones digitflow can send. SageMaker adds `_tuning_objective_metric` to a
 * tuning job's trials. Values are strings, at most 100 keys.
 */
const LL_NAMES = new Set(
  (
    'accuracy_top_k balance_multiclass_weights beta_1 beta_2 bias_lr_mult bias_wd_mult ' +
    'binary_classifier_model_selection_criteria early_stopping_patience early_stopping_tolerance epochs f_beta ' +
    'feature_dim huber_delta init_bias init_method init_scale init_sigma l1 learning_rate loss loss_insensitivity ' +
    'lr_scheduler_factor lr_scheduler_minimum_lr lr_scheduler_step margin mini_batch_size momentum normalize_data ' +
    'normalize_label num_calibration_samples num_classes num_models num_point_for_scaler optimizer ' +
    'positive_example_weight_mult predictor_type quantile target_precision target_recall unbias_data unbias_label ' +
    'use_bias use_lr_scheduler wd _tuning_objective_metric'
  ).split(' '),
);
const LL_VALUES: Record<string, (v: string) => boolean> = {
  num_classes: (v) => /^\d+$/.test(v) && +v >= 3 && +v <= 1_000_000,
  epochs: (v) => /^\d+$/.test(v) && +v >= 1,
  mini_batch_size: (v) => /^\d+$/.test(v) && +v >= 1,
  early_stopping_patience: (v) => /^\d+$/.test(v) && +v >= 1,
  learning_rate: (v) => v === 'auto' || (Number.isFinite(+v) && +v > 0),
  wd: (v) => v === 'auto' || (Number.isFinite(+v) && +v >= 0),
  l1: (v) => v === 'auto' || (Number.isFinite(+v) && +v >= 0),
  beta_1: (v) => v === 'auto' || (Number.isFinite(+v) && +v >= 0 && +v <= 1),
  beta_2: (v) => v === 'auto' || (Number.isFinite(+v) && +v >= 0 && +v <= 1),
  optimizer: (v) => ['auto', 'sgd', 'adam', 'rmsprop'].includes(v),
  loss: (v) =>
    [
      'auto',
      'logistic',
      'squared_loss',
      'absolute_loss',
      'hinge_loss',
      'eps_insensitive_squared_loss',
      'eps_insensitive_absolute_loss',
      'quantile_loss',
      'huber_loss',
      'softmax_loss',
    ].includes(v),
  normalize_data: (v) => ['auto', 'true', 'false'].includes(v),
  use_bias: (v) => ['true', 'false'].includes(v),
  balance_multiclass_weights: (v) => ['true', 'false'].includes(v),
  num_models: (v) => v === 'auto' || (/^\d+$/.test(v) && +v >= 1),
};
function checkLinearLearnerHyperparameters(hp: Record<string, string>): void {
  const names = Object.keys(hp);
  if (names.length > 100) throw new Error('ClientError: at most 100 hyperparameters');
  for (const n of names) {
    if (!LL_NAMES.has(n))
      throw new Error(
        `ClientError: Additional hyperparameters are not allowed (u'${n}' was unexpected) (caused by ValidationError)`,
      );
    const ok = LL_VALUES[n];
    if (ok && !ok(String(hp[n])))
      throw new Error(
        `ClientError: u'${hp[n]}' is not valid under any of the given schemas for hyperparameter '${n}' ` +
          `(caused by ValidationError)`,
      );
  }
  if (!hp.predictor_type)
    throw new Error(`ClientError: Missing required hyperparameter: predictor_type (caused by ValidationError)`);
  if (hp.predictor_type === 'multiclass_classifier' && !hp.num_classes)
    throw new Error('ClientError: num_classes is required for multiclass_classifier (caused by ValidationError)');
}

/** "Value null at 'X' failed to satisfy constraint": the wording AWS's validator uses. */
function requireFields(body: Json, paths: string[]): void {
  const missing = paths.filter(
    (p) => p.split('.').reduce<unknown>((o, k) => (o as Json | undefined)?.[k], body) === undefined,
  );
  if (missing.length) {
    throw new ApiError(
      'ValidationException',
      `${missing.length} validation error(s) detected: ` +
        missing.map((m) => `Value null at '${m}' failed to satisfy constraint: Member must not be null`).join('; '),
    );
  }
}

function checkName(name: string, field: string): void {
  if (!NAME_RE.test(name))
    throw new ApiError(
      'ValidationException',
      `Value '${name}' at '${field}' failed to satisfy constraint: ` +
        `Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`,
    );
}

/** Instance type of a job kind, as the service's enum validation answers it. */
function checkInstance(type: string, allowed: Set<string>, field: string): void {
  if (!allowed.has(type)) {
    throw new ApiError(
      'ValidationException',
      `1 validation error detected: Value '${type}' at '${field}' failed to satisfy constraint: ` +
        `Member must satisfy enum value set: [${[...allowed].slice(0, 8).join(', ')}, ...]`,
    );
  }
}

function checkTags(list: { Key?: string; Value?: string }[] | undefined): void {
  for (const [i, t] of (list ?? []).entries()) {
    if (!t.Key || t.Key.length > 128 || !TAG_RE.test(t.Key))
      throw new ApiError(
        'ValidationException',
        `Value '${t.Key}' at 'tags.${i + 1}.member.key' failed to satisfy constraint: ` +
          `Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$`,
      );
    if ((t.Value ?? '').length > 256 || !TAG_RE.test(t.Value ?? ''))
      throw new ApiError(
        'ValidationException',
        `Value '${t.Value}' at 'tags.${i + 1}.member.value' failed to satisfy constraint: ` +
          `Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$`,
      );
  }
}

function parseS3(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`not an s3 uri: ${uri}`);
  return { bucket: m[1], key: m[2] };
}

const epoch = (ms?: number) => (ms === undefined ? undefined : ms / 1000);

/** Starts the server on 127.0.0.1 with a free port. */
export async function startSageMakerServer(opts: SageMakerServerOptions): Promise<SageMakerTestServer> {
  const s3: S3Client = createS3Client({
    endpoint: opts.s3.endpoint,
    credentials: { accessKeyId: opts.s3.accessKeyId, secretAccessKey: opts.s3.secretAccessKey },
  });
  const stepMs = opts.stepMs ?? 150;
  const jobs = new Map<string, Job>();
  const models = new Map<string, Json>();
  const tuningJobs = new Map<string, TuningJob>();
  const requests: { op: string; body: Json }[] = [];
  type Scripted = { fail: string } | { stop: true; secondary?: string; message?: string };
  const pending = { training: [] as Scripted[], transform: [] as Scripted[] };
  const loseResponse = { training: 0, transform: 0, model: 0 };
  const tags = new Map<string, { Key: string; Value: string }[]>();
  const arnOf = (kind: 'training-job' | 'transform-job' | 'model' | 'hyper-parameter-tuning-job', name: string) =>
    `arn:aws:sagemaker:us-east-1:000000000000:${kind}/${name.toLowerCase()}`;
  const timers = new Set<NodeJS.Timeout>();
  const paused = { training: false, transform: false };
  const whilePaused = async (kind: Job['kind']) => {
    while (paused[kind]) await sleep(25);
  };
  const work = new Set<Promise<unknown>>();
  await selectBackend('cpu');

  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(() => {
        timers.delete(t);
        r();
      }, ms);
      timers.add(t);
    });
  const move = (job: Job, secondary: string, message = secondary) => {
    job.secondary = secondary;
    job.transitions.push({ SecondaryStatus: secondary, StartTime: Date.now() / 1000, StatusMessage: message });
  };
  const finish = (job: Job, status: 'Completed' | 'Failed' | 'Stopped', reason?: string) => {
    job.status = status;
    job.end = Date.now();
    if (reason) job.failureReason = reason;
    move(job, status);
  };

  /** Appends a container log line (training: `<job>/algo-1-<epoch>`, transform: `<job>/i-0fake-<epoch>`). */
  const log = (job: Job, message: string) => {
    const stream = `${job.name}/${job.kind === 'training' ? 'algo-1' : 'i-0fake'}-${Math.floor(job.created / 1000)}`;
    if (!job.logs.has(stream)) job.logs.set(stream, []);
    job.logs.get(stream)!.push({ timestamp: Date.now(), message });
  };

  async function listKeys(prefixUri: string): Promise<string[]> {
    const { bucket, key } = parseS3(prefixUri);
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
    return (out.Contents ?? [])
      .map((o) => o.Key!)
      .filter((k) => !k.endsWith('/'))
      .sort();
  }
  async function getBytes(bucket: string, key: string): Promise<Buffer> {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  }
  /** Reads every CSV object under a channel prefix, as Linear Learner would (no header). */
  async function readChannel(
    prefixUri: string,
    labelled: boolean,
    dir: string,
  ): Promise<{ key: string; ds: Dataset }[]> {
    const { bucket } = parseS3(prefixUri);
    const parts: { key: string; ds: Dataset }[] = [];
    for (const key of await listKeys(prefixUri)) {
      const bytes = await getBytes(bucket, key);
      if (/^[a-zA-Z]/.test(bytes.subarray(0, 16).toString()))
        throw new Error(
          `ClientError: Unable to parse csv: rows 1-1, file /opt/ml/input/data/${key}: header line found`,
        );
      const path = join(dir, `${parts.length}.csv`);
      await writeFile(path, bytes);
      const { dataset } = await readKaggleCsvFile(path, {
        header: 'none',
        layout: labelled ? 'train' : 'test',
        numClasses: 10,
      }).catch((e: Error) => {
        throw new Error(`ClientError: Unable to parse csv: ${e.message}`);
      });
      parts.push({ key, ds: dataset });
    }
    if (parts.length === 0) throw new Error(`ClientError: No data found in channel ${prefixUri}`);
    return parts;
  }

  /** Consumes a queued failNext/stopNext for this kind: true when the job ended. */
  function scripted(job: Job): boolean {
    const next = job.stopRequested ? { stop: true as const } : pending[job.kind].shift();
    if (!next) return false;
    if ('fail' in next) {
      log(job, next.fail);
      finish(job, 'Failed', next.fail);
    } else {
      job.status = 'Stopping';
      move(job, 'Stopping');
      if (next.secondary) {
        job.status = 'Stopped';
        job.end = Date.now();
        move(job, next.secondary, next.message ?? next.secondary);
      } else finish(job, 'Stopped');
    }
    return true;
  }

  async function runTraining(job: Job): Promise<void> {
    const r = job.request;
    job.start = Date.now();
    await sleep(stepMs);
    await whilePaused('training');
    move(job, 'Downloading', 'Downloading input data');
    await sleep(stepMs);
    if (scripted(job)) return;
    const dir = await mkdtemp(join(tmpdir(), 'fake-sm-train-'));
    try {
      const channels = r.InputDataConfig as Json[];
      for (const c of channels) {
        if (c.ContentType !== 'text/csv')
          throw new Error(`ClientError: No iterator has been registered for ContentType ('${c.ContentType}', '1.0')`);
      }
      const hp = r.HyperParameters ?? {};
      checkLinearLearnerHyperparameters(hp);
      if (hp.predictor_type !== 'multiclass_classifier' || hp.feature_dim !== '784')
        throw new Error(`ClientError: unsupported hyperparameters ${JSON.stringify(hp)}`);
      const train = channels.find((c) => c.ChannelName === 'train');
      if (!train) throw new Error('ClientError: missing train channel');
      const trainParts = await readChannel(train.DataSource.S3DataSource.S3Uri, true, dir);
      const trainDs = concatDatasets(trainParts.map((p) => p.ds));
      // Like Linear Learner: each host reads its objects (ShardedByS3Key: object i goes to host i mod N,
      // FullyReplicated: all), and a mini_batch_size larger than a host's records fails the job.
      const hosts = Number(r.ResourceConfig.InstanceCount);
      const sharded = train.DataSource.S3DataSource.S3DataDistributionType === 'ShardedByS3Key';
      const hostRows = Array.from({ length: hosts }, (_, h) =>
        sharded ? trainParts.filter((_, i) => i % hosts === h).reduce((n, p) => n + p.ds.rows, 0) : trainDs.rows,
      );
      const miniBatch = Number(hp.mini_batch_size ?? 1000);
      const smallest = Math.min(...hostRows);
      if (miniBatch > smallest) {
        throw new Error(
          `ClientError: mini_batch_size (${miniBatch}) is larger than the number of records (${smallest}) ` +
            `on host algo-${hostRows.indexOf(smallest) + 1}; reduce mini_batch_size`,
        );
      }
      for (const l of trainDs.labels!)
        if (l >= Number(hp.num_classes)) throw new Error(`ClientError: label ${l} >= num_classes`);
      const val = channels.find((c) => c.ChannelName === 'validation');
      const valDs = val
        ? concatDatasets((await readChannel(val.DataSource.S3DataSource.S3Uri, true, dir)).map((p) => p.ds))
        : undefined;
      move(job, 'Training', 'Training image download completed. Training in progress.');
      log(
        job,
        `[loopback] Linear Learner stand-in: ${trainDs.rows} train rows, ` +
          `${valDs?.rows ?? 0} validation rows, hyperparameters ${JSON.stringify(hp)}`,
      );
      const reporter = {
        emit: (e: { kind: string; epoch?: number; accuracy?: number; valAccuracy?: number }) => {
          if (e.kind === 'epoch')
            log(
              job,
              `#quality_metric: host=algo-1, epoch=${e.epoch}, train multiclass_accuracy <score>=${e.accuracy}` +
                (e.valAccuracy !== undefined ? `, validation multiclass_accuracy <score>=${e.valAccuracy}` : ''),
            );
        },
      };
      const model = await fitLocalModel(
        { ...trainDs, numClasses: Number(hp.num_classes) },
        valDs && { ...valDs, numClasses: Number(hp.num_classes) },
        // mini_batch_size is checked against each host's rows above; the stand-in fit keeps its own batch size
        // (digitflow now always sends Linear Learner's default explicitly, which must not change the stand-in model).
        {
          model: 'linear',
          epochs: hp.epochs ? Number(hp.epochs) : 3,
          seed: 1,
          backend: 'cpu',
          ...(r.TuningJobName ? trialFitSettings(hp) : {}),
        },
        { reporter: reporter as never, clock: systemClock },
      );
      if (scripted(job)) return;
      move(job, 'Uploading', 'Uploading generated training model');
      const last = model.training?.history.at(-1) as
        { valAccuracy?: number; valLoss?: number; accuracy?: number } | undefined;
      job.metrics = [
        ...(last?.accuracy !== undefined ? [{ MetricName: 'train:multiclass_accuracy', Value: last.accuracy }] : []),
        ...(last?.valAccuracy !== undefined
          ? [{ MetricName: 'validation:multiclass_accuracy', Value: last.valAccuracy }]
          : []),
        ...(last?.valLoss !== undefined ? [{ MetricName: 'validation:objective_loss', Value: last.valLoss }] : []),
      ];
      const modelDir = join(dir, 'model');
      await mkdir(modelDir);
      await model.save(modelDir);
      model.dispose();
      const out = `${String(r.OutputDataConfig.S3OutputPath).replace(/\/?$/, '/')}${job.name}/output/model.tar.gz`;
      const { bucket, key } = parseS3(out);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await tarGz(modelDir) }));
      job.artifact = out;
      finish(job, 'Completed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async function runTransform(job: Job): Promise<void> {
    const r = job.request;
    job.start = Date.now();
    await sleep(stepMs);
    await whilePaused('transform');
    if (scripted(job)) return;
    const model = models.get(r.ModelName);
    if (!model) throw new Error(`ClientError: model ${r.ModelName} does not exist`);
    if (r.TransformInput.ContentType !== 'text/csv') throw new Error('ClientError: unsupported content type');
    if (r.TransformInput.SplitType !== 'Line')
      throw new Error('ClientError: payload larger than MaxPayloadInMB (SplitType None sends the whole file)');
    if (r.TransformOutput.Accept !== 'application/jsonlines')
      throw new Error(`ClientError: Linear Learner cannot produce ${r.TransformOutput.Accept}`);
    const dir = await mkdtemp(join(tmpdir(), 'fake-sm-tf-'));
    try {
      const { bucket: mb, key: mk } = parseS3(model.PrimaryContainer.ModelDataUrl);
      const modelDir = join(dir, 'model');
      await untarGz(await getBytes(mb, mk), modelDir);
      const local = await LocalModel.load(modelDir);
      const inputUri: string = r.TransformInput.DataSource.S3DataSource.S3Uri;
      const { key: inPrefix } = parseS3(inputUri);
      const parts = await readChannel(inputUri, false, dir);
      if (scripted(job)) return;
      for (const part of parts) {
        const probs = await local.predictProbabilities(part.ds.pixels, part.ds.rows);
        const k = local.numClasses;
        let text = '';
        for (let i = 0; i < part.ds.rows; i++) {
          const score = Array.from(probs.subarray(i * k, (i + 1) * k));
          let best = 0;
          for (let c = 1; c < k; c++) if (score[c] > score[best]) best = c;
          // The documented JSONLINES shape; predicted_label comes back as a float like 3.0.
          text +=
            `{"score": [${score.join(', ')}], "predicted_label": ${best}.0}` +
            (r.TransformOutput.AssembleWith === 'Line' ? '\n' : '');
        }
        // Real output can end in an empty line; a reader must count records, not newlines.
        if (r.TransformOutput.AssembleWith === 'Line') text += '\n';
        const rel = part.key.slice(inPrefix.length).replace(/^\//, '');
        const { bucket, key } = parseS3(`${String(r.TransformOutput.S3OutputPath).replace(/\/?$/, '/')}${rel}.out`);
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text }));
      }
      local.dispose();
      finish(job, 'Completed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  function launch(job: Job, run: (j: Job) => Promise<void>): void {
    const p = run(job).catch((e: Error) => {
      log(job, e.message);
      if (job.status === 'InProgress' || job.status === 'Stopping')
        finish(
          job,
          'Failed',
          e.message.startsWith('ClientError') || e.message.startsWith('AlgorithmError')
            ? e.message
            : `AlgorithmError: ${e.message}`,
        );
    });
    work.add(p);
    void p.finally(() => work.delete(p));
  }

  function newJob(kind: Job['kind'], name: string, request: Json): Job {
    if (jobs.has(name))
      throw new ApiError(
        'ResourceInUse',
        `${kind === 'training' ? 'Training' : 'Transform'} job names must be unique within an AWS account ` +
          `and region, and a job with this name already exists (${name})`,
      );
    const job: Job = {
      kind,
      name,
      request,
      status: 'InProgress',
      secondary: 'Starting',
      transitions: [],
      created: Date.now(),
      logs: new Map(),
    };
    move(job, 'Starting', 'Starting the job');
    jobs.set(name, job);
    return job;
  }

  function getJob(name: string, kind: Job['kind']): Job {
    const j = jobs.get(name);
    if (!j || j.kind !== kind) throw new ApiError('ValidationException', `Requested resource not found.`);
    return j;
  }

  function getTuning(name: string): TuningJob {
    const t = tuningJobs.get(name);
    if (!t) throw new ApiError('ResourceNotFound', `Amazon SageMaker can't find a tuning job with name ${name}`);
    return t;
  }

  function trialSummary(j: Job): Json {
    const objective = j.request.ObjectiveMetricName as string;
    const metric = j.metrics?.find((m) => m.MetricName === objective);
    const done = j.end !== undefined;
    return {
      TrainingJobName: j.name,
      TrainingJobArn: arnOf('training-job', j.name),
      TuningJobName: j.request.TuningJobName,
      CreationTime: epoch(j.created),
      TrainingStartTime: epoch(j.start),
      TrainingEndTime: epoch(j.end),
      TrainingJobStatus: j.status,
      TunedHyperParameters: j.request.TunedHyperParameters,
      FailureReason: j.failureReason,
      FinalHyperParameterTuningJobObjectiveMetric: metric ? { MetricName: objective, Value: metric.Value } : undefined,
      ObjectiveStatus: metric ? 'Succeeded' : done ? 'Failed' : 'Pending',
    };
  }

  /**
   * Runs the trials: at most MaxParallelTrainingJobs at once, MaxNumberOfTrainingJobs in all, each
   * a training job of the same stand-in Linear Learner (so its objective is real for its settings).
   * Both strategies sample at random here (seeded by RandomSeed); the service's Bayesian search is
   * not modelled, only its interface.
   */
  async function runTuning(t: TuningJob): Promise<void> {
    const cfg = t.request.HyperParameterTuningJobConfig;
    const def = t.request.TrainingJobDefinition;
    const total = cfg.ResourceLimits.MaxNumberOfTrainingJobs ?? 1;
    const parallel = cfg.ResourceLimits.MaxParallelTrainingJobs;
    const rand = seeded(cfg.RandomSeed ?? 0);
    const running = new Set<string>();
    let launched = 0;
    while (true) {
      for (const n of [...running]) if (jobs.get(n)!.end !== undefined) running.delete(n);
      if (t.stopRequested) {
        if (running.size === 0) break;
      } else if (launched < total && running.size < parallel) {
        launched++;
        const tuned = sampleRanges(cfg.ParameterRanges ?? {}, rand);
        const name = `${t.name}-${String(launched).padStart(3, '0')}-${Math.floor(rand() * 0xffffffff)
          .toString(16)
          .padStart(8, '0')}`;
        const request = {
          TrainingJobName: name,
          TuningJobName: t.name,
          TunedHyperParameters: tuned,
          ObjectiveMetricName: cfg.HyperParameterTuningJobObjective?.MetricName,
          HyperParameters: { ...(def.StaticHyperParameters ?? {}), ...tuned },
          AlgorithmSpecification: def.AlgorithmSpecification,
          RoleArn: def.RoleArn,
          InputDataConfig: def.InputDataConfig,
          OutputDataConfig: def.OutputDataConfig,
          ResourceConfig: def.ResourceConfig,
          StoppingCondition: def.StoppingCondition,
        };
        const job = newJob('training', name, request);
        tags.set(arnOf('training-job', name), t.request.Tags ?? []);
        t.trials.push(name);
        running.add(name);
        launch(job, runTraining);
        continue;
      } else if (running.size === 0) break;
      await sleep(25);
    }
    t.end = Date.now();
    const anyCompleted = t.trials.some((n) => jobs.get(n)!.status === 'Completed');
    if (t.stopRequested) t.status = 'Stopped';
    else if (!anyCompleted) {
      t.status = 'Failed';
      t.failureReason = "All training jobs failed. Please check the training jobs' failure reasons.";
    } else t.status = 'Completed';
  }

  const ops: Record<string, (b: Json) => Json> = {
    CreateTrainingJob(b) {
      requireFields(b, [
        'TrainingJobName',
        'RoleArn',
        'OutputDataConfig.S3OutputPath',
        'AlgorithmSpecification.TrainingInputMode',
        'ResourceConfig.InstanceType',
        'ResourceConfig.InstanceCount',
        'StoppingCondition',
      ]);
      checkName(b.TrainingJobName, 'trainingJobName');
      if (!b.AlgorithmSpecification.TrainingImage && !b.AlgorithmSpecification.AlgorithmName)
        throw new ApiError('ValidationException', 'TrainingImage or AlgorithmName is required');
      for (const c of b.InputDataConfig ?? [])
        requireFields(c, ['ChannelName', 'DataSource.S3DataSource.S3DataType', 'DataSource.S3DataSource.S3Uri']);
      if (b.StoppingCondition.MaxWaitTimeInSeconds !== undefined && !b.EnableManagedSpotTraining)
        throw new ApiError('ValidationException', 'MaxWaitTimeInSeconds is only valid with EnableManagedSpotTraining');
      if (
        b.EnableManagedSpotTraining &&
        !(b.StoppingCondition.MaxWaitTimeInSeconds >= b.StoppingCondition.MaxRuntimeInSeconds)
      )
        throw new ApiError(
          'ValidationException',
          'MaxWaitTimeInSeconds must be >= MaxRuntimeInSeconds for spot training',
        );
      checkInstance(b.ResourceConfig.InstanceType, TRAINING_TYPES, 'resourceConfig.instanceType');
      checkTags(b.Tags);
      if (
        b.EnableManagedSpotTraining &&
        !b.CheckpointConfig?.S3Uri &&
        b.StoppingCondition.MaxWaitTimeInSeconds > 3600
      ) {
        throw new ApiError(
          'ValidationException',
          'MaxWaitTimeInSeconds above 3600 requires CheckpointConfig for a built-in algorithm that is not ' +
            'checkpointing (managed spot training)',
        );
      }
      const img = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/linear-learner:1$/.exec(
        b.AlgorithmSpecification.TrainingImage ?? '',
      );
      const job = newJob('training', b.TrainingJobName, b);
      tags.set(arnOf('training-job', b.TrainingJobName), b.Tags ?? []);
      if (!img || LINEAR_LEARNER_ACCOUNTS[img[2]] !== img[1]) {
        launch(job, async () => {
          await sleep(stepMs);
          throw new Error(`ClientError: Requested image ${b.AlgorithmSpecification.TrainingImage} not found`);
        });
      } else launch(job, runTraining);
      if (loseResponse.training > 0 && loseResponse.training--)
        throw new ApiError('InternalFailure', 'We encountered an internal error. Please try again.', 500);
      return { TrainingJobArn: arnOf('training-job', b.TrainingJobName) };
    },
    DescribeTrainingJob(b) {
      requireFields(b, ['TrainingJobName']);
      const j = getJob(b.TrainingJobName, 'training');
      const done = j.end !== undefined;
      const seconds = done && j.start ? Math.max(1, Math.round((j.end! - j.start) / 1000)) : undefined;
      return {
        TrainingJobName: j.name,
        TrainingJobArn: arnOf('training-job', j.name),
        TrainingJobStatus: j.status,
        SecondaryStatus: j.secondary,
        SecondaryStatusTransitions: j.transitions,
        FailureReason: j.failureReason,
        HyperParameters: j.request.HyperParameters,
        AlgorithmSpecification: j.request.AlgorithmSpecification,
        RoleArn: j.request.RoleArn,
        ResourceConfig: j.request.ResourceConfig,
        StoppingCondition: j.request.StoppingCondition,
        ModelArtifacts: j.artifact ? { S3ModelArtifacts: j.artifact } : undefined,
        CreationTime: epoch(j.created),
        TrainingStartTime: epoch(j.start),
        TrainingEndTime: epoch(j.end),
        TrainingTimeInSeconds: seconds,
        BillableTimeInSeconds: seconds,
        FinalMetricDataList: j.metrics,
      };
    },
    StopTrainingJob(b) {
      requireFields(b, ['TrainingJobName']);
      getJob(b.TrainingJobName, 'training').stopRequested = true;
      return {};
    },
    CreateModel(b) {
      requireFields(b, ['ModelName']);
      checkName(b.ModelName, 'modelName');
      if (!b.PrimaryContainer?.Image || !b.PrimaryContainer?.ModelDataUrl)
        throw new ApiError(
          'ValidationException',
          'PrimaryContainer.Image and ModelDataUrl are required for built-in algorithms',
        );
      if (!String(b.PrimaryContainer.ModelDataUrl).endsWith('.tar.gz'))
        throw new ApiError('ValidationException', 'ModelDataUrl must point to a .tar.gz');
      checkTags(b.Tags);
      if (models.has(b.ModelName))
        throw new ApiError(
          'ValidationException',
          `Cannot create already existing model "${arnOf('model', b.ModelName)}".`,
        );
      models.set(b.ModelName, b);
      tags.set(arnOf('model', b.ModelName), b.Tags ?? []);
      if (loseResponse.model > 0 && loseResponse.model--)
        throw new ApiError('InternalFailure', 'We encountered an internal error. Please try again.', 500);
      return { ModelArn: arnOf('model', b.ModelName) };
    },
    DescribeModel(b) {
      requireFields(b, ['ModelName']);
      const m = models.get(b.ModelName);
      if (!m) throw new ApiError('ValidationException', `Could not find model "${arnOf('model', b.ModelName)}".`);
      return {
        ModelName: b.ModelName,
        ModelArn: arnOf('model', b.ModelName),
        PrimaryContainer: m.PrimaryContainer,
        ExecutionRoleArn: m.ExecutionRoleArn,
      };
    },
    ListTags(b) {
      requireFields(b, ['ResourceArn']);
      return { Tags: tags.get(b.ResourceArn) ?? [] };
    },
    DeleteModel(b) {
      requireFields(b, ['ModelName']);
      if (!models.delete(b.ModelName))
        throw new ApiError('ValidationException', `Could not find model "${b.ModelName}".`);
      return {};
    },
    CreateTransformJob(b) {
      requireFields(b, [
        'TransformJobName',
        'ModelName',
        'TransformInput.DataSource.S3DataSource.S3DataType',
        'TransformInput.DataSource.S3DataSource.S3Uri',
        'TransformOutput.S3OutputPath',
        'TransformResources.InstanceType',
        'TransformResources.InstanceCount',
      ]);
      checkName(b.TransformJobName, 'transformJobName');
      const mp = b.MaxPayloadInMB ?? 6;
      if (mp < 1 || mp > 100 || (b.MaxConcurrentTransforms ?? 1) * mp > 100)
        throw new ApiError(
          'ValidationException',
          'MaxPayloadInMB must be 1..100 and MaxConcurrentTransforms x MaxPayloadInMB <= 100',
        );
      if (b.BatchStrategy && !['Line', 'RecordIO', 'TFRecord'].includes(b.TransformInput.SplitType))
        throw new ApiError('ValidationException', 'BatchStrategy needs a SplitType');
      checkInstance(b.TransformResources.InstanceType, TRANSFORM_TYPES, 'transformResources.instanceType');
      checkTags(b.Tags);
      if (!models.has(b.ModelName)) throw new ApiError('ValidationException', `Could not find model "${b.ModelName}".`);
      launch(newJob('transform', b.TransformJobName, b), runTransform);
      tags.set(arnOf('transform-job', b.TransformJobName), b.Tags ?? []);
      if (loseResponse.transform > 0 && loseResponse.transform--)
        throw new ApiError('InternalFailure', 'We encountered an internal error. Please try again.', 500);
      return { TransformJobArn: arnOf('transform-job', b.TransformJobName) };
    },
    DescribeTransformJob(b) {
      requireFields(b, ['TransformJobName']);
      const j = getJob(b.TransformJobName, 'transform');
      return {
        TransformJobName: j.name,
        TransformJobArn: arnOf('transform-job', j.name),
        TransformJobStatus: j.status,
        FailureReason: j.failureReason,
        ModelName: j.request.ModelName,
        TransformInput: j.request.TransformInput,
        TransformOutput: j.request.TransformOutput,
        TransformResources: j.request.TransformResources,
        CreationTime: epoch(j.created),
        TransformStartTime: epoch(j.start),
        TransformEndTime: epoch(j.end),
      };
    },
    CreateHyperParameterTuningJob(b) {
      requireFields(b, [
        'HyperParameterTuningJobName',
        'HyperParameterTuningJobConfig.Strategy',
        'HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs',
        'TrainingJobDefinition.AlgorithmSpecification.TrainingInputMode',
        'TrainingJobDefinition.RoleArn',
        'TrainingJobDefinition.OutputDataConfig.S3OutputPath',
        'TrainingJobDefinition.ResourceConfig.InstanceType',
        'TrainingJobDefinition.ResourceConfig.InstanceCount',
        'TrainingJobDefinition.StoppingCondition',
      ]);
      checkTuningRequest(b);
      checkInstance(
        b.TrainingJobDefinition.ResourceConfig.InstanceType,
        TRAINING_TYPES,
        'trainingJobDefinition.resourceConfig.instanceType',
      );
      checkTags(b.Tags);
      const name = String(b.HyperParameterTuningJobName);
      // Tuning job names are not case sensitive.
      if ([...tuningJobs.keys()].some((k) => k.toLowerCase() === name.toLowerCase()))
        throw new ApiError('ResourceInUse', `Hyperparameter tuning job ${name} already exists`);
      const t: TuningJob = { name, request: b, status: 'InProgress', trials: [], created: Date.now() };
      tuningJobs.set(name, t);
      tags.set(arnOf('hyper-parameter-tuning-job', name), b.Tags ?? []);
      const p = runTuning(t).catch((e: Error) => {
        t.status = 'Failed';
        t.failureReason = e.message;
        t.end = Date.now();
      });
      work.add(p);
      void p.finally(() => work.delete(p));
      return { HyperParameterTuningJobArn: arnOf('hyper-parameter-tuning-job', name) };
    },
    DescribeHyperParameterTuningJob(b) {
      requireFields(b, ['HyperParameterTuningJobName']);
      const t = getTuning(b.HyperParameterTuningJobName);
      const trials = t.trials.map((n) => jobs.get(n)!);
      const count = (st: string) => trials.filter((j) => j.status === st).length;
      const summaries = trials.map(trialSummary);
      const best = bestTrial(summaries, t.request.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective?.Type);
      return {
        HyperParameterTuningJobName: t.name,
        HyperParameterTuningJobArn: arnOf('hyper-parameter-tuning-job', t.name),
        HyperParameterTuningJobConfig: t.request.HyperParameterTuningJobConfig,
        TrainingJobDefinition: t.request.TrainingJobDefinition,
        HyperParameterTuningJobStatus: t.status,
        CreationTime: epoch(t.created),
        HyperParameterTuningEndTime: epoch(t.end),
        FailureReason: t.failureReason,
        TrainingJobStatusCounters: {
          Completed: count('Completed'),
          InProgress: count('InProgress') + count('Stopping'),
          RetryableError: 0,
          NonRetryableError: count('Failed'),
          Stopped: count('Stopped'),
        },
        ObjectiveStatusCounters: {
          Succeeded: summaries.filter((x) => x.ObjectiveStatus === 'Succeeded').length,
          Pending: summaries.filter((x) => x.ObjectiveStatus === 'Pending').length,
          Failed: summaries.filter((x) => x.ObjectiveStatus === 'Failed').length,
        },
        BestTrainingJob: best,
      };
    },
    ListTrainingJobsForHyperParameterTuningJob(b) {
      requireFields(b, ['HyperParameterTuningJobName']);
      const t = getTuning(b.HyperParameterTuningJobName);
      const max = b.MaxResults ?? 10;
      if (max < 1 || max > 100)
        throw new ApiError(
          'ValidationException',
          `Value '${max}' at 'maxResults' failed to satisfy constraint: ` +
            `Member must have value less than or equal to 100`,
        );
      const from = b.NextToken ? Number(b.NextToken) : 0;
      const all = t.trials.map((n) => trialSummary(jobs.get(n)!));
      const page = all.slice(from, from + max);
      return { TrainingJobSummaries: page, NextToken: from + max < all.length ? String(from + max) : undefined };
    },
    StopHyperParameterTuningJob(b) {
      requireFields(b, ['HyperParameterTuningJobName']);
      const t = getTuning(b.HyperParameterTuningJobName);
      if (t.status !== 'InProgress')
        throw new ApiError(
          'ValidationException',
          `The hyperparameter tuning job ${t.name} is not in progress (status ${t.status}).`,
        );
      t.stopRequested = true;
      t.status = 'Stopping';
      for (const n of t.trials) {
        const j = jobs.get(n)!;
        if (j.status === 'InProgress') j.stopRequested = true;
      }
      return {};
    },
    StopTransformJob(b) {
      requireFields(b, ['TransformJobName']);
      getJob(b.TransformJobName, 'transform').stopRequested = true;
      return {};
    },
  };

  /** The two CloudWatch Logs calls `--logs` makes (target prefix Logs_20140328). */
  const logOps: Record<string, (b: Json) => Json> = {
    DescribeLogStreams(b) {
      requireFields(b, ['logGroupName']);
      const kind =
        b.logGroupName === '/aws/sagemaker/TrainingJobs'
          ? 'training'
          : b.logGroupName === '/aws/sagemaker/TransformJobs'
            ? 'transform'
            : undefined;
      const streams = [...jobs.values()].filter((j) => j.kind === kind).flatMap((j) => [...j.logs.keys()]);
      // Like AWS: the group only exists once some container has logged.
      if (streams.length === 0)
        throw new ApiError('ResourceNotFoundException', 'The specified log group does not exist.');
      return {
        logStreams: streams
          .filter((n) => n.startsWith(b.logStreamNamePrefix ?? ''))
          .sort()
          .map((logStreamName) => ({ logStreamName })),
      };
    },
    GetLogEvents(b) {
      requireFields(b, ['logStreamName']);
      const lines = [...jobs.values()].map((j) => j.logs.get(b.logStreamName)).find(Boolean);
      if (!lines) throw new ApiError('ResourceNotFoundException', 'The specified log stream does not exist.');
      const from = b.nextToken ? Number(String(b.nextToken).slice(2)) : 0;
      const events = lines
        .slice(from)
        .map((l) => ({ timestamp: l.timestamp, message: l.message, ingestionTime: l.timestamp }));
      return { events, nextForwardToken: `f/${lines.length}`, nextBackwardToken: `b/${from}` };
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const send = (status: number, body: Json, type?: string) => {
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        ...(type ? { 'x-amzn-errortype': type } : {}),
      });
      res.end(JSON.stringify(body));
    };
    const target = String(req.headers['x-amz-target'] ?? '');
    const [service, op = ''] = target.split('.');
    const table = service === 'SageMaker' ? ops : service === 'Logs_20140328' ? logOps : {};
    if (req.method !== 'POST' || req.url !== '/' || !table[op])
      return send(
        400,
        { __type: 'UnknownOperationException', message: `unsupported ${target}` },
        'UnknownOperationException',
      );
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 '))
      return send(
        400,
        { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' },
        'MissingAuthenticationTokenException',
      );
    let body: Json;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      return send(400, { __type: 'SerializationException', message: 'bad JSON' }, 'SerializationException');
    }
    requests.push({ op, body });
    try {
      send(200, table[op](body));
    } catch (e) {
      if (e instanceof ApiError) send(e.status, { __type: e.type, message: e.message }, e.type);
      else send(500, { __type: 'InternalFailure', message: String(e) }, 'InternalFailure');
    }
  }

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tuningJobs,
    requests,
    jobs,
    models,
    failNext: (kind, reason) => void pending[kind].push({ fail: reason }),
    loseNextCreateResponse: (kind) => void loseResponse[kind]++,
    exceedRuntimeNext: () =>
      void pending.training.push({
        stop: true,
        secondary: 'MaxRuntimeExceeded',
        message: 'Training job runtime exceeded MaxRuntimeInSeconds provided',
      }),
    stopNext: (kind) => void pending[kind].push({ stop: true }),
    pause: (kind) => void (paused[kind] = true),
    resume: (kind) => void (paused[kind] = false),
    async close() {
      paused.training = paused.transform = false;
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.allSettled([...work]);
      for (const t of timers) clearTimeout(t);
      s3.destroy();
    },
  };
}

/** model.tar.gz of every file in `dir` (flat, like SageMaker's /opt/ml/model). */
async function tarGz(dir: string): Promise<Buffer> {
  const pack = tar.pack();
  const gz = pack.pipe(createGzip());
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<void>((r, j) => {
    gz.on('end', r);
    gz.on('error', j);
  });
  for (const name of (await readdir(dir)).sort()) {
    const data = await readFile(join(dir, name));
    await new Promise<void>((r, j) => pack.entry({ name, size: data.length }, data, (e) => (e ? j(e) : r())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(out);
}

async function untarGz(bytes: Buffer, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const extract = tar.extract();
  const files: Promise<void>[] = [];
  const done = new Promise<void>((r, j) => {
    extract.on('finish', r);
    extract.on('error', j);
  });
  extract.on('entry', (header, stream, next) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', () => {
      if (header.name.includes('/') || header.name.includes('..'))
        return next(new Error(`unexpected tar entry ${header.name}`));
      files.push(writeFile(join(dir, header.name), Buffer.concat(parts)));
      next();
    });
  });
  extract.end(gunzipSync(bytes));
  await done;
  await Promise.all(files);
}

/**
 * Linear Learner's tunable hyperparameters and the bounds the service accepts (guide: "Tune a linear learner model").
 */
const LL_TUNABLE: Record<
  string,
  { type: 'Continuous' | 'Integer' | 'Categorical'; min?: number; max?: number; values?: string[] }
> = {
  wd: { type: 'Continuous', min: 1e-7, max: 1 },
  l1: { type: 'Continuous', min: 1e-7, max: 1 },
  learning_rate: { type: 'Continuous', min: 1e-5, max: 1 },
  mini_batch_size: { type: 'Integer', min: 100, max: 5000 },
  use_bias: { type: 'Categorical', values: ['true', 'false'] },
  positive_example_weight_mult: { type: 'Continuous', min: 1e-5, max: 1e5 },
};

/** Linear Learner's metrics (the objective must be one of them). */
const LL_METRICS = new Set(
  [
    'multiclass_accuracy',
    'multiclass_top_k_accuracy',
    'macro_precision',
    'macro_recall',
    'macro_f_beta',
    'objective_loss',
    'dcg',
    'binary_classification_accuracy',
    'binary_f_beta',
    'precision',
    'recall',
    'roc_auc_score',
    'mse',
    'absolute_loss',
  ].flatMap((m) => [`validation:${m}`, `test:${m}`]),
);

const TUNING_NAME_RE = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$/;

/** What CreateHyperParameterTuningJob refuses for a Linear Learner definition. */
function checkTuningRequest(b: Json): void {
  const name = String(b.HyperParameterTuningJobName);
  if (name.length > 32)
    throw new ApiError(
      'ValidationException',
      `1 validation error detected: Value '${name}' at 'hyperParameterTuningJobName' failed to satisfy ` +
        `constraint: Member must have length less than or equal to 32`,
    );
  if (!TUNING_NAME_RE.test(name))
    throw new ApiError(
      'ValidationException',
      `1 validation error detected: Value '${name}' at 'hyperParameterTuningJobName' failed to satisfy ` +
        `constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}`,
    );
  const cfg = b.HyperParameterTuningJobConfig;
  if (!['Bayesian', 'Random', 'Hyperband', 'Grid'].includes(cfg.Strategy))
    throw new ApiError(
      'ValidationException',
      `Value '${cfg.Strategy}' at 'hyperParameterTuningJobConfig.strategy' failed to satisfy constraint: ` +
        `Member must satisfy enum value set: [Bayesian, Random, Hyperband, Grid]`,
    );
  const limits = cfg.ResourceLimits;
  if (
    !(limits.MaxParallelTrainingJobs >= 1) ||
    (limits.MaxNumberOfTrainingJobs !== undefined && !(limits.MaxNumberOfTrainingJobs >= 1))
  ) {
    throw new ApiError(
      'ValidationException',
      'ResourceLimits: MaxNumberOfTrainingJobs and MaxParallelTrainingJobs must be at least 1',
    );
  }
  if (limits.MaxNumberOfTrainingJobs !== undefined && limits.MaxParallelTrainingJobs > limits.MaxNumberOfTrainingJobs) {
    throw new ApiError(
      'ValidationException',
      `MaxParallelTrainingJobs (${limits.MaxParallelTrainingJobs}) ` +
        `cannot be greater than MaxNumberOfTrainingJobs (${limits.MaxNumberOfTrainingJobs})`,
    );
  }
  const objective = cfg.HyperParameterTuningJobObjective;
  if (!objective?.MetricName || !['Maximize', 'Minimize'].includes(objective.Type))
    throw new ApiError(
      'ValidationException',
      'HyperParameterTuningJobObjective with MetricName and Type (Maximize|Minimize) is required',
    );
  if (!LL_METRICS.has(objective.MetricName))
    throw new ApiError(
      'ValidationException',
      `The objective metric ${objective.MetricName} is not one of the algorithm's metrics`,
    );
  const r = cfg.ParameterRanges ?? {};
  const ranges: [string, Json][] = [
    ...(r.ContinuousParameterRanges ?? []).map((x: Json) => ['Continuous', x] as [string, Json]),
    ...(r.IntegerParameterRanges ?? []).map((x: Json) => ['Integer', x] as [string, Json]),
    ...(r.CategoricalParameterRanges ?? []).map((x: Json) => ['Categorical', x] as [string, Json]),
  ];
  if (ranges.length === 0) throw new ApiError('ValidationException', 'ParameterRanges must contain at least one range');
  if (ranges.length > 30)
    throw new ApiError('ValidationException', 'ParameterRanges can contain at most 30 hyperparameters');
  const statics = b.TrainingJobDefinition.StaticHyperParameters ?? {};
  const seen = new Set<string>();
  for (const [type, x] of ranges) {
    const doc = LL_TUNABLE[x.Name];
    if (seen.has(x.Name))
      throw new ApiError('ValidationException', `The hyperparameter ${x.Name} appears in more than one range`);
    seen.add(x.Name);
    if (x.Name in statics)
      throw new ApiError(
        'ValidationException',
        `The hyperparameter ${x.Name} cannot be both a static hyperparameter and a tunable hyperparameter`,
      );
    if (!doc || doc.type !== type)
      throw new ApiError(
        'ValidationException',
        `The hyperparameter ${x.Name} is not a tunable ${type.toLowerCase()} hyperparameter of the algorithm`,
      );
    if (type === 'Categorical') {
      if (
        !Array.isArray(x.Values) ||
        x.Values.length === 0 ||
        x.Values.some((v: string) => !doc.values!.includes(String(v).toLowerCase()))
      )
        throw new ApiError('ValidationException', `The values for hyperparameter ${x.Name} are not valid`);
      continue;
    }
    const lo = Number(x.MinValue);
    const hi = Number(x.MaxValue);
    if (
      !Number.isFinite(lo) ||
      !Number.isFinite(hi) ||
      (type === 'Integer' && (!Number.isInteger(lo) || !Number.isInteger(hi)))
    )
      throw new ApiError(
        'ValidationException',
        `The range for hyperparameter ${x.Name} is not valid: ${x.MinValue}..${x.MaxValue}`,
      );
    if (lo > hi)
      throw new ApiError(
        'ValidationException',
        `The MinValue of hyperparameter ${x.Name} must be less than or equal to its MaxValue`,
      );
    if (lo < doc.min! || hi > doc.max!)
      throw new ApiError(
        'ValidationException',
        `The range ${x.MinValue}..${x.MaxValue} for hyperparameter ${x.Name} is outside the algorithm's ` +
          `valid range ${doc.min}..${doc.max}`,
      );
    if (
      ['Logarithmic', 'ReverseLogarithmic'].includes(x.ScalingType) &&
      (lo <= 0 || (x.ScalingType === 'ReverseLogarithmic' && hi >= 1))
    )
      throw new ApiError(
        'ValidationException',
        `ScalingType ${x.ScalingType} needs a range within (0, ` +
          `${x.ScalingType === 'Logarithmic' ? 'inf' : '1'}) for ${x.Name}`,
      );
  }
  if (cfg.Strategy === 'Grid' && ranges.some(([type]) => type !== 'Categorical'))
    throw new ApiError('ValidationException', 'The Grid strategy supports only categorical parameter ranges');
}

/** A small seeded PRNG (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One trial's settings drawn from the ranges (log-uniform for Logarithmic), as the strings SageMaker sends. */
function sampleRanges(r: Json, rand: () => number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const x of r.ContinuousParameterRanges ?? []) {
    const lo = Number(x.MinValue);
    const hi = Number(x.MaxValue);
    const v =
      x.ScalingType === 'Logarithmic'
        ? Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo)))
        : lo + rand() * (hi - lo);
    out[x.Name] = String(Number(v.toPrecision(6)));
  }
  for (const x of r.IntegerParameterRanges ?? [])
    out[x.Name] = String(Number(x.MinValue) + Math.floor(rand() * (Number(x.MaxValue) - Number(x.MinValue) + 1)));
  for (const x of r.CategoricalParameterRanges ?? [])
    out[x.Name] = String(x.Values[Math.floor(rand() * x.Values.length)]);
  return out;
}

/** The best completed trial by the objective (Maximize: highest). */
function bestTrial(summaries: Json[], type: string | undefined): Json | undefined {
  const scored = summaries.filter(
    (x) => x.TrainingJobStatus === 'Completed' && x.FinalHyperParameterTuningJobObjectiveMetric,
  );
  scored.sort(
    (a, b) =>
      (type === 'Minimize' ? 1 : -1) *
      (a.FinalHyperParameterTuningJobObjectiveMetric.Value - b.FinalHyperParameterTuningJobObjectiveMetric.Value),
  );
  return scored[0];
}

/**
 * The stand-in fit of a trial uses the trial's settings: learning_rate, wd (as l2) and
 * mini_batch_size (as the batch size); l1 and use_bias have no local twin and only change the request.
 */
function trialFitSettings(hp: Record<string, string>): { learningRate?: number; l2?: number; batchSize?: number } {
  const n = (v: string | undefined) => (v === undefined || v === 'auto' ? undefined : Number(v));
  return { learningRate: n(hp.learning_rate), l2: n(hp.wd), batchSize: n(hp.mini_batch_size) };
}

/** A SageMaker client for the loopback server at `endpoint`: fake credentials, us-east-1, no retries. */
export function loopbackSageMakerClient(endpoint: string): SageMakerClient {
  return new SageMakerClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
  });
}
