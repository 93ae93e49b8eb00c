/**
 * `attach JOB` without a run folder: after waiting, it must say what to do next — where a
 * transform wrote its output, or which model artifact a training job produced.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeTrainingJobCommand, DescribeTransformJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { attachStage } from '../../../../src/stages/sagemaker/attach.js';
import { collectingReporter } from '../../../../src/runtime/deps.js';
import type { SageMakerDeps } from '../../../../src/stages/sagemaker/deps.js';
import { sageMakerJobs } from '../../../../src/adapters/sagemaker/jobs.js';

const sm = mockClient(SageMakerClient);
beforeEach(() => sm.reset());

function deps(): SageMakerDeps {
  let t = 0;
  return {
    reporter: collectingReporter(),
    clock: { now: () => t, sleep: async (ms) => void (t += ms) },
    sagemaker: sageMakerJobs(
      new SageMakerClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    ),
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
    const r = await attachStage(
      { job: 'digitflow-tf-r1', region: 'us-east-1', wait: { pollSeconds: 1, logs: false } },
      deps(),
    );
    expect(r).toMatchObject({
      kind: 'transform',
      status: 'Completed',
      billableSeconds: 240,
      transformOutput: 's3://b/p/r1/transform/test',
    });
    expect(r.outputs).toBeUndefined();
  });

  it('a training job: reports the model artifact', async () => {
    sm.on(DescribeTrainingJobCommand).resolves({
      TrainingJobStatus: 'Completed',
      BillableTimeInSeconds: 100,
      ResourceConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 },
      ModelArtifacts: { S3ModelArtifacts: 's3://b/p/r1/model/digitflow-train-r1/output/model.tar.gz' },
    });
    const r = await attachStage(
      { job: 'digitflow-train-r1', region: 'us-east-1', wait: { pollSeconds: 1, logs: false } },
      deps(),
    );
    expect(r).toMatchObject({
      kind: 'training',
      billableSeconds: 100,
      modelDataUrl: 's3://b/p/r1/model/digitflow-train-r1/output/model.tar.gz',
    });
    expect(r.model).toBeUndefined();
  });
});

describe('attach: missing jobs and credentials', () => {
  it.each(['ResourceNotFound', 'ValidationException'])(
    'a missing job answered with %s is JOB_NOT_FOUND (exit 2)',
    async (name) => {
      sm.on(DescribeTrainingJobCommand).rejects(
        Object.assign(new Error('Requested resource not found.'), { name, $metadata: { httpStatusCode: 400 } }),
      );
      const e = await attachStage(
        { job: 'digitflow-train-gone', region: 'us-east-1', wait: { pollSeconds: 1, logs: false } },
        deps(),
      ).catch((x) => x);
      expect(e.code).toBe('JOB_NOT_FOUND');
      expect(e.exitCode).toBe(2);
    },
  );

  it('no credentials: AWS_NO_CREDENTIALS before any Describe call', async () => {
    const d = deps();
    d.sagemaker = sageMakerJobs(
      new SageMakerClient({
        region: 'us-east-1',
        credentials: async () => {
          throw Object.assign(new Error('Could not load credentials from any providers'), {
            name: 'CredentialsProviderError',
          });
        },
      }),
    );
    const e = await attachStage(
      { job: 'digitflow-train-r1', region: 'us-east-1', wait: { pollSeconds: 1, logs: false } },
      d,
    ).catch((x) => x);
    expect(e.code).toBe('AWS_NO_CREDENTIALS');
    expect(sm.calls()).toHaveLength(0);
  });
});
