/**
 * The cloud half of the managed engine: CreateTrainingJob → wait → CreateModel, and one batch
 * transform (test shards + validation rows) → wait → download `<input>.out`. Every created
 * resource is recorded in the manifest right after the Create call returns; a Create the SDK
 * retried after it went through (ResourceInUse) is adopted when the resource carries this run's tag.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import {
  buildCreateModel,
  buildCreateTrainingJob,
  buildCreateTransformJob,
  RUN_TAG_KEY,
  runTags,
} from '../../domain/sagemaker-requests.js';
import { shardName, type RunPlan } from '../../domain/sagemaker-plan.js';
import type { CreateOutcome } from '../../adapters/sagemaker/jobs.js';
import type { JobKind, JobOutcome } from '../../adapters/sagemaker/wait-for-job.js';
import { withAtomicWriteStream, writeChunk } from '../../adapters/atomic-file.js';
import type { CloudResourceKind } from '../../domain/manifest.js';
import { CloudError, InterruptedError, isPipelineError, UserInputError } from '../../errors/index.js';
import { billedByFailure, recordBilled, recordBilledCost } from './billing.js';
import type { RunRecorder, SageMakerDeps } from './deps.js';

// Create* calls take no abort signal on purpose: a Ctrl-C mid-request would leave it unknown
// whether the job exists. They are quick; the wait that follows handles the interrupt.

export interface WaitSettings {
  pollSeconds: number;
  logs: boolean;
}

/**
 * Waits for jobs one after the other (they run concurrently in SageMaker). On Ctrl-C asks
 * (through deps.onInterrupt) whether to stop the unfinished jobs or detach from them.
 */
export async function waitForJobs(
  jobs: { kind: JobKind; name: string }[],
  region: string,
  settings: WaitSettings,
  deps: SageMakerDeps,
): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = [];
  for (const [i, job] of jobs.entries()) {
    const follower = settings.logs ? deps.sagemaker.logFollower(job.kind, job.name, deps.reporter) : undefined;
    try {
      outcomes.push(
        await deps.sagemaker.waitForJob(
          {
            ...job,
            region,
            pollSeconds: settings.pollSeconds,
            onPoll: follower ? () => follower.poll().then(() => undefined) : undefined,
          },
          deps,
        ),
      );
      if (follower) await follower.poll().catch(() => 0);
    } catch (e) {
      if (!(e instanceof InterruptedError)) {
        // A failed or stopped job is billed too, and so are the jobs of this wait that finished
        // before it: the total rides on the error so the caller can record it (billedByFailure).
        if (e instanceof CloudError) {
          const details = (e.details ?? {}) as Record<string, unknown>;
          const failed = typeof details.billableSeconds === 'number' ? details.billableSeconds : 0;
          const done = outcomes.reduce((s, o) => s + (o.billableSeconds ?? 0), 0);
          if (failed + done > 0) Object.assign(e, { details: { ...details, billableSecondsTotal: failed + done } });
        }
        throw e;
      }
      const pending = jobs.slice(i);
      const decision = deps.onInterrupt ? await deps.onInterrupt(pending) : 'detach';
      if (decision === 'stop') {
        for (const p of pending) {
          try {
            await deps.sagemaker.stopJob(p.kind, p.name);
            deps.reporter.emit({ kind: 'info', message: `stop requested for ${p.kind} job ${p.name}` });
          } catch (err) {
            deps.reporter.emit({ kind: 'warn', code: 'STOP_FAILED', message: (err as Error).message });
          }
        }
        throw new InterruptedError(`stopped ${pending.map((p) => p.name).join(', ')} at your request`, {
          details: { jobs: pending.map((p) => p.name), decision },
        });
      }
      throw new InterruptedError(`detached from ${pending.map((p) => p.name).join(', ')}: still running in SageMaker`, {
        hint: pending.map((p) => `digitflow attach ${p.name}`).join('  |  '),
        details: {
          jobs: pending.map((p) => p.name),
          decision,
          attach: pending.map((p) => `digitflow attach ${p.name}`),
        },
      });
    }
  }
  return outcomes;
}

/** waitForJobs that, when a job fails or is stopped, first adds what was billed to the manifest. */
async function waitRecordingFailedBilling(
  jobs: { kind: JobKind; name: string; instanceType: string }[],
  plan: RunPlan,
  settings: WaitSettings,
  rec: RunRecorder,
  deps: SageMakerDeps,
): Promise<JobOutcome[]> {
  try {
    return await waitForJobs(jobs, plan.region, settings, deps);
  } catch (e) {
    const billed = billedByFailure(e);
    const job = (e as { details?: { job?: string } }).details?.job ?? jobs[0].name;
    if (billed > 0)
      await recordBilled(
        plan,
        rec,
        job,
        jobs.find((j) => j.name === job)?.instanceType ?? jobs[0].instanceType,
        billed,
      );
    throw e;
  }
}

/**
 * Creates one resource and records it. ResourceInUse (the SDK retried a Create whose first try
 * went through) is adopted when the resource carries this run's tag; otherwise the name belongs to
 * someone else. When a Create fails after the run already created something, the error names what
 * exists and how to attach to it or clean it up.
 */
export async function createRecorded(
  plan: RunPlan,
  kind: CloudResourceKind & ('training-job' | 'model' | 'transform-job' | 'tuning-job'),
  name: string,
  create: () => Promise<CreateOutcome>,
  rec: RunRecorder,
  deps: SageMakerDeps,
): Promise<void> {
  let outcome: CreateOutcome;
  try {
    outcome = await create();
  } catch (e) {
    throw withCreatedResources(e, rec);
  }
  if (!outcome.created) {
    const ours = runTags(plan).find((t) => t.Key === RUN_TAG_KEY)!.Value;
    if (outcome.existingTags?.[RUN_TAG_KEY] !== ours) {
      throw withCreatedResources(
        new UserInputError('NAME_IN_USE', `${kind} ${name} already exists and was not created by this run`, {
          hint: 'SageMaker names can never be reused: start a new run (another --out)',
          details: { name, kind, tags: outcome.existingTags },
        }),
        rec,
      );
    }
    deps.reporter.emit({
      kind: 'info',
      message: `${kind} ${name} already exists with this run's tag (a retried request went through): adopting it`,
    });
    const sm = rec.sagemaker();
    sm.adopted = [...(sm.adopted ?? []), name];
  }
  await rec.addResource(kind, name, plan.region, kind === 'model');
}

/** Adds "the run already created ..." with the attach/cleanup commands to a Create failure. */
function withCreatedResources(e: unknown, rec: RunRecorder): unknown {
  if (!isPipelineError(e) || rec.manifest.resources.length === 0) return e;
  const jobs = rec.manifest.resources
    .filter((r) => r.kind === 'training-job' || r.kind === 'transform-job' || r.kind === 'tuning-job')
    .map((r) => r.id);
  const created = rec.manifest.resources.map((r) => `${r.kind} ${r.id}`).join(', ');
  const attach = jobs.length
    ? `; follow it with: ${jobs.map((j) => `digitflow attach ${j} -o ${rec.runDir}`).join('  |  ')}`
    : '';
  Object.assign(e, {
    hint:
      `${e.hint ? e.hint + '. ' : ''}This run already created ${created}${attach}; ` +
      `delete what can be deleted with: digitflow cleanup ${rec.runDir}`,
    details: { ...(e.details ?? {}), created: rec.manifest.resources.map((r) => ({ kind: r.kind, id: r.id })) },
  });
  return e;
}

export interface TrainResult {
  modelDataUrl: string;
  trainingSeconds?: number;
  billableSeconds?: number;
  elapsedSeconds: number;
  finalMetrics?: Record<string, number>;
}

/** CreateTrainingJob → wait → CreateModel. */
export async function runTrainingJob(
  plan: RunPlan,
  settings: WaitSettings,
  rec: RunRecorder,
  deps: SageMakerDeps,
): Promise<TrainResult> {
  if (deps.signal?.aborted)
    throw new InterruptedError('interrupted before the training job was created (nothing is running)');
  deps.reporter.emit({ kind: 'step', step: 'train', message: `creating training job ${plan.names.trainingJob}` });
  const req = buildCreateTrainingJob(plan);
  await createRecorded(
    plan,
    'training-job',
    plan.names.trainingJob,
    () => deps.sagemaker.createTrainingJob(req),
    rec,
    deps,
  );
  const [outcome] = await waitRecordingFailedBilling(
    [{ kind: 'training', name: plan.names.trainingJob, instanceType: plan.training.instanceType }],
    plan,
    settings,
    rec,
    deps,
  );
  return finishTraining(plan, outcome, rec, deps);
}

/** After a completed training job: bill it, keep its final metrics, create the model (run and attach). */
export async function finishTraining(
  plan: RunPlan,
  outcome: JobOutcome,
  rec: RunRecorder,
  deps: SageMakerDeps,
): Promise<TrainResult> {
  const modelDataUrl = outcome.training?.ModelArtifacts?.S3ModelArtifacts;
  await recordBilled(plan, rec, plan.names.trainingJob, plan.training.instanceType, outcome.billableSeconds);
  const finalMetrics: Record<string, number> = {};
  for (const m of outcome.training?.FinalMetricDataList ?? [])
    if (m.MetricName && typeof m.Value === 'number') finalMetrics[m.MetricName] = m.Value;
  const sm = rec.sagemaker();
  if (Object.keys(finalMetrics).length) sm.finalMetrics = finalMetrics;
  if (!modelDataUrl) {
    throw new CloudError(
      'NO_MODEL_ARTIFACT',
      `training job ${plan.names.trainingJob} completed without ModelArtifacts`,
      {
        details: { job: plan.names.trainingJob },
      },
    );
  }
  sm.modelDataUrl = modelDataUrl;
  await rec.save();
  await createModel(plan, modelDataUrl, rec, deps);
  return {
    modelDataUrl,
    trainingSeconds: outcome.training?.TrainingTimeInSeconds,
    billableSeconds: outcome.billableSeconds,
    elapsedSeconds: outcome.elapsedSeconds,
    finalMetrics: Object.keys(finalMetrics).length ? finalMetrics : undefined,
  };
}

/** CreateModel (skipped when the manifest says it already exists: `predict` reruns). */
export async function createModel(
  plan: RunPlan,
  modelDataUrl: string,
  rec: RunRecorder,
  deps: SageMakerDeps,
): Promise<void> {
  if (rec.manifest.resources.some((r) => r.kind === 'model' && r.id === plan.names.model)) return;
  const req = buildCreateModel(plan, modelDataUrl);
  await createRecorded(plan, 'model', plan.names.model, () => deps.sagemaker.createModel(req), rec, deps);
}

export interface TransformResult {
  /** Local JSON Lines files: test (shards reassembled in ImageId order) and validation. */
  testOutput: string;
  validationOutput?: string;
  billableSeconds: number;
  elapsedSeconds: number;
}

/** Creates the one transform job (test shards + validation rows), waits, downloads the `.out` files into runDir. */
export async function runTransformJobs(
  plan: RunPlan,
  shardRows: number[],
  validationRows: number,
  settings: WaitSettings,
  rec: RunRecorder,
  deps: SageMakerDeps,
): Promise<TransformResult> {
  if (deps.signal?.aborted) throw new InterruptedError('interrupted before the transform job was created');
  const req = buildCreateTransformJob(plan);
  deps.reporter.emit({
    kind: 'step',
    step: 'transform',
    message:
      `creating transform job ${plan.names.transform} (${plan.transform.instanceCount} x ` +
      `${plan.transform.instanceType}: test${validationRows ? ' + validation' : ''})`,
  });
  await createRecorded(
    plan,
    'transform-job',
    plan.names.transform,
    () => deps.sagemaker.createTransformJob(req),
    rec,
    deps,
  );
  const outcomes = await waitRecordingFailedBilling(
    [{ kind: 'transform', name: plan.names.transform, instanceType: plan.transform.instanceType }],
    plan,
    settings,
    rec,
    deps,
  );
  return downloadTransformOutputs(plan, shardRows, validationRows, outcomes, rec, deps);
}

/** Downloads the finished transform's `.out` files into the run directory (also used by `attach`). */
export async function downloadTransformOutputs(
  plan: RunPlan,
  shardRows: number[],
  validationRows: number,
  outcomes: JobOutcome[],
  rec: RunRecorder,
  deps: SageMakerDeps,
): Promise<TransformResult> {
  for (const o of outcomes) await recordBilled(plan, rec, o.name, plan.transform.instanceType, o.billableSeconds);
  deps.reporter.emit({ kind: 'step', step: 'download', message: 'downloading batch transform output' });
  const testOutput = join(rec.runDir, 'probabilities.jsonl');
  await downloadConcatenated(
    shardRows.map((rows, i) => ({ uri: `${plan.s3.transformOutput}${shardName(i)}.out`, rows })),
    testOutput,
    deps,
  );
  let validationOutput: string | undefined;
  if (plan.s3.validationFeatures && validationRows > 0) {
    validationOutput = join(rec.runDir, 'validation-probabilities.jsonl');
    await downloadConcatenated(
      [{ uri: `${plan.s3.transformOutput}${plan.s3.validationFeatures}.out`, rows: validationRows }],
      validationOutput,
      deps,
    );
  }
  return {
    testOutput,
    validationOutput,
    billableSeconds: outcomes.reduce((s, o) => s + (o.billableSeconds ?? 0), 0),
    elapsedSeconds: outcomes.reduce((s, o) => Math.max(s, o.elapsedSeconds), 0),
  };
}

/**
 * `<S3OutputPath>/<input name>.out` is where SageMaker writes it; its docs also describe the input
 * prefix mirrored below the output path. Look under the job's output prefix for either, and say
 * what is there when neither exists (e.g. the job wrote nothing for an input file).
 */
async function locateOutput(uri: string, deps: SageMakerDeps): Promise<string> {
  const slash = uri.lastIndexOf('/');
  const prefix = uri.slice(0, slash + 1);
  const name = uri.slice(slash + 1);
  const bucket = prefix.slice('s3://'.length).split('/')[0];
  const keys = await deps.storage.listKeys(prefix);
  const found = keys.map((k) => `s3://${bucket}/${k}`).find((k) => k === uri || k.endsWith(`/${name}`));
  if (found) return found;
  throw new CloudError(
    'TRANSFORM_OUTPUT_MISSING',
    `no ${name} under ${prefix} (found: ${keys.slice(0, 5).join(', ') || 'nothing'})`,
    {
      hint:
        'the transform job completed without output for this input file; ' +
        'check its CloudWatch logs (/aws/sagemaker/TransformJobs)',
      details: { expected: uri, found: keys.slice(0, 20) },
    },
  );
}

/**
 * Downloads the parts in order into one file, one record per line. Blank lines (AssembleWith=Line
 * adds a newline after every record, so a trailing one is normal) are dropped; each part must then
 * have exactly `rows` records: a short `.out` would silently shift every later ImageId.
 */
async function downloadConcatenated(
  parts: { uri: string; rows: number }[],
  path: string,
  deps: SageMakerDeps,
): Promise<void> {
  const partDir = join(dirname(path), 'sagemaker-output');
  await withAtomicWriteStream(path, { force: true }, async (stream) => {
    for (const part of parts) {
      const local = join(partDir, part.uri.split('/').pop()!);
      await deps.storage.download(await locateOutput(part.uri, deps), local);
      let records = 0;
      const batch: string[] = [];
      for await (const line of createInterface({ input: createReadStream(local), crlfDelay: Infinity })) {
        if (line.trim() === '') continue;
        records++;
        batch.push(line);
        if (batch.length === 512) {
          await writeChunk(stream, batch.join('\n') + '\n');
          batch.length = 0;
        }
      }
      if (batch.length) await writeChunk(stream, batch.join('\n') + '\n');
      if (records !== part.rows) {
        throw new CloudError(
          'TRANSFORM_OUTPUT_ROWS',
          `${part.uri} has ${records} records, expected ${part.rows} (one per input row)`,
          {
            hint:
              'the transform output is incomplete or mixed with another job; ' +
              'rerun `digitflow predict --engine sagemaker`',
            details: { uri: part.uri, records, expected: part.rows },
          },
        );
      }
    }
  });
}

export { recordBilledCost };
