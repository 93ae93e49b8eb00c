/**
 * `attach JOB_NAME`: waits again for a job this (or another) session detached from. With the run
 * directory, a finished training job also gets its model created, so `predict --engine sagemaker
 * --run RUN_DIR` can follow.
 */
import { DescribeTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { waitForJobs, createModel, downloadTransformOutputs, type WaitSettings } from './sagemaker-jobs.js';
import { scoreTransformOutputs } from './sagemaker-run.js';
import { buildRunPlan, type PlanInput, type RunPlan } from '../domain/sagemaker-plan.js';
import type { JobKind } from '../adapters/sagemaker/wait-for-job.js';
import { describeAwsError } from '../adapters/sagemaker/aws-error.js';
import { UserInputError } from '../errors/index.js';
import type { ManifestRecorder, SageMakerDeps } from './sagemaker-deps.js';

export interface AttachResult {
  job: string;
  kind: JobKind;
  status: string;
  elapsedSeconds: number;
  billableSeconds?: number;
  modelDataUrl?: string;
  model?: string;
  /** Where SageMaker wrote a transform's output (`<input file name>.out` objects under it). */
  transformOutput?: string;
  /** Transform attach with --run: the files written after download/argmax/evaluate. */
  outputs?: Record<string, string>;
  metrics?: Record<string, number>;
  validationMetrics?: Record<string, number>;
}

/** The plan whose test or validation transform is `job` (transform attempts 1..100). */
function transformPlanOf(planInput: PlanInput, job: string): RunPlan | undefined {
  for (let attempt = 1; attempt <= 100; attempt++) {
    const plan = buildRunPlan({ ...planInput, transformAttempt: attempt });
    if (plan.names.transformTest === job || plan.names.transformValidation === job) return plan;
  }
  return undefined;
}

/** Training or transform? Our names say it; otherwise ask SageMaker. */
async function kindOf(name: string, deps: SageMakerDeps): Promise<JobKind> {
  if (/^digitflow-train-/.test(name)) return 'training';
  if (/^digitflow-tf-/.test(name)) return 'transform';
  try {
    await deps.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
    return 'training';
  } catch (e) {
    if ((e as { name?: string }).name === 'ValidationException') return 'transform';
    throw describeAwsError(e, `DescribeTrainingJob ${name}`);
  }
}

/** Waits for `job` to finish; Failed/Stopped are errors exactly as in `run`. */
export async function attachStage(
  input: { job: string; region: string; wait: WaitSettings },
  rec: ManifestRecorder | undefined,
  deps: SageMakerDeps,
): Promise<AttachResult> {
  if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(input.job)) {
    throw new UserInputError('JOB_NAME_INVALID', `'${input.job}' is not a SageMaker job name`, { hint: 'copy the name printed by the detached run' });
  }
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
  const planInput = rec?.sagemaker.planInput as PlanInput | undefined;
  if (rec && planInput && kind === 'transform') {
    // Resume a detached run/predict: wait for the sibling transform too, then download and score.
    const plan = transformPlanOf(planInput, input.job);
    if (plan) {
      const jobs = [plan.names.transformTest, plan.names.transformValidation].filter((n): n is string => Boolean(n));
      const outcomes = await waitForJobs(jobs.map((name) => ({ kind: 'transform' as const, name })), input.region, input.wait, deps);
      const tr = await downloadTransformOutputs(plan, rec.sagemaker.shardRows as number[], Number(rec.sagemaker.validationRows ?? 0), outcomes, rec, deps);
      const labels = rec.manifest.inputs.filter((i) => i.role === 'labels').at(-1)?.path;
      const scored = await scoreTransformOutputs(plan, tr, labels, rec, deps);
      result.outputs = scored.outputs;
      result.metrics = scored.metrics;
      result.validationMetrics = scored.validationMetrics;
    }
  }
  if (rec && planInput && kind === 'training') {
    const plan = buildRunPlan(planInput);
    if (plan.names.trainingJob === input.job) {
      const url = outcome.training?.ModelArtifacts?.S3ModelArtifacts;
      if (url) {
        rec.sagemaker.modelDataUrl = url;
        rec.manifest.billableSeconds = outcome.billableSeconds ?? rec.manifest.billableSeconds;
        await createModel(plan, url, rec, deps);
        result.modelDataUrl = url;
        result.model = plan.names.model;
      }
    }
  }
  await rec?.save();
  return result;
}
