/**
 * `train|run|predict --engine sagemaker`: preflight → prepare → check → upload → train → model →
 * transform (test + validation) → download → argmax → evaluate. The manifest is rewritten after
 * every created resource, so `cleanup` and `attach` always know what exists.
 */
import { basename, join, relative } from 'node:path';
import { sha256File } from '../adapters/file-hash.js';
import { buildRunPlan, type PlanInput, type RunPlan } from '../domain/sagemaker-plan.js';
import { UserInputError } from '../errors/index.js';
import { checkLinearLearnerCsv, checkMiniBatch } from './sagemaker-preflight.js';
import { prepareTestShards, prepareTrainData } from './sagemaker-data.js';
import { runTrainingJob, runTransformJobs, type TransformResult, type WaitSettings } from './sagemaker-jobs.js';
import { recordBilledCost } from './sagemaker-billing.js';
import { PRICE_TABLE_DATE } from '../domain/instance-prices.js';
import { argmaxStage } from './argmax.js';
import { evaluateStage } from './evaluate.js';
import type { ManifestRecorder, SageMakerDeps } from './sagemaker-deps.js';

export interface SageMakerRunInput {
  planInput: PlanInput;
  trainFile: string;
  /** Needed to transform (run); train alone may omit it. */
  testFile?: string;
  /** `ImageId,Label` answer key of the test set: gives metrics.json. */
  labelsFile?: string;
  validationFraction: number;
  seed: number;
  /** false for `train` (stops after CreateModel). */
  transform: boolean;
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
  costEstimate?: { usd: number; basis: string; priceTableDate: string };
  outputs: Record<string, string>;
  metrics?: Record<string, number>;
  validationMetrics?: Record<string, number>;
  timings: Record<string, number>;
}

const secs = (deps: SageMakerDeps, t0: number) => (deps.clock.now() - t0) / 1000;

/** Upload, train and (for `run`) transform + score. */
export async function sagemakerRunStage(input: SageMakerRunInput, rec: ManifestRecorder, deps: SageMakerDeps): Promise<SageMakerRunResult> {
  const plan = buildRunPlan(input.planInput);
  const sm = rec.sagemaker;
  sm.planInput = input.planInput;
  sm.plan = plan;
  rec.manifest.instanceType = plan.training.instanceType;
  rec.manifest.instanceCount = plan.training.instanceCount;
  rec.manifest.hyperparameters = { ...plan.hyperparameters };
  if (plan.costEstimate.usd !== undefined) {
    rec.manifest.costEstimate = { usd: plan.costEstimate.usd, basis: plan.costEstimate.basis, priceTableDate: PRICE_TABLE_DATE };
  }
  if (input.transform && !input.testFile) {
    throw new UserInputError('TEST_REQUIRED', 'the sagemaker run needs a test file to transform', { hint: 'pass --test data/test.csv' });
  }
  await rec.save();

  // Preflight: the cheap checks first, all before any cloud resource exists.
  let t0 = deps.clock.now();
  deps.reporter.emit({ kind: 'step', step: 'preflight', message: `checking bucket ${plan.s3.bucket}` });
  await deps.storage.headBucket(plan.s3.bucket);
  const localDir = join(rec.runDir, 'sagemaker-input');
  const data = await prepareTrainData(
    { trainFile: input.trainFile, validationFraction: input.validationFraction, seed: input.seed, numClasses: input.planInput.numClasses, outDir: localDir, shards: plan.training.instanceCount },
    deps,
  );
  const test = input.testFile
    ? await prepareTestShards({ testFile: input.testFile, shards: plan.s3.testShards.length, outDir: localDir, numClasses: input.planInput.numClasses }, deps)
    : undefined;
  const numClasses = input.planInput.numClasses;
  for (const part of data.train) await checkLinearLearnerCsv(part, { labelled: true, numClasses, signal: deps.signal });
  if (data.validation) await checkLinearLearnerCsv(data.validation, { labelled: true, numClasses, signal: deps.signal });
  if (data.validationFeatures) await checkLinearLearnerCsv(data.validationFeatures, { labelled: false, numClasses, signal: deps.signal });
  for (const shard of test?.shards ?? []) await checkLinearLearnerCsv(shard, { labelled: false, numClasses, signal: deps.signal });
  checkMiniBatch(plan.hyperparameters, Math.floor(data.trainRows / plan.training.instanceCount));
  if (!!plan.names.transformValidation !== data.validationRows > 0) {
    throw new UserInputError('VALIDATION_EMPTY', `--validation-fraction ${input.validationFraction} leaves no validation rows`, {
      hint: 'use a larger --validation-fraction (e.g. 0.1)',
    });
  }
  rec.manifest.split = data.split;
  // Hashes let `compare` tell whether two runs saw the same files.
  const files: [string, string | undefined, number | undefined][] = [
    ['train', input.trainFile, data.trainRows + data.validationRows],
    ['test', input.testFile, test?.rows],
    ['labels', input.labelsFile, undefined],
  ];
  for (const [role, path, rows] of files) if (path) rec.manifest.inputs.push({ role, path, ...(await sha256File(path)), rows });
  if (data.validationLabels) rec.manifest.outputs.validationLabels = relative(rec.runDir, data.validationLabels);
  sm.validationRows = data.validationRows;
  if (test) sm.shardRows = test.shardRows;
  await rec.timing('prepare', secs(deps, t0));

  // Upload.
  t0 = deps.clock.now();
  await rec.addResource('s3-prefix', plan.s3.root, plan.region, true);
  const uploads: [string, string][] = data.train.map((p) => [p, `${plan.s3.trainChannel}${basename(p)}`]);
  if (data.validation) uploads.push([data.validation, `${plan.s3.validationChannel}validation.csv`]);
  if (data.validationFeatures) uploads.push([data.validationFeatures, `${plan.s3.validationInput}validation-features.csv`]);
  test?.shards.forEach((p, i) => uploads.push([p, `${plan.s3.testInput}${plan.s3.testShards[i]}`]));
  let bytes = 0;
  deps.reporter.emit({ kind: 'step', step: 'upload', message: `uploading ${uploads.length} file(s) to ${plan.s3.root}` });
  for (const [path, uri] of uploads) bytes += await deps.storage.putFile(path, uri);
  deps.reporter.emit({ kind: 'info', message: `uploaded ${uploads.length} file(s), ${(bytes / 1e6).toFixed(1)} MB, under ${plan.s3.root}` });
  await rec.timing('upload', secs(deps, t0));

  // Train.
  t0 = deps.clock.now();
  const trained = await runTrainingJob(plan, input.wait, rec, deps);
  sm.modelDataUrl = trained.modelDataUrl;
  rec.manifest.billableSeconds = trained.billableSeconds ?? 0;
  await rec.timing('train', secs(deps, t0));

  const result: SageMakerRunResult = {
    runId: plan.runId,
    runDir: rec.runDir,
    engine: 'sagemaker',
    trainingJob: plan.names.trainingJob,
    model: plan.names.model,
    transformJobs: [],
    modelDataUrl: trained.modelDataUrl,
    billableSeconds: trained.billableSeconds ?? 0,
    outputs: {},
    timings: rec.manifest.timings,
  };
  if (input.transform && test) {
    Object.assign(result, await transformAndScore(plan, test.shardRows, data.validationRows, input.labelsFile, input.wait, rec, deps));
  }
  finishCost(plan, rec, result);
  await rec.save();
  return result;
}

/** Transform, download, argmax, evaluate; shared by `run` and `predict`. */
export async function transformAndScore(
  plan: RunPlan,
  shardRows: number[],
  validationRows: number,
  labelsFile: string | undefined,
  wait: WaitSettings,
  rec: ManifestRecorder,
  deps: SageMakerDeps,
): Promise<Partial<SageMakerRunResult>> {
  const t0 = deps.clock.now();
  const tr = await runTransformJobs(plan, shardRows, validationRows, wait, rec, deps);
  await rec.timing('transform', secs(deps, t0));
  return scoreTransformOutputs(plan, tr, labelsFile, rec, deps);
}

/** Billable time, argmax → submission(s), evaluation → metrics; shared by run, predict and attach. */
export async function scoreTransformOutputs(
  plan: RunPlan,
  tr: TransformResult,
  labelsFile: string | undefined,
  rec: ManifestRecorder,
  deps: SageMakerDeps,
): Promise<Partial<SageMakerRunResult>> {
  rec.manifest.billableSeconds = (rec.manifest.billableSeconds ?? 0) + tr.billableSeconds;
  const outputs = rec.manifest.outputs;
  const dir = rec.runDir;
  const rel = (p: string) => p.slice(dir.length + 1);
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
      { submission: vsub, labels: join(dir, 'sagemaker-input', 'validation-labels.csv'), probabilities: tr.validationOutput, output: join(dir, 'validation-metrics.json'), force: true },
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
  rec.manifest.summary = { ...(validationMetrics ? prefixKeys('validation_', validationMetrics) : {}), ...(metrics ?? {}) };
  await rec.save();
  return {
    transformJobs: [plan.names.transformTest, ...(plan.names.transformValidation ? [plan.names.transformValidation] : [])],
    outputs: { ...outputs },
    metrics,
    validationMetrics,
  };
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

/** Replaces the upper-bound estimate with the cost of the billed seconds (same dated table). */
export function finishCost(plan: RunPlan, rec: ManifestRecorder, result: SageMakerRunResult): void {
  result.billableSeconds = rec.manifest.billableSeconds ?? 0;
  if (recordBilledCost(plan, rec)) result.costEstimate = rec.manifest.costEstimate as SageMakerRunResult['costEstimate'];
}
