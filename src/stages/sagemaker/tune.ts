/**
 * `tune --engine sagemaker`: the same pre-flight and upload as `run --engine sagemaker`, then one
 * HyperParameterTuningJob for Linear Learner (objective validation:multiclass_accuracy), waited on
 * with its trial counters and the best objective so far; then the best trial goes through
 * CreateModel + batch transform + argmax + evaluate exactly like `run` (the same stages). Every
 * resource (S3 prefix, tuning job, each trial's training job, model, transform job) is recorded in
 * the manifest as it appears, so `cleanup` and `attach` work on the tune folder.
 *
 * Ctrl-C while the tuning job runs is handled like a training job in `run`: at a terminal the user
 * chooses to stop it (StopHyperParameterTuningJob also stops its running trials) or to detach;
 * without a terminal the tuning job keeps running and `digitflow attach <tuning job> -o <dir>`
 * resumes from the wait.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescribeHyperParameterTuningJobResponse, DescribeTrainingJobResponse } from '@aws-sdk/client-sagemaker';
import {
  buildCreateTuningJob,
  buildTuningPlan,
  type TuningPlan,
  type TuningSettings,
} from '../../domain/linear-learner-tuning.js';
import type { RunPlan } from '../../domain/sagemaker-plan.js';

import type { TuningTrial } from '../../domain/manifest.js';
import { CloudError, InterruptedError } from '../../errors/index.js';
import type { RunRecorder } from '../../adapters/run-store.js';
import { createRecorded, finishTraining, type WaitSettings } from './jobs.js';
import { recordBilled, recordBilledCost } from './billing.js';
import {
  openRunFolder,
  preflight,
  prepareManagedRun,
  priceTypes,
  transformAndScore,
  type SageMakerRunInput,
} from './run.js';
import { resolvePrices } from './billing.js';
import { buildRunPlan } from '../../domain/sagemaker-plan.js';
import { shippedPriceSource } from '../../domain/instance-prices.js';
import type { SageMakerDeps } from './deps.js';
import type { StageDeps } from '../../runtime/deps.js';

export interface SageMakerTuneInput extends Omit<SageMakerRunInput, 'command'> {
  tuning: Omit<TuningSettings, 'seed'>;
}

export interface TuneTrialRow extends TuningTrial {
  rank: number;
}

export interface SageMakerTuneResult {
  engine: 'sagemaker';
  runId: string;
  runDir: string;
  tuningJob: string;
  strategy: string;
  status: string;
  maxJobs: number;
  maxParallel: number;
  objective: string;
  /** Trials, best objective first (trials without one last). */
  leaderboard: TuneTrialRow[];
  best?: { trainingJob: string; objective?: number; tuned: Record<string, string> };
  model?: string;
  transformJobs: string[];
  outputs: Record<string, string>;
  metrics?: Record<string, number>;
  validationMetrics?: Record<string, number>;
  billableSeconds: number;
  costEstimate?: { usd: number; basis: string; priceTableDate?: string };
  timings: Record<string, number>;
}

export interface SageMakerTuneDryRun {
  dryRun: true;
  runDir: string;
  plan: RunPlan;
  tuning: TuningPlan;
  checks: {
    files: { role: string; path: string; rows: number }[];
    region: string;
    credentials: { found: boolean; detail?: string };
  };
}

const runInput = (input: SageMakerTuneInput): SageMakerRunInput => ({ ...input, command: 'tune' });
const settingsOf = (input: SageMakerTuneInput): TuningSettings => ({ ...input.tuning, seed: input.seed });

/** `--dry-run`: the run's pre-flight on a scratch folder plus the tuning plan; nothing is created. */
export async function sagemakerTuneDryRunStage(
  input: SageMakerTuneInput,
  deps: StageDeps & Partial<SageMakerDeps>,
): Promise<SageMakerTuneDryRun> {
  const runId = input.runId ?? input.runDir.split(/[\\/]/).filter(Boolean).pop()!;
  const work = await mkdtemp(join(tmpdir(), 'digitflow-dryrun-'));
  try {
    const pf = await preflight(runInput(input), runId, work, deps);
    // Checked before any network call; rebuilt below with the resolved prices (same plan otherwise).
    buildTuningPlan(pf.plan, (input.plan.hyperparameters as Record<string, string>) ?? {}, settingsOf(input));
    let credentials: SageMakerTuneDryRun['checks']['credentials'] = { found: false, detail: 'not checked' };
    if (deps.sagemaker) {
      credentials = await deps.sagemaker.checkCredentials().then(
        (c) => ({ found: c.found }),
        (e: Error) => ({ found: false, detail: e.message }),
      );
    }
    // As `run --dry-run`: the Price List API when credentials exist, else the shipped table.
    const prices = credentials.found
      ? await resolvePrices(pf.plan.region, priceTypes(pf.plan), deps)
      : shippedPriceSource(
          pf.plan.region,
          deps.pricesOff ?? 'no AWS credentials, so the AWS Price List API was not asked',
          priceTypes(pf.plan),
        );
    const plan = buildRunPlan(pf.planInput, prices);
    const tuning = buildTuningPlan(
      plan,
      (input.plan.hyperparameters as Record<string, string>) ?? {},
      settingsOf(input),
    );
    const files = [
      { role: 'train', path: input.trainFile, rows: pf.data.trainRows + pf.data.validationRows },
      ...(input.testFile && pf.test ? [{ role: 'test', path: input.testFile, rows: pf.test.rows }] : []),
    ];
    return { dryRun: true, runDir: input.runDir, plan, tuning, checks: { files, region: plan.region, credentials } };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Pre-flight, upload, CreateHyperParameterTuningJob, then {@link continueTuning}. */
export async function sagemakerTuneStage(input: SageMakerTuneInput, deps: SageMakerDeps): Promise<SageMakerTuneResult> {
  const { runId, createdDir, existing } = await openRunFolder(runInput(input), deps);
  const hold: { rec?: RunRecorder } = {};
  try {
    const userHp = (input.plan.hyperparameters as Record<string, string>) ?? {};
    // The ranges are checked before any network call; the plan is rebuilt with the resolved prices.
    const { rec, plan } = await prepareManagedRun(
      runInput(input),
      runId,
      existing,
      deps,
      hold,
      (p) => void buildTuningPlan(p.plan, userHp, settingsOf(input)),
    );
    const t = buildTuningPlan(plan, userHp, settingsOf(input));
    const m = rec.manifest;
    m.command = 'tune';
    m.hyperparameters = { ...t.staticHyperparameters };
    if (t.costEstimate.usd !== undefined)
      m.costEstimate = {
        usd: t.costEstimate.usd,
        basis: t.costEstimate.basis,
        priceTableDate: t.costEstimate.priceTableDate,
      };
    rec.sagemaker().tuning = { name: t.name, plan: t };
    await rec.save();

    if (deps.signal?.aborted)
      throw new InterruptedError('interrupted before the tuning job was created (nothing is running)');
    deps.reporter.emit({
      kind: 'step',
      step: 'tune',
      message:
        `creating tuning job ${t.name} (${t.strategy}, up to ${t.maxJobs} trial(s), ` +
        `${t.maxParallel} at a time, ${plan.training.instanceCount} x ${plan.training.instanceType} each)`,
    });
    const req = buildCreateTuningJob(plan, t);
    await createRecorded(plan, 'tuning-job', t.name, () => deps.sagemaker.createTuningJob(req), rec, deps);
    return await continueTuning(plan, rec, input.labelsFile, input.wait, deps);
  } catch (e) {
    // Nothing created in the cloud: leave nothing behind. Something created: keep the manifest for cleanup/attach.
    if (hold.rec) await hold.rec.discardIfNothingCreated(createdDir);
    else if (createdDir) await rm(input.runDir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Wait → list trials (each recorded, billed) → best trial → model → transform → score. Used by
 * `tune` right after the Create, and by `attach <tuning job> -o <dir>`.
 */
export async function continueTuning(
  plan: RunPlan,
  rec: RunRecorder,
  labelsFile: string | undefined,
  wait: WaitSettings,
  deps: SageMakerDeps,
): Promise<SageMakerTuneResult> {
  const sm = rec.sagemaker();
  const t = sm.tuning!;
  const t0 = deps.clock.now();
  const described = await waitForTuningJob(t.name, t.plan.maxJobs, wait, deps);
  t.status = described.HyperParameterTuningJobStatus;
  // The trials are recorded (and billed) whatever the outcome: they exist and they cost.
  const trials = await recordTrials(plan, rec, t.name, deps);
  await rec.timing('tune', (deps.clock.now() - t0) / 1000);
  const reasons = [...new Set(trials.rows.flatMap((r) => (r.failureReason ? [r.failureReason] : [])))].slice(0, 3);
  const failed = tuningOutcomeError(described, reasons, rec.runDir);
  if (failed) throw failed;

  const bestName = described.BestTrainingJob?.TrainingJobName;
  const best = trials.rows.find((r) => r.trainingJob === bestName);
  const result: SageMakerTuneResult = {
    engine: 'sagemaker',
    runId: rec.manifest.runId,
    runDir: rec.runDir,
    tuningJob: t.name,
    strategy: t.plan.strategy,
    status: t.status ?? 'Unknown',
    maxJobs: t.plan.maxJobs,
    maxParallel: t.plan.maxParallel,
    objective: t.plan.objective.MetricName,
    leaderboard: leaderboard(trials.rows),
    transformJobs: [],
    outputs: {},
    billableSeconds: 0,
    timings: rec.manifest.timings,
  };
  if (!bestName || !best) {
    await rec.save();
    const reasons = [...new Set(trials.rows.map((r) => r.failureReason).filter(Boolean))].slice(0, 3);
    throw new CloudError(
      'TUNING_JOB_FAILED',
      `tuning job ${t.name} ended ${t.status} without a completed ` +
        `trial${reasons.length ? `: ${reasons.join('; ')}` : ''}`,
      {
        hint:
          `the trials' logs are in CloudWatch group /aws/sagemaker/TrainingJobs, streams ${t.name}-*; ` +
          `delete the uploaded data with: digitflow cleanup ${rec.runDir}`,
        details: { job: t.name, status: t.status, trials: trials.rows.length },
      },
    );
  }
  t.bestTrainingJob = bestName;
  result.best = { trainingJob: bestName, objective: best.objective, tuned: best.tuned };
  rec.manifest.hyperparameters = { ...t.plan.staticHyperparameters, ...best.tuned };
  await rec.save();

  // The best trial, from here on exactly like `run`: its artifact → model → one transform → argmax → evaluate.
  const desc = trials.described.get(bestName)!;
  const bestPlan: RunPlan = { ...plan, names: { ...plan.names, trainingJob: bestName } };
  await finishTraining(
    bestPlan,
    {
      kind: 'training',
      name: bestName,
      status: desc.TrainingJobStatus ?? 'Completed',
      elapsedSeconds: 0,
      billableSeconds: best.billableSeconds,
      training: { $metadata: {}, ...desc },
    },
    rec,
    deps,
  );
  result.model = plan.names.model;
  Object.assign(
    result,
    await transformAndScore(plan, sm.shardRows ?? [], Number(sm.validationRows ?? 0), labelsFile, wait, rec, deps),
  );
  result.billableSeconds = rec.manifest.billableSeconds ?? 0;
  if (recordBilledCost(plan, rec)) result.costEstimate = rec.manifest.costEstimate;
  await rec.save();
  return result;
}

function leaderboard(rows: TuningTrial[]): TuneTrialRow[] {
  const sorted = [...rows].sort(
    (a, b) => (b.objective ?? -Infinity) - (a.objective ?? -Infinity) || a.trainingJob.localeCompare(b.trainingJob),
  );
  return sorted.map((r, i) => ({ rank: i + 1, ...r }));
}

/**
 * Every trial into the manifest: a training-job resource (job records cannot be deleted), its billed seconds, its
 * objective.
 */
async function recordTrials(
  plan: RunPlan,
  rec: RunRecorder,
  name: string,
  deps: SageMakerDeps,
): Promise<{ rows: TuningTrial[]; described: Map<string, DescribeTrainingJobResponse> }> {
  const summaries = await deps.sagemaker.listTuningTrials(name, deps.signal);
  const described = new Map<string, DescribeTrainingJobResponse>();
  const rows: TuningTrial[] = [];
  for (const s of summaries) {
    const job = s.TrainingJobName!;
    await rec.addResource('training-job', job, plan.region, false);
    let billableSeconds: number | undefined;
    if (s.TrainingJobStatus !== 'InProgress') {
      const d = await deps.sagemaker.describeTrainingJob(job);
      described.set(job, d);
      if (d.BillableTimeInSeconds !== undefined)
        billableSeconds = d.BillableTimeInSeconds * (d.ResourceConfig?.InstanceCount ?? 1);
      await recordBilled(plan, rec, job, d.ResourceConfig?.InstanceType ?? plan.training.instanceType, billableSeconds);
    }
    rows.push({
      trainingJob: job,
      status: s.TrainingJobStatus ?? 'Unknown',
      tuned: { ...(s.TunedHyperParameters ?? {}) },
      ...(s.FinalHyperParameterTuningJobObjectiveMetric?.Value !== undefined
        ? { objective: s.FinalHyperParameterTuningJobObjectiveMetric.Value }
        : {}),
      ...(s.FailureReason ? { failureReason: s.FailureReason } : {}),
      ...(billableSeconds !== undefined ? { billableSeconds } : {}),
    });
  }
  rec.sagemaker().tuning!.trials = rows;
  await rec.save();
  return { rows, described };
}

/** Text of the trial counters, e.g. "3/10 completed, 2 running, 1 failed; best 0.9120". */
export function tuningProgress(d: DescribeHyperParameterTuningJobResponse, maxJobs: number): string {
  const c = d.TrainingJobStatusCounters ?? {};
  const failed = (c.NonRetryableError ?? 0) + (c.RetryableError ?? 0);
  const best = d.BestTrainingJob?.FinalHyperParameterTuningJobObjectiveMetric?.Value;
  return (
    `${c.Completed ?? 0}/${maxJobs} completed, ${c.InProgress ?? 0} running, ${failed} failed` +
    (c.Stopped ? `, ${c.Stopped} stopped` : '') +
    (best !== undefined ? `; best ${best.toFixed(4)} (${d.BestTrainingJob!.TrainingJobName})` : '')
  );
}

/** Failed, or Stopped without a completed trial: the error to raise (after the trials are recorded). */
export function tuningOutcomeError(
  d: DescribeHyperParameterTuningJobResponse,
  trialReasons: string[] = [],
  runDir?: string,
): CloudError | undefined {
  const name = d.HyperParameterTuningJobName ?? '?';
  const status = d.HyperParameterTuningJobStatus;
  const logs =
    `the trials' logs are in CloudWatch group /aws/sagemaker/TrainingJobs, streams ${name}-*` +
    (runDir ? `; delete the uploaded data with: digitflow cleanup ${runDir}` : '');
  const why = trialReasons.length ? ` (trials: ${trialReasons.join('; ')})` : '';
  if (status === 'Stopped' && !d.BestTrainingJob) {
    return new CloudError('TUNING_JOB_STOPPED', `tuning job ${name} was stopped before any trial completed${why}`, {
      hint: logs,
      details: { job: name, status },
    });
  }
  if (status === 'Failed') {
    return new CloudError(
      'TUNING_JOB_FAILED',
      `tuning job ${name} failed${d.FailureReason ? `: ${d.FailureReason}` : ''}${why}`,
      {
        hint: logs,
        details: { job: name, status, failureReason: d.FailureReason },
      },
    );
  }
  return undefined;
}

/**
 * Polls DescribeHyperParameterTuningJob until Completed, Stopped or Failed, emitting
 * the counters whenever they change. Ctrl-C: stop or detach, as for a training job in `run`.
 */
export async function waitForTuningJob(
  name: string,
  maxJobs: number,
  wait: WaitSettings,
  deps: SageMakerDeps,
): Promise<DescribeHyperParameterTuningJobResponse> {
  const start = deps.clock.now();
  let last = '';
  for (;;) {
    if (deps.signal?.aborted) return interrupted(name, deps);
    let d: DescribeHyperParameterTuningJobResponse;
    try {
      d = await deps.sagemaker.describeTuningJob(name, deps.signal);
    } catch (e) {
      if (deps.signal?.aborted) return interrupted(name, deps);
      throw e;
    }
    const status = d.HyperParameterTuningJobStatus ?? 'Unknown';
    const progress = tuningProgress(d, maxJobs);
    if (`${status} ${progress}` !== last) {
      deps.reporter.emit({
        kind: 'status',
        resource: name,
        status,
        secondary: progress,
        elapsedSeconds: (deps.clock.now() - start) / 1000,
      });
      last = `${status} ${progress}`;
    }
    if (status === 'Completed' || status === 'Stopped' || status === 'Failed') return d;
    try {
      await deps.clock.sleep(wait.pollSeconds * 1000, deps.signal);
    } catch (e) {
      if (deps.signal?.aborted) return interrupted(name, deps);
      throw e;
    }
  }
}

async function interrupted(name: string, deps: SageMakerDeps): Promise<never> {
  const decision = deps.onInterrupt ? await deps.onInterrupt([{ kind: 'tuning', name }]) : 'detach';
  if (decision === 'stop') {
    try {
      await deps.sagemaker.stopTuningJob(name);
      deps.reporter.emit({
        kind: 'info',
        message: `stop requested for tuning job ${name} (its running trials stop with it)`,
      });
    } catch (err) {
      deps.reporter.emit({ kind: 'warn', code: 'STOP_FAILED', message: (err as Error).message });
    }
    throw new InterruptedError(`stopped tuning job ${name} at your request`, { details: { jobs: [name], decision } });
  }
  throw new InterruptedError(`detached from tuning job ${name}: still running in SageMaker`, {
    hint: `digitflow attach ${name}`,
    details: { jobs: [name], decision, attach: [`digitflow attach ${name}`] },
  });
}
