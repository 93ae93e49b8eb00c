/**
 * The cloud half of the managed engine: CreateTrainingJob → wait → CreateModel, and the batch
 * transforms (test shards + validation) → wait → download `<input>.out`. Every created resource
 * is recorded in the manifest right after the Create call returns.
 */
import { createReadStream } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  CreateModelCommand,
  CreateTrainingJobCommand,
  CreateTransformJobCommand,
  StopTrainingJobCommand,
  StopTransformJobCommand,
} from '@aws-sdk/client-sagemaker';
import { buildCreateModel, buildCreateTrainingJob, buildCreateTransformJob } from '../domain/sagemaker-requests.js';
import { shardName, type RunPlan } from '../domain/sagemaker-plan.js';
import { waitForJob, logGroupOf, type JobKind, type JobOutcome } from '../adapters/sagemaker/wait-for-job.js';
import { describeAwsError } from '../adapters/sagemaker/aws-error.js';
import { LogFollower } from '../adapters/cloudwatch-logs.js';
import { withAtomicWriteStream, writeChunk } from '../adapters/atomic-file.js';
import { CloudError, InterruptedError } from '../errors/index.js';
import { billedByFailure, recordBilledCost } from './sagemaker-billing.js';
import type { ManifestRecorder, SageMakerDeps } from './sagemaker-deps.js';

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
    const follower =
      settings.logs && deps.logs ? new LogFollower(deps.logs, logGroupOf(job.kind), `${job.name}/`, deps.reporter) : undefined;
    try {
      outcomes.push(
        await waitForJob(
          deps.sagemaker,
          { ...job, region, pollSeconds: settings.pollSeconds, onPoll: follower ? () => follower.poll().then(() => undefined) : undefined },
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
            if (p.kind === 'training') await deps.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: p.name }));
            else await deps.sagemaker.send(new StopTransformJobCommand({ TransformJobName: p.name }));
            deps.reporter.emit({ kind: 'info', message: `stop requested for ${p.kind} job ${p.name}` });
          } catch (err) {
            deps.reporter.emit({ kind: 'warn', code: 'STOP_FAILED', message: describeAwsError(err, `Stop ${p.name}`).message });
          }
        }
        throw new InterruptedError(`stopped ${pending.map((p) => p.name).join(', ')} at your request`, {
          details: { jobs: pending.map((p) => p.name), decision },
        });
      }
      throw new InterruptedError(`detached from ${pending.map((p) => p.name).join(', ')}: still running in SageMaker`, {
        hint: pending.map((p) => `digitflow attach ${p.name}`).join('  |  '),
        details: { jobs: pending.map((p) => p.name), decision, attach: pending.map((p) => `digitflow attach ${p.name}`) },
      });
    }
  }
  return outcomes;
}

/** waitForJobs that, when a job fails or is stopped, first adds what was billed to the manifest. */
async function waitRecordingFailedBilling(
  jobs: { kind: JobKind; name: string }[],
  plan: RunPlan,
  settings: WaitSettings,
  rec: ManifestRecorder,
  deps: SageMakerDeps,
): Promise<JobOutcome[]> {
  try {
    return await waitForJobs(jobs, plan.region, settings, deps);
  } catch (e) {
    const billed = billedByFailure(e);
    if (billed > 0) {
      await rec.bill(billed);
      recordBilledCost(plan, rec);
      await rec.save();
    }
    throw e;
  }
}


export interface TrainResult {
  modelDataUrl: string;
  trainingSeconds?: number;
  billableSeconds?: number;
  elapsedSeconds: number;
}

/** CreateTrainingJob → wait → CreateModel. */
export async function runTrainingJob(plan: RunPlan, settings: WaitSettings, rec: ManifestRecorder, deps: SageMakerDeps): Promise<TrainResult> {
  if (deps.signal?.aborted) throw new InterruptedError('interrupted before the training job was created (nothing is running)');
  deps.reporter.emit({ kind: 'step', step: 'train', message: `creating training job ${plan.names.trainingJob}` });
  try {
    await deps.sagemaker.send(new CreateTrainingJobCommand(buildCreateTrainingJob(plan)));
  } catch (e) {
    throw describeAwsError(e, `CreateTrainingJob ${plan.names.trainingJob}`);
  }
  await rec.addResource('training-job', plan.names.trainingJob, plan.region, false);
  const [outcome] = await waitRecordingFailedBilling([{ kind: 'training', name: plan.names.trainingJob }], plan, settings, rec, deps);
  const modelDataUrl = outcome.training?.ModelArtifacts?.S3ModelArtifacts;
  if (!modelDataUrl) {
    throw new CloudError('NO_MODEL_ARTIFACT', `training job ${plan.names.trainingJob} completed without ModelArtifacts`, {
      details: { job: plan.names.trainingJob },
    });
  }
  await createModel(plan, modelDataUrl, rec, deps);
  return {
    modelDataUrl,
    trainingSeconds: outcome.training?.TrainingTimeInSeconds,
    billableSeconds: outcome.billableSeconds,
    elapsedSeconds: outcome.elapsedSeconds,
  };
}

/** CreateModel (skipped when the manifest says it already exists: `predict` reruns). */
export async function createModel(plan: RunPlan, modelDataUrl: string, rec: ManifestRecorder, deps: SageMakerDeps): Promise<void> {
  if (rec.manifest.resources.some((r) => r.kind === 'model' && r.id === plan.names.model)) return;
  try {
    await deps.sagemaker.send(new CreateModelCommand(buildCreateModel(plan, modelDataUrl)));
  } catch (e) {
    throw describeAwsError(e, `CreateModel ${plan.names.model}`);
  }
  await rec.addResource('model', plan.names.model, plan.region, true);
}

export interface TransformResult {
  /** Local JSON Lines files: test (shards reassembled in ImageId order) and validation. */
  testOutput: string;
  validationOutput?: string;
  billableSeconds: number;
  elapsedSeconds: number;
}

/** Creates the test (and validation) transform jobs, waits, and downloads the `.out` files into runDir. */
export async function runTransformJobs(
  plan: RunPlan,
  shardRows: number[],
  validationRows: number,
  settings: WaitSettings,
  rec: ManifestRecorder,
  deps: SageMakerDeps,
): Promise<TransformResult> {
  const targets = (['test', 'validation'] as const).filter((t) => t === 'test' || plan.names.transformValidation);
  const jobs: { kind: JobKind; name: string }[] = [];
  for (const target of targets) {
    // After Ctrl-C create nothing new; jobs already created are handled by the wait below.
    if (deps.signal?.aborted) {
      if (jobs.length === 0) throw new InterruptedError('interrupted before any transform job was created');
      break;
    }
    const req = buildCreateTransformJob(plan, target);
    deps.reporter.emit({ kind: 'step', step: 'transform', message: `creating transform job ${req.TransformJobName} (${target})` });
    try {
      await deps.sagemaker.send(new CreateTransformJobCommand(req));
    } catch (e) {
      throw describeAwsError(e, `CreateTransformJob ${req.TransformJobName}`);
    }
    await rec.addResource('transform-job', req.TransformJobName!, plan.region, false);
    jobs.push({ kind: 'transform', name: req.TransformJobName! });
  }
  const outcomes = await waitRecordingFailedBilling(jobs, plan, settings, rec, deps);
  return downloadTransformOutputs(plan, shardRows, validationRows, outcomes, rec, deps);
}

/** Downloads the finished transforms' `.out` files into the run directory (also used by `attach`). */
export async function downloadTransformOutputs(
  plan: RunPlan,
  shardRows: number[],
  validationRows: number,
  outcomes: JobOutcome[],
  rec: ManifestRecorder,
  deps: SageMakerDeps,
): Promise<TransformResult> {
  deps.reporter.emit({ kind: 'step', step: 'download', message: 'downloading batch transform output' });
  const testOutput = join(rec.runDir, 'probabilities.jsonl');
  await downloadConcatenated(
    shardRows.map((rows, i) => ({ uri: `${plan.s3.transformTestOutput}${shardName(i)}.out`, rows })),
    testOutput,
    deps,
  );
  let validationOutput: string | undefined;
  if (plan.s3.transformValidationOutput) {
    validationOutput = join(rec.runDir, 'validation-probabilities.jsonl');
    await downloadConcatenated(
      [{ uri: `${plan.s3.transformValidationOutput}validation-features.csv.out`, rows: validationRows }],
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
  throw new CloudError('TRANSFORM_OUTPUT_MISSING', `no ${name} under ${prefix} (found: ${keys.slice(0, 5).join(', ') || 'nothing'})`, {
    hint: 'the transform job completed without output for this input file; check its CloudWatch logs (/aws/sagemaker/TransformJobs)',
    details: { expected: uri, found: keys.slice(0, 20) },
  });
}

/**
 * Downloads the parts in order into one file. Each part must have exactly `rows` lines: a short
 * `.out` would silently shift every later ImageId, so it is an error instead.
 */
async function downloadConcatenated(parts: { uri: string; rows: number }[], path: string, deps: SageMakerDeps): Promise<void> {
  const partDir = join(dirname(path), 'sagemaker-output');
  await withAtomicWriteStream(path, { force: true }, async (stream) => {
    for (const part of parts) {
      const local = join(partDir, part.uri.split('/').pop()!);
      await deps.storage.download(await locateOutput(part.uri, deps), local);
      let lines = 0;
      let lastByte = 10;
      for await (const chunk of createReadStream(local) as AsyncIterable<Buffer>) {
        for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
        if (chunk.length) lastByte = chunk[chunk.length - 1];
        await writeChunk(stream, chunk);
      }
      if (lastByte !== 10) {
        lines++;
        await writeChunk(stream, '\n');
      }
      if (lines !== part.rows) {
        throw new CloudError('TRANSFORM_OUTPUT_ROWS', `${part.uri} has ${lines} lines, expected ${part.rows} (one per input row)`, {
          hint: 'the transform output is incomplete or mixed with another job; rerun `digitflow predict --engine sagemaker`',
          details: { uri: part.uri, lines, expected: part.rows },
        });
      }
    }
  });
}
