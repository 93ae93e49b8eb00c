/**
 * Waits for a training or transform job with our own polling loop. The SDK waiters count
 * `Stopped` as success and poll every 2 minutes by default; here every terminal state is explicit
 * and failure carries what a user needs to act: FailureReason, the log group/stream, a console URL.
 */
import {
  DescribeTrainingJobCommand,
  DescribeTransformJobCommand,
  type DescribeTrainingJobCommandOutput,
  type DescribeTransformJobCommandOutput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { CloudError, InterruptedError, UserInputError } from '../../errors/index.js';
import type { StageDeps } from '../../runtime/deps.js';
import { consoleHost } from '../../domain/linear-learner-images.js';
import { describeAwsError } from './aws-error.js';

export type JobKind = 'training' | 'transform';

/** Consecutive failed Describe polls (each already retried by the SDK) before the wait gives up. */
export const MAX_FAILED_POLLS = 3;

/** Every status SageMaker reports, mapped to what it means for the waiter. Unlisted = keep polling. */
export const TERMINAL_STATES: Readonly<Record<string, 'success' | 'failed' | 'stopped'>> = Object.freeze({
  Completed: 'success',
  Failed: 'failed',
  Stopped: 'stopped',
});

export interface JobOutcome {
  kind: JobKind;
  name: string;
  status: string;
  secondaryStatus?: string;
  /** Seconds this waiter watched the job (clock time). */
  elapsedSeconds: number;
  /** Seconds billed: training = BillableTimeInSeconds x instances; transform = run time x instances. */
  billableSeconds?: number;
  training?: DescribeTrainingJobCommandOutput;
  transform?: DescribeTransformJobCommandOutput;
}

export interface WaitOptions {
  kind: JobKind;
  name: string;
  region: string;
  pollSeconds: number;
  /** Called after every poll (e.g. to flush CloudWatch logs). Errors are reported, not fatal. */
  onPoll?: () => Promise<void>;
}

/** CloudWatch log group of a job kind. */
export function logGroupOf(kind: JobKind): string {
  return kind === 'training' ? '/aws/sagemaker/TrainingJobs' : '/aws/sagemaker/TransformJobs';
}

/** Console page of a job. */
export function consoleUrl(kind: JobKind, name: string, region: string): string {
  const page = kind === 'training' ? 'jobs' : 'transform-jobs';
  return `https://${region}.${consoleHost(region)}/sagemaker/home?region=${region}#/${page}/${name}`;
}

/**
 * A Describe/Delete on something that does not exist: the API model declares ResourceNotFound,
 * the real service answers ValidationException "Requested resource not found". Both count.
 */
export function isMissingResource(e: unknown): boolean {
  const err = e as { name?: string; message?: string };
  if (err?.name === 'ResourceNotFound' || err?.name === 'ResourceNotFoundException') return true;
  return (
    err?.name === 'ValidationException' && /not found|does not exist|could not find/i.test(String(err.message ?? ''))
  );
}

/** Errors no retry can fix: polling again only delays the message (no credentials, no permission). */
const FATAL_CODES = new Set(['AWS_NO_CREDENTIALS', 'AWS_ACCESS_DENIED']);

function seconds(a?: Date, b?: Date): number | undefined {
  if (!a || !b) return undefined;
  return Math.max(0, Math.round((b.getTime() - a.getTime()) / 1000));
}

async function describe(client: SageMakerClient, kind: JobKind, name: string, signal?: AbortSignal) {
  try {
    if (kind === 'training') {
      const d = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: name }), { abortSignal: signal });
      const instances = d.ResourceConfig?.InstanceCount ?? 1;
      return {
        status: d.TrainingJobStatus ?? 'Unknown',
        secondary: d.SecondaryStatus,
        reason: d.FailureReason,
        lastMessage: d.SecondaryStatusTransitions?.at(-1)?.StatusMessage,
        billable: d.BillableTimeInSeconds !== undefined ? d.BillableTimeInSeconds * instances : undefined,
        training: d,
        transform: undefined,
      };
    }
    const d = await client.send(new DescribeTransformJobCommand({ TransformJobName: name }), { abortSignal: signal });
    const run = seconds(d.TransformStartTime, d.TransformEndTime);
    return {
      status: d.TransformJobStatus ?? 'Unknown',
      secondary: undefined,
      reason: d.FailureReason,
      lastMessage: undefined as string | undefined,
      billable: run !== undefined ? run * (d.TransformResources?.InstanceCount ?? 1) : undefined,
      training: undefined,
      transform: d,
    };
  } catch (e) {
    if (signal?.aborted) throw signal.reason ?? e;
    if (isMissingResource(e)) {
      throw new UserInputError('JOB_NOT_FOUND', `no ${kind} job named ${name} in this region`, {
        hint: 'check the name and pass the --region the job was created in',
        details: { job: name, kind },
      });
    }
    throw describeAwsError(e, `Describe${kind === 'training' ? 'Training' : 'Transform'}Job ${name}`);
  }
}

/**
 * Polls until the job reaches a terminal state. Completed resolves; Failed/Stopped reject with a
 * CloudError; Ctrl-C (deps.signal) rejects with an InterruptedError naming the job to attach to.
 */
export async function waitForJob(client: SageMakerClient, opts: WaitOptions, deps: StageDeps): Promise<JobOutcome> {
  const start = deps.clock.now();
  let last = '';
  let failures = 0;
  let logsWarned = false;
  for (;;) {
    if (deps.signal?.aborted) throw interrupted(opts);
    let d: Awaited<ReturnType<typeof describe>>;
    try {
      d = await describe(client, opts.kind, opts.name, deps.signal);
      failures = 0;
    } catch (e) {
      if (deps.signal?.aborted) throw interrupted(opts);
      // The SDK already retried this call; a long wait should still survive a bad minute of
      // network or throttling, so only give up after several polls in a row have failed.
      if (!(e instanceof CloudError) || FATAL_CODES.has(e.code) || ++failures >= MAX_FAILED_POLLS) throw e;
      deps.reporter.emit({
        kind: 'warn',
        code: 'POLL_FAILED',
        message: `${e.message} (poll ${failures}/${MAX_FAILED_POLLS}, retrying)`,
      });
      await sleepOrInterrupt(opts, deps);
      continue;
    }
    // Logs first: the lines that explain a transition print before it.
    if (opts.onPoll) {
      try {
        await opts.onPoll();
      } catch (e) {
        // Once per wait: a missing logs:GetLogEvents permission should not flood the terminal.
        if (!logsWarned)
          deps.reporter.emit({
            kind: 'warn',
            code: 'LOGS_UNAVAILABLE',
            message: `could not read logs (job status still shown): ${(e as Error).message}`,
          });
        logsWarned = true;
      }
    }
    const elapsedSeconds = (deps.clock.now() - start) / 1000;
    const key = `${d.status}/${d.secondary ?? ''}`;
    if (key !== last) {
      deps.reporter.emit({
        kind: 'status',
        resource: opts.name,
        status: d.status,
        secondary: d.secondary,
        elapsedSeconds,
      });
      last = key;
    }
    const terminal = TERMINAL_STATES[d.status];
    if (terminal === 'success') {
      deps.reporter.emit({
        kind: 'info',
        message:
          `${opts.kind} job ${opts.name} completed` +
          (d.billable !== undefined ? `: ${d.billable} billable instance-seconds` : ''),
        data: { job: opts.name, billableSeconds: d.billable },
      });
      return {
        kind: opts.kind,
        name: opts.name,
        status: d.status,
        secondaryStatus: d.secondary,
        elapsedSeconds,
        billableSeconds: d.billable,
        training: d.training,
        transform: d.transform,
      };
    }
    if (terminal) throw jobError(opts, d.status, d.reason, d.billable, d.secondary, d.lastMessage);
    await sleepOrInterrupt(opts, deps);
  }
}

async function sleepOrInterrupt(opts: WaitOptions, deps: StageDeps): Promise<void> {
  try {
    await deps.clock.sleep(opts.pollSeconds * 1000, deps.signal);
  } catch (e) {
    if (deps.signal?.aborted) throw interrupted(opts);
    throw e;
  }
}

function interrupted(opts: WaitOptions): InterruptedError {
  return new InterruptedError(`stopped waiting for ${opts.kind} job ${opts.name}; the job keeps running in SageMaker`, {
    hint: `reattach with: digitflow attach ${opts.name}`,
    details: { job: opts.name, kind: opts.kind, attach: `digitflow attach ${opts.name}` },
  });
}

/** What to change when a stopping condition stopped the job. */
const STOP_HINTS: Readonly<Record<string, string>> = {
  MaxRuntimeExceeded: 'the job reached --max-runtime: raise it (e.g. --max-runtime 7200) or train less (--epochs)',
  MaxWaitTimeExceeded:
    'spot capacity plus the run exceeded --max-wait: raise --max-wait, or train on demand (drop --spot)',
};

function jobError(
  opts: WaitOptions,
  status: string,
  reason: string | undefined,
  billable?: number,
  secondary?: string,
  lastMessage?: string,
): CloudError {
  const group = logGroupOf(opts.kind);
  const stream = `${opts.name}/`;
  const url = consoleUrl(opts.kind, opts.name, opts.region);
  const what =
    status === 'Stopped' ? `was stopped${secondary && secondary !== 'Stopped' ? ` (${secondary})` : ''}` : 'failed';
  const why = reason ?? (lastMessage && lastMessage !== secondary ? lastMessage : undefined);
  const stopHint = secondary ? STOP_HINTS[secondary] : undefined;
  const logs =
    `logs: CloudWatch group ${group}, streams ${stream}* (rerun with --logs to stream them); ` + `console: ${url}`;
  return new CloudError(
    opts.kind === 'training'
      ? status === 'Stopped'
        ? 'TRAINING_JOB_STOPPED'
        : 'TRAINING_JOB_FAILED'
      : status === 'Stopped'
        ? 'TRANSFORM_JOB_STOPPED'
        : 'TRANSFORM_JOB_FAILED',
    `${opts.kind} job ${opts.name} ${what}${why ? `: ${why}` : ''}` +
      (reason && lastMessage && lastMessage !== reason && lastMessage !== secondary
        ? ` (last status: ${lastMessage})`
        : ''),
    {
      hint: stopHint ? `${stopHint}; ${logs}` : logs,
      details: {
        job: opts.name,
        kind: opts.kind,
        status,
        secondaryStatus: secondary,
        lastStatusMessage: lastMessage,
        failureReason: reason,
        logGroup: group,
        logStreamPrefix: stream,
        consoleUrl: url,
        billableSeconds: billable,
      },
    },
  );
}
