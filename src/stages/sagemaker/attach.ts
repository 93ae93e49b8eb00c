/**
 * `attach JOB_NAME`: waits again for a job this (or another) session detached from. With the run
 * directory, a finished training job also gets its model created (so `predict --engine sagemaker`
 * can follow), and a finished transform is downloaded and scored.
 */
import { waitForJobs, downloadTransformOutputs, finishTraining, type WaitSettings } from './jobs.js';
import { scoreTransformOutputs } from './run.js';
import { buildRunPlan, isValidResourceName, type PlanInput, type RunPlan } from '../../domain/sagemaker-plan.js';
import type { JobKind } from '../../adapters/sagemaker/wait-for-job.js';
import { readManifest, RunRecorder } from '../../adapters/run-store.js';
import { UserInputError } from '../../errors/index.js';
import type { SageMakerDeps } from './deps.js';
import {
  continueTuning,
  tuningOutcomeError,
  tuningProgress,
  waitForTuningJob,
  type SageMakerTuneResult,
} from './tune.js';

export interface AttachResult {
  job: string;
  kind: JobKind | 'tuning';
  status: string;
  elapsedSeconds: number;
  billableSeconds?: number;
  modelDataUrl?: string;
  model?: string;
  finalMetrics?: Record<string, number>;
  /** Where SageMaker wrote a transform's output (`<input file name>.out` objects under it). */
  transformOutput?: string;
  /** Transform attach with the run folder (-o): the files written after download/argmax/evaluate. */
  outputs?: Record<string, string>;
  metrics?: Record<string, number>;
  validationMetrics?: Record<string, number>;
  /** A tuning job: its leaderboard and best trial (with the run folder: also deployed and scored like `tune`). */
  tuning?: {
    status: string;
    best?: { trainingJob: string; objective?: number; tuned: Record<string, string> };
    leaderboard?: SageMakerTuneResult['leaderboard'];
    progress?: string;
  };
}

/** The plan whose transform job is `job` (transform attempts 1..100). */
function transformPlanOf(planInput: PlanInput, job: string): RunPlan | undefined {
  for (let attempt = 1; attempt <= 100; attempt++) {
    const plan = buildRunPlan({ ...planInput, transformAttempt: attempt });
    if (plan.names.transform === job) return plan;
  }
  return undefined;
}

/** Training or transform? Our names say it; otherwise ask SageMaker. */
async function kindOf(name: string, deps: SageMakerDeps): Promise<JobKind> {
  if (/^digitflow-train-/.test(name)) return 'training';
  if (/^digitflow-tf-/.test(name)) return 'transform';
  return deps.sagemaker.kindOf(name);
}

/** Waits for `job` to finish; Failed/Stopped are errors exactly as in `run`. */
export async function attachStage(
  input: { job: string; region: string; runDir?: string; wait: WaitSettings },
  deps: SageMakerDeps,
): Promise<AttachResult> {
  if (!isValidResourceName(input.job)) {
    throw new UserInputError('JOB_NAME_INVALID', `'${input.job}' is not a SageMaker job name`, {
      hint: 'copy the name printed by the detached run',
    });
  }
  const rec = input.runDir ? new RunRecorder(input.runDir, await readManifest(input.runDir), deps.clock) : undefined;
  // No credentials is not something a retry fixes: say so now, not after minutes of polls.
  await deps.sagemaker.checkCredentials();
  if (/^digitflow-tune-/.test(input.job) || rec?.manifest.sagemaker?.tuning?.name === input.job)
    return attachTuning(input, rec, deps);
  const kind = await kindOf(input.job, deps);
  const [outcome] = await waitForJobs([{ kind, name: input.job }], input.region, input.wait, deps);
  const result: AttachResult = {
    job: input.job,
    kind,
    status: outcome.status,
    elapsedSeconds: outcome.elapsedSeconds,
    billableSeconds: outcome.billableSeconds,
    // Without a run folder these are what the user needs next (download/argmax, or a model).
    transformOutput: outcome.transform?.TransformOutput?.S3OutputPath,
    modelDataUrl: outcome.training?.ModelArtifacts?.S3ModelArtifacts,
  };
  const planInput = rec?.manifest.sagemaker?.planInput;
  if (rec && planInput && kind === 'transform') {
    // Resume a detached run/predict: download and score.
    const plan = transformPlanOf(planInput, input.job);
    if (plan) {
      const sm = rec.sagemaker();
      const tr = await downloadTransformOutputs(
        plan,
        sm.shardRows ?? [],
        Number(sm.validationRows ?? 0),
        [outcome],
        rec,
        deps,
      );
      const labels = rec.manifest.inputs.filter((i) => i.role === 'labels').at(-1)?.path;
      const scored = await scoreTransformOutputs(plan, tr, labels, rec, deps);
      result.outputs = scored.outputs;
      result.metrics = scored.metrics;
      result.validationMetrics = scored.validationMetrics;
    }
  }
  if (rec && planInput && kind === 'training') {
    const plan = buildRunPlan(planInput);
    if (plan.names.trainingJob === input.job && outcome.training?.ModelArtifacts?.S3ModelArtifacts) {
      const trained = await finishTraining(plan, outcome, rec, deps);
      result.modelDataUrl = trained.modelDataUrl;
      result.model = plan.names.model;
      result.finalMetrics = trained.finalMetrics;
    }
  }
  await rec?.save();
  return result;
}

/**
 * `attach <tuning job>`: with the tune folder (-o) whose manifest names it, the rest of `tune`
 * (wait, trials, best → model → transform → score); without, wait and report the best trial.
 */
async function attachTuning(
  input: { job: string; region: string; wait: WaitSettings },
  rec: RunRecorder | undefined,
  deps: SageMakerDeps,
): Promise<AttachResult> {
  const t0 = deps.clock.now();
  const sm = rec?.manifest.sagemaker;
  if (rec && sm?.planInput && sm.tuning?.name === input.job) {
    const labels = rec.manifest.inputs.filter((i) => i.role === 'labels').at(-1)?.path;
    const r = await continueTuning(buildRunPlan(sm.planInput), rec, labels, input.wait, deps);
    return {
      job: input.job,
      kind: 'tuning',
      status: r.status,
      elapsedSeconds: (deps.clock.now() - t0) / 1000,
      billableSeconds: r.billableSeconds,
      model: r.model,
      modelDataUrl: rec.manifest.sagemaker?.modelDataUrl,
      outputs: r.outputs,
      metrics: r.metrics,
      validationMetrics: r.validationMetrics,
      tuning: { status: r.status, best: r.best, leaderboard: r.leaderboard },
    };
  }
  const first = await deps.sagemaker.describeTuningJob(input.job, deps.signal);
  const maxJobs = first.HyperParameterTuningJobConfig?.ResourceLimits?.MaxNumberOfTrainingJobs ?? 0;
  const d = await waitForTuningJob(input.job, maxJobs, input.wait, deps);
  const failed = tuningOutcomeError(d);
  if (failed) throw failed;
  const b = d.BestTrainingJob;
  return {
    job: input.job,
    kind: 'tuning',
    status: d.HyperParameterTuningJobStatus ?? 'Unknown',
    elapsedSeconds: (deps.clock.now() - t0) / 1000,
    tuning: {
      status: d.HyperParameterTuningJobStatus ?? 'Unknown',
      progress: tuningProgress(d, maxJobs),
      best: b?.TrainingJobName
        ? {
            trainingJob: b.TrainingJobName,
            objective: b.FinalHyperParameterTuningJobObjectiveMetric?.Value,
            tuned: { ...(b.TunedHyperParameters ?? {}) },
          }
        : undefined,
    },
  };
}
