/**
 * `train|run --engine sagemaker`: local pre-flight (files parse, Linear Learner CSV rules, instance
 * types, names, tags, mini-batch, spot) → credentials → bucket → prices (AWS Price List API, else the
 * shipped table; once per command) → upload → train → model → one
 * transform (test + validation) → download → argmax → evaluate. The run folder and its manifest
 * are opened here; the manifest is rewritten after every created resource, so `cleanup` and
 * `attach` always know what exists. A run that fails before creating anything leaves no folder.
 * `--dry-run` runs the same pre-flight on a scratch copy and stops before the first network call
 * that could create or cost anything.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { sha256File } from '../../adapters/file-hash.js';
import { fileExists } from '../../adapters/atomic-file.js';
import { isFreshRunDir, MANIFEST_FILE, readManifest, RunRecorder } from '../../adapters/run-store.js';
import type { RunManifest } from '../../domain/manifest.js';
import { buildRunPlan, runS3Layout, type PlanInput, type RunPlan } from '../../domain/sagemaker-plan.js';
import { UserInputError } from '../../errors/index.js';
import { checkLinearLearnerCsv } from './preflight.js';
import {
  channelFiles,
  prepareTestShards,
  prepareTrainData,
  syncChannelFiles,
  type PreparedTest,
  type PreparedTrain,
} from './data.js';
import { runTrainingJob, runTransformJobs, type TransformResult, type WaitSettings } from './jobs.js';
import { recordBilledCost, resolvePrices, sourceSummary } from './billing.js';
import { shippedPriceSource } from '../../domain/instance-prices.js';
import { argmaxStage } from '../argmax.js';
import { evaluateStage } from '../evaluate.js';
import type { StageDeps } from '../../runtime/deps.js';
import type { SageMakerDeps } from './deps.js';

/** The plan settings that come from flags; the run id, row counts and validation come from the run. */
export type PlanSettings = Omit<PlanInput, 'runId' | 'trainRows' | 'validation' | 'region'> & { region?: string };

export interface SageMakerRunInput {
  command: 'train' | 'run' | 'tune';
  /** The run folder (created here; an `upload` folder is continued). */
  runDir: string;
  /** Default: the folder name. */
  runId?: string;
  force?: boolean;
  dryRun?: boolean;
  plan: PlanSettings;
  trainFile: string;
  /** Needed to transform (run); train alone may omit it. */
  testFile?: string;
  /** `ImageId,Label` answer key of the test set: gives metrics.json. */
  labelsFile?: string;
  validationFraction: number;
  seed: number;
  wait: WaitSettings;
}

export interface SageMakerRunResult {
  runId: string;
  runDir: string;
  engine: 'sagemaker';
  trainingJob?: string;
  model?: string;
  transformJobs: string[];
  modelDataUrl?: string;
  billableSeconds: number;
  costEstimate?: RunManifest['costEstimate'];
  /** DescribeTrainingJob.FinalMetricDataList (e.g. validation:multiclass_accuracy). */
  finalMetrics?: Record<string, number>;
  outputs: Record<string, string>;
  metrics?: Record<string, number>;
  validationMetrics?: Record<string, number>;
  timings: Record<string, number>;
}

export interface SageMakerDryRunResult {
  dryRun: true;
  runDir: string;
  plan: RunPlan;
  checks: {
    files: { role: string; path: string; rows: number }[];
    region: string;
    credentials: { found: boolean; detail?: string };
  };
}

const secs = (deps: StageDeps, t0: number) => (deps.clock.now() - t0) / 1000;

/** Everything checked locally, before any network call: the prepared channels and the plan. */
export interface Preflight {
  data: PreparedTrain;
  test?: PreparedTest;
  plan: RunPlan;
  planInput: PlanInput;
}

export async function preflight(
  input: SageMakerRunInput,
  runId: string,
  workDir: string,
  deps: StageDeps,
): Promise<Preflight> {
  if (input.command !== 'train' && !input.testFile) {
    throw new UserInputError('TEST_REQUIRED', 'the sagemaker run needs a test file to transform', {
      hint: 'pass --test data/test.csv',
    });
  }
  if (input.labelsFile && !(await fileExists(input.labelsFile))) {
    throw new UserInputError('FILE_NOT_FOUND', `${input.labelsFile} does not exist`, {
      hint: 'pass the answer key ImageId,Label with --labels',
      details: { file: input.labelsFile },
    });
  }
  const numClasses = input.plan.numClasses;
  const transformCount = input.plan.transformInstanceCount ?? 1;
  const data = await prepareTrainData(
    {
      trainFile: input.trainFile,
      validationFraction: input.validationFraction,
      seed: input.seed,
      numClasses,
      outDir: workDir,
      shards: input.plan.instanceCount,
    },
    deps,
  );
  const test = input.testFile
    ? await prepareTestShards({ testFile: input.testFile, shards: transformCount, outDir: workDir, numClasses }, deps)
    : undefined;
  for (const part of data.train) await checkLinearLearnerCsv(part, { labelled: true, numClasses, signal: deps.signal });
  if (data.validation)
    await checkLinearLearnerCsv(data.validation, { labelled: true, numClasses, signal: deps.signal });
  if (data.validationFeatures)
    await checkLinearLearnerCsv(data.validationFeatures, { labelled: false, numClasses, signal: deps.signal });
  for (const shard of test?.shards ?? [])
    await checkLinearLearnerCsv(shard, { labelled: false, numClasses, signal: deps.signal });
  if (input.validationFraction > 0 && data.validationRows === 0) {
    throw new UserInputError(
      'VALIDATION_EMPTY',
      `--validation-fraction ${input.validationFraction} leaves no validation rows`,
      {
        hint: 'use a larger --validation-fraction (e.g. 0.1)',
      },
    );
  }
  if (!input.plan.region) {
    throw new UserInputError(
      'REGION_REQUIRED',
      'no AWS region for the sagemaker engine (the local files were checked and are fine)',
      {
        hint: 'pass --region (e.g. --region us-east-1) or set AWS_REGION',
      },
    );
  }
  const planInput: PlanInput = {
    ...input.plan,
    region: input.plan.region,
    runId,
    trainRows: data.trainRows,
    validation: data.validationRows > 0,
  };
  return { data, test, plan: buildRunPlan(planInput), planInput };
}

/** The run folder: new, reserved-empty, an `upload` folder to continue, or (with --force) a rerun under a new id. */
export async function openRunFolder(
  input: SageMakerRunInput,
  deps: StageDeps,
): Promise<{ runId: string; createdDir: boolean; existing?: Awaited<ReturnType<typeof readManifest>> }> {
  const folderId = input.runId ?? input.runDir.split(/[\\/]/).filter(Boolean).pop()!;
  if (!(await fileExists(join(input.runDir, MANIFEST_FILE))))
    return { runId: folderId, createdDir: await isFreshRunDir(input.runDir) };
  const existing = await readManifest(input.runDir);
  const uploadOnly = existing.command === 'upload' && !existing.resources.some((r) => r.kind !== 's3-prefix');
  if (uploadOnly) return { runId: existing.runId, createdDir: false, existing };
  if (!input.force) {
    throw new UserInputError('OUTPUT_EXISTS', `${input.runDir} already holds a run`, {
      hint: 'choose another --out (job names come from it), or pass --force',
    });
  }
  // SageMaker job names can never be reused: a forced rerun in the same folder gets a new id.
  return { runId: `${existing.runId}-${Math.floor(deps.clock.now() / 1000).toString(36)}`, createdDir: false };
}

/** `--dry-run`: the same pre-flight on a scratch folder (removed), then the plan and what was found. */
export async function sagemakerDryRunStage(
  input: SageMakerRunInput,
  deps: StageDeps & Partial<SageMakerDeps>,
): Promise<SageMakerDryRunResult> {
  const runId = input.runId ?? input.runDir.split(/[\\/]/).filter(Boolean).pop()!;
  const work = await mkdtemp(join(tmpdir(), 'digitflow-dryrun-'));
  try {
    const pf = await preflight(input, runId, work, deps);
    let credentials: SageMakerDryRunResult['checks']['credentials'] = { found: false, detail: 'not checked' };
    if (deps.sagemaker) {
      credentials = await deps.sagemaker.checkCredentials().then(
        (c) => ({ found: c.found }),
        (e: Error) => ({ found: false, detail: e.message }),
      );
    }
    // GetProducts is free: asked when credentials exist; without them, the shipped table.
    const prices = credentials.found
      ? await resolvePrices(pf.plan.region, priceTypes(pf.plan), deps)
      : shippedPriceSource(
          pf.plan.region,
          deps.pricesOff ?? 'no AWS credentials, so the AWS Price List API was not asked',
          priceTypes(pf.plan),
        );
    const plan = buildRunPlan(pf.planInput, prices);
    const files = [
      { role: 'train', path: input.trainFile, rows: pf.data.trainRows + pf.data.validationRows },
      ...(input.testFile && pf.test ? [{ role: 'test', path: input.testFile, rows: pf.test.rows }] : []),
    ];
    return { dryRun: true, runDir: input.runDir, plan, checks: { files, region: plan.region, credentials } };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Pre-flight, credentials, bucket, the run's manifest, upload: the first half of every managed
 * run (`train`, `run`, `tune`). `hold.rec` is set the moment the manifest exists, so the caller's
 * failure path knows whether anything was recorded.
 */
export async function prepareManagedRun(
  input: SageMakerRunInput,
  runId: string,
  existing: RunManifest | undefined,
  deps: SageMakerDeps,
  hold: { rec?: RunRecorder },
  /** More local checks on the prepared plan (e.g. the tuning ranges), before any network call. */
  check?: (pf: Preflight) => void,
): Promise<{ rec: RunRecorder; pf: Preflight; plan: RunPlan }> {
  // Pre-flight: every local check first, all before any network call.
  let t0 = deps.clock.now();
  const pf = await preflight(input, runId, join(input.runDir, 'sagemaker-input'), deps);
  check?.(pf);
  const { data, test } = pf;
  await deps.sagemaker.checkCredentials();
  deps.reporter.emit({ kind: 'step', step: 'preflight', message: `checking bucket ${pf.plan.s3.bucket}` });
  await deps.storage.headBucket(pf.plan.s3.bucket);
  // Prices once per command (Price List API, else the shipped table): the plan, manifest and bill use them.
  const prices = await resolvePrices(pf.plan.region, priceTypes(pf.plan), deps);
  const plan = buildRunPlan(pf.planInput, prices);

  const rec = existing
    ? new RunRecorder(input.runDir, existing, deps.clock)
    : RunRecorder.create(
        input.runDir,
        { runId, command: input.command, engine: 'sagemaker', seed: input.seed, model: 'linear-learner' },
        deps.clock,
      );
  hold.rec = rec;
  const m = rec.manifest;
  if (existing) {
    m.command = input.command;
    m.model = 'linear-learner';
  }
  const sm = rec.sagemaker(pf.planInput);
  sm.planInput = pf.planInput;
  sm.plan = plan;
  sm.prices = prices;
  sm.validationRows = data.validationRows;
  if (test) sm.shardRows = test.shardRows;
  m.instanceType = plan.training.instanceType;
  m.instanceCount = plan.training.instanceCount;
  m.hyperparameters = { ...plan.hyperparameters };
  if (plan.costEstimate.usd !== undefined) {
    m.costEstimate = {
      usd: plan.costEstimate.usd,
      basis: plan.costEstimate.basis,
      priceTableDate: plan.costEstimate.priceTableDate,
      priceSource: sourceSummary(prices),
    };
  } else delete m.costEstimate;
  m.split = data.split;
  // Hashes let `compare` tell whether two runs saw the same files.
  const files: [string, string | undefined, number | undefined][] = [
    ['train', input.trainFile, data.trainRows + data.validationRows],
    ['test', input.testFile, test?.rows],
    ['labels', input.labelsFile, undefined],
  ];
  const roles = new Set(files.filter(([, p]) => p).map(([r]) => r));
  m.inputs = m.inputs.filter((i) => !roles.has(i.role));
  for (const [role, path, rows] of files) if (path) m.inputs.push({ role, path, ...(await sha256File(path)), rows });
  if (data.validationLabels) m.outputs.validationLabels = relative(input.runDir, data.validationLabels);
  await rec.timing('prepare', secs(deps, t0));

  // Upload (objects an earlier `upload` of this run already put there are not re-sent).
  t0 = deps.clock.now();
  await rec.addResource('s3-prefix', plan.s3.root, plan.region, true);
  const layout = runS3Layout(plan.s3.bucket, input.plan.prefix, runId);
  const uploads = channelFiles(layout, data, test);
  deps.reporter.emit({
    kind: 'step',
    step: 'upload',
    message: `uploading ${uploads.length} file(s) to ${plan.s3.root}`,
  });
  const synced = await syncChannelFiles(uploads, deps.storage, deps);
  const bytes = synced.results.reduce((s, r) => s + r.bytes, 0);
  deps.reporter.emit({
    kind: 'info',
    message: `uploaded ${uploads.length} file(s), ${(bytes / 1e6).toFixed(1)} MB, under ${plan.s3.root}`,
  });
  await rec.timing('upload', secs(deps, t0));
  // `plan` carries the resolved prices (`pf.plan` is the pre-flight's, built before any network call).
  return { rec, pf, plan };
}

/** Upload, train and (for `run`) transform + score. */
export async function sagemakerRunStage(input: SageMakerRunInput, deps: SageMakerDeps): Promise<SageMakerRunResult> {
  const { runId, createdDir, existing } = await openRunFolder(input, deps);
  const hold: { rec?: RunRecorder } = {};
  try {
    const { rec, pf, plan } = await prepareManagedRun(input, runId, existing, deps, hold);
    const { data, test } = pf;
    const m = rec.manifest;
    // Train.
    const t0 = deps.clock.now();
    const trained = await runTrainingJob(plan, input.wait, rec, deps);
    await rec.timing('train', secs(deps, t0));

    const result: SageMakerRunResult = {
      runId: plan.runId,
      runDir: input.runDir,
      engine: 'sagemaker',
      trainingJob: plan.names.trainingJob,
      model: plan.names.model,
      transformJobs: [],
      modelDataUrl: trained.modelDataUrl,
      billableSeconds: 0,
      finalMetrics: trained.finalMetrics,
      outputs: {},
      timings: m.timings,
    };
    if (input.command === 'run' && test) {
      Object.assign(
        result,
        await transformAndScore(plan, test.shardRows, data.validationRows, input.labelsFile, input.wait, rec, deps),
      );
    }
    finishCost(plan, rec, result);
    await rec.save();
    return result;
  } catch (e) {
    // Nothing created in the cloud: leave nothing behind. Something created: keep the manifest for cleanup/attach.
    if (hold.rec) await hold.rec.discardIfNothingCreated(createdDir);
    else if (createdDir) await rm(input.runDir, { recursive: true, force: true });
    throw e;
  }
}

/** Transform, download, argmax, evaluate; shared by `run` and `predict`. */
export async function transformAndScore(
  plan: RunPlan,
  shardRows: number[],
  validationRows: number,
  labelsFile: string | undefined,
  wait: WaitSettings,
  rec: RunRecorder,
  deps: SageMakerDeps,
): Promise<Partial<SageMakerRunResult>> {
  const t0 = deps.clock.now();
  const tr = await runTransformJobs(plan, shardRows, validationRows, wait, rec, deps);
  await rec.timing('transform', secs(deps, t0));
  return scoreTransformOutputs(plan, tr, labelsFile, rec, deps);
}

/** Argmax → submission(s), evaluation → metrics; shared by run, predict and attach. */
export async function scoreTransformOutputs(
  plan: RunPlan,
  tr: TransformResult,
  labelsFile: string | undefined,
  rec: RunRecorder,
  deps: SageMakerDeps,
): Promise<Partial<SageMakerRunResult>> {
  const outputs = rec.manifest.outputs;
  const dir = rec.runDir;
  const rel = (p: string) => relative(dir, p);
  outputs.probabilities = rel(tr.testOutput);
  const submission = join(dir, 'submission.csv');
  await argmaxStage({ input: tr.testOutput, output: submission, format: 'jsonlines', force: true }, deps);
  outputs.submission = 'submission.csv';
  let validationMetrics: Record<string, number> | undefined;
  if (tr.validationOutput) {
    outputs.validationProbabilities = rel(tr.validationOutput);
    const vsub = join(dir, 'validation-submission.csv');
    await argmaxStage({ input: tr.validationOutput, output: vsub, format: 'jsonlines', force: true }, deps);
    outputs.validationSubmission = 'validation-submission.csv';
    const vm = await evaluateStage(
      {
        submission: vsub,
        labels: join(dir, 'sagemaker-input', 'validation-labels.csv'),
        probabilities: tr.validationOutput,
        output: join(dir, 'validation-metrics.json'),
        force: true,
      },
      deps,
    );
    outputs.validationMetrics = 'validation-metrics.json';
    validationMetrics = headline(vm);
  }
  let metrics: Record<string, number> | undefined;
  if (labelsFile) {
    const m = await evaluateStage(
      { submission, labels: labelsFile, probabilities: tr.testOutput, output: join(dir, 'metrics.json'), force: true },
      deps,
    );
    outputs.metrics = 'metrics.json';
    metrics = headline(m);
  }
  rec.manifest.summary = {
    ...(validationMetrics ? prefixKeys('validation_', validationMetrics) : {}),
    ...(metrics ?? {}),
  };
  await rec.save();
  return { transformJobs: [plan.names.transform], outputs: { ...outputs }, metrics, validationMetrics };
}

function headline(m: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries((m ?? {}) as Record<string, unknown>)) {
    if (typeof v === 'number' && ['accuracy', 'macroF1', 'logLoss', 'rows', 'baselineAccuracy'].includes(k)) out[k] = v;
  }
  return out;
}

function prefixKeys(p: string, o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [p + k, v]));
}

/** The instance types a plan is priced for (training and transform). */
export function priceTypes(plan: RunPlan): string[] {
  return [...new Set([plan.training.instanceType, plan.transform.instanceType])];
}

/** The result's billed seconds and cost, from the manifest (billed per job, priced per instance type). */
export function finishCost(plan: RunPlan, rec: RunRecorder, result: SageMakerRunResult): void {
  result.billableSeconds = rec.manifest.billableSeconds ?? 0;
  if (recordBilledCost(plan, rec)) result.costEstimate = rec.manifest.costEstimate;
  else if (!rec.manifest.sagemaker?.billed?.length) result.costEstimate = undefined;
}
