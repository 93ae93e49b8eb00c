/**
 * `attach JOB` without a run folder: after waiting, it must say what to do next — where a
 * transform wrote its output, or which model artifact a training job produced.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeTrainingJobCommand, DescribeTransformJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { attachStage } from '../../src/stages/sagemaker-attach.js';
import { collectingReporter } from '../../src/stages/deps.js';
import type { SageMakerDeps } from '../../src/stages/sagemaker-deps.js';

const sm = mockClient(SageMakerClient);
beforeEach(() => sm.reset());

function deps(): SageMakerDeps {
  let t = 0;
  return {
    reporter: collectingReporter(),
    clock: { now: () => t, sleep: async (ms) => void (t += ms) },
    sagemaker: new SageMakerClient({ region: 'us-east-1' }),
    storage: undefined as never, // not used without a run folder
  };
}

describe('attach without --run', () => {
  it('a transform job: waits, then reports its billable time and output location', async () => {
    sm.on(DescribeTransformJobCommand)
      .resolvesOnce({ TransformJobStatus: 'InProgress' })
      .resolves({
        TransformJobStatus: 'Completed',
        TransformStartTime: new Date(Date.UTC(2026, 0, 1, 0, 0, 0)),
        TransformEndTime: new Date(Date.UTC(2026, 0, 1, 0, 2, 0)),
        TransformResources: { InstanceCount: 2, InstanceType: 'ml.m5.large' },
        TransformOutput: { S3OutputPath: 's3://b/p/r1/transform/test' },
      });
    const r = await attachStage({ job: 'digitflow-tf-test-r1', region: 'us-east-1', wait: { pollSeconds: 1, logs: false } }, undefined, deps());
    expect(r).toMatchObject({ kind: 'transform', status: 'Completed', billableSeconds: 240, transformOutput: 's3://b/p/r1/transform/test' });
    expect(r.outputs).toBeUndefined();
  });

  it('a training job: reports the model artifact', async () => {
    sm.on(DescribeTrainingJobCommand).resolves({
      TrainingJobStatus: 'Completed',
      BillableTimeInSeconds: 100,
      ResourceConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 },
      ModelArtifacts: { S3ModelArtifacts: 's3://b/p/r1/model/digitflow-train-r1/output/model.tar.gz' },
    });
    const r = await attachStage({ job: 'digitflow-train-r1', region: 'us-east-1', wait: { pollSeconds: 1, logs: false } }, undefined, deps());
    expect(r).toMatchObject({ kind: 'training', billableSeconds: 100, modelDataUrl: 's3://b/p/r1/model/digitflow-train-r1/output/model.tar.gz' });
    expect(r.model).toBeUndefined();
  });
});
