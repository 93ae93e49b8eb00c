/**
 * Pure builders for the three SageMaker requests digitflow sends, derived only from the RunPlan.
 * The settings here are the ones Linear Learner needs (AWS docs: Linear Learner input/output formats):
 * text/csv in, JSON Lines out, one record per line, payload within the 6 MB default.
 */
import type { CreateModelInput, CreateTrainingJobRequest, CreateTransformJobRequest } from '@aws-sdk/client-sagemaker';
import type { RunPlan } from './sagemaker-plan.js';
import { awsTags } from './sagemaker-names.js';

/** The tag that says which run created a resource (a retried Create is adopted only when it matches). */
export const RUN_TAG_KEY = 'digitflow:run-id';

/** Tags on every resource, so a user can find (and pay attention to) what digitflow created. */
export function runTags(plan: Pick<RunPlan, 'runId'>): { Key: string; Value: string }[] {
  return awsTags({ [RUN_TAG_KEY]: plan.runId, 'created-by': 'digitflow' });
}
const tags = runTags;

/** CreateTrainingJob for Linear Learner multiclass over the plan's CSV channels. */
export function buildCreateTrainingJob(plan: RunPlan): CreateTrainingJobRequest {
  const t = plan.training;
  return {
    TrainingJobName: plan.names.trainingJob,
    RoleArn: plan.roleArn,
    AlgorithmSpecification: { TrainingImage: plan.image, TrainingInputMode: 'File' },
    HyperParameters: { ...plan.hyperparameters },
    InputDataConfig: plan.channels.map((c) => ({
      ChannelName: c.name,
      // Exactly text/csv: Linear Learner rejects 'csv' ("No iterator has been registered").
      ContentType: c.contentType,
      CompressionType: 'None',
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: c.s3Uri, S3DataDistributionType: c.distribution } },
    })),
    OutputDataConfig: { S3OutputPath: plan.s3.modelOutput },
    ResourceConfig: {
      InstanceType: t.instanceType as never,
      InstanceCount: t.instanceCount,
      VolumeSizeInGB: t.volumeSizeInGB,
    },
    StoppingCondition: {
      MaxRuntimeInSeconds: t.maxRuntimeSeconds,
      // Only valid (and required) with managed spot: the API rejects it otherwise.
      ...(t.spot ? { MaxWaitTimeInSeconds: t.maxWaitSeconds } : {}),
    },
    ...(t.spot ? { EnableManagedSpotTraining: true } : {}),
    // Linear Learner checkpoints: an interrupted spot job resumes instead of starting over.
    ...(t.spot && plan.s3.checkpoints ? { CheckpointConfig: { S3Uri: plan.s3.checkpoints } } : {}),
    Tags: tags(plan),
  };
}

/** CreateModel from the training job's artifact (DescribeTrainingJob.ModelArtifacts.S3ModelArtifacts). */
export function buildCreateModel(plan: RunPlan, modelDataUrl: string): CreateModelInput {
  return {
    ModelName: plan.names.model,
    ExecutionRoleArn: plan.roleArn,
    PrimaryContainer: { Image: plan.image, ModelDataUrl: modelDataUrl },
    Tags: tags(plan),
  };
}

/**
 * CreateTransformJob: ONE job scores every object under the transform input (the test shards and,
 * with validation, validation-features.csv), so the held-out rows cost no second start-up.
 * SplitType Line + MultiRecord keeps each request under MaxPayloadInMB (SplitType None would send
 * the whole 48 MB test file at once); Accept jsonlines + AssembleWith Line gives one
 * `{"score":[...],"predicted_label":k}` per input row, in order, in `<input>.out`.
 */
export function buildCreateTransformJob(plan: RunPlan): CreateTransformJobRequest {
  return {
    TransformJobName: plan.names.transform,
    ModelName: plan.names.model,
    BatchStrategy: 'MultiRecord',
    MaxPayloadInMB: plan.transform.maxPayloadInMB,
    TransformInput: {
      ContentType: 'text/csv',
      SplitType: 'Line',
      CompressionType: 'None',
      // TransformS3DataSource has no distribution field: with N objects under the prefix, batch
      // transform hands whole objects to instances, hence one test shard per transform instance.
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: plan.s3.transformInput } },
    },
    TransformOutput: { S3OutputPath: plan.s3.transformOutput, Accept: 'application/jsonlines', AssembleWith: 'Line' },
    TransformResources: {
      InstanceType: plan.transform.instanceType as never,
      InstanceCount: plan.transform.instanceCount,
    },
    Tags: tags(plan),
  };
}
