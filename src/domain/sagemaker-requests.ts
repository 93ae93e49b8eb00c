/**
 * Pure builders for the three SageMaker requests digitflow sends, derived only from the RunPlan.
 * The settings here are the ones Linear Learner needs (see shared/reference/aws-facts.md §0):
 * text/csv in, JSON Lines out, one record per line, payload within the 6 MB default.
 */
import type {
  CreateModelInput,
  CreateTrainingJobRequest,
  CreateTransformJobRequest,
} from '@aws-sdk/client-sagemaker';
import type { RunPlan } from './sagemaker-plan.js';

/** Tags on every resource, so a user can find (and pay attention to) what digitflow created. */
function tags(plan: RunPlan) {
  return [
    { Key: 'digitflow:run-id', Value: plan.runId },
    { Key: 'created-by', Value: 'digitflow' },
  ];
}

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
    ResourceConfig: { InstanceType: t.instanceType as never, InstanceCount: t.instanceCount, VolumeSizeInGB: t.volumeSizeInGB },
    StoppingCondition: {
      MaxRuntimeInSeconds: t.maxRuntimeSeconds,
      // Only valid (and required) with managed spot: the API rejects it otherwise.
      ...(t.spot ? { MaxWaitTimeInSeconds: t.maxWaitSeconds } : {}),
    },
    ...(t.spot ? { EnableManagedSpotTraining: true } : {}),
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

/** Which transform: the test set (sharded over N instances) or the held-out validation rows. */
export type TransformTarget = 'test' | 'validation';

/**
 * CreateTransformJob. SplitType Line + MultiRecord keeps each request under MaxPayloadInMB
 * (SplitType None would send the whole 48 MB test file at once); Accept jsonlines + AssembleWith
 * Line gives one `{"score":[...],"predicted_label":k}` per input row, in order, in `<input>.out`.
 */
export function buildCreateTransformJob(plan: RunPlan, target: TransformTarget): CreateTransformJobRequest {
  const isTest = target === 'test';
  const name = isTest ? plan.names.transformTest : plan.names.transformValidation;
  const input = isTest ? plan.s3.testInput : plan.s3.validationInput;
  const output = isTest ? plan.s3.transformTestOutput : plan.s3.transformValidationOutput;
  if (!name || !input || !output) throw new RangeError(`the plan has no ${target} transform`);
  // A single file is processed by a single instance, so only the sharded test set uses N.
  const count = isTest ? plan.transform.instanceCount : 1;
  return {
    TransformJobName: name,
    ModelName: plan.names.model,
    BatchStrategy: 'MultiRecord',
    MaxPayloadInMB: plan.transform.maxPayloadInMB,
    TransformInput: {
      ContentType: 'text/csv',
      SplitType: 'Line',
      CompressionType: 'None',
      // TransformS3DataSource has no distribution field: with N objects under the prefix, batch
      // transform hands whole objects to instances (ShardedByS3Key semantics), hence N test shards.
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: input } },
    },
    TransformOutput: { S3OutputPath: output, Accept: 'application/jsonlines', AssembleWith: 'Line' },
    TransformResources: { InstanceType: plan.transform.instanceType as never, InstanceCount: count },
    Tags: tags(plan),
  };
}
