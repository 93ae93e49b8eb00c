import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeTrainingJobCommand, DescribeTransformJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { waitForJob, TERMINAL_STATES, MAX_FAILED_POLLS } from '../../../../src/adapters/sagemaker/wait-for-job.js';
import { createSageMakerClient } from '../../../../src/adapters/sagemaker/client.js';
import { LogFollower } from '../../../../src/adapters/cloudwatch-logs.js';
import { collectingReporter, type Clock, type StageDeps } from '../../../../src/runtime/deps.js';
import { CloudError, InterruptedError } from '../../../../src/errors/index.js';

const sm = mockClient(SageMakerClient);
const logs = mockClient(CloudWatchLogsClient);
beforeEach(() => {
  sm.reset();
  logs.reset();
});

/** A clock that advances only when slept on: polls cost no real time. */
function fakeClock(): Clock & { slept: number[] } {
  let t = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      slept.push(ms);
      t += ms;
    },
  };
}

function deps(
  signal?: AbortSignal,
): StageDeps & { reporter: ReturnType<typeof collectingReporter>; clock: ReturnType<typeof fakeClock> } {
  return { reporter: collectingReporter(), clock: fakeClock(), signal };
}

const client = () =>
  new SageMakerClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });

describe('waitForJob state machine', () => {
  it('InProgress -> Completed: resolves, reports SecondaryStatus transitions once, billable x instances', async () => {
    sm.on(DescribeTrainingJobCommand)
      .resolvesOnce({ TrainingJobStatus: 'InProgress', SecondaryStatus: 'Starting' })
      .resolvesOnce({ TrainingJobStatus: 'InProgress', SecondaryStatus: 'Starting' })
      .resolvesOnce({ TrainingJobStatus: 'InProgress', SecondaryStatus: 'Training' })
      .resolves({
        TrainingJobStatus: 'Completed',
        SecondaryStatus: 'Completed',
        BillableTimeInSeconds: 100,
        ResourceConfig: { InstanceCount: 2, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 },
        ModelArtifacts: { S3ModelArtifacts: 's3://b/model.tar.gz' },
      });
    const d = deps();
    const out = await waitForJob(client(), { kind: 'training', name: 'j1', region: 'us-east-1', pollSeconds: 7 }, d);
    expect(out.status).toBe('Completed');
    expect(out.billableSeconds).toBe(200);
    expect(out.training?.ModelArtifacts?.S3ModelArtifacts).toBe('s3://b/model.tar.gz');
    expect(sm).toHaveReceivedCommandTimes(DescribeTrainingJobCommand, 4);
    expect(d.clock.slept).toEqual([7000, 7000, 7000]);
    const statuses = d.reporter.events
      .filter((e) => e.kind === 'status')
      .map((e) => (e as { secondary?: string }).secondary);
    expect(statuses).toEqual(['Starting', 'Training', 'Completed']);
    const last = d.reporter.events.filter((e) => e.kind === 'status').at(-1) as { elapsedSeconds: number };
    expect(last.elapsedSeconds).toBe(21);
    expect(d.reporter.events.at(-1)).toMatchObject({
      kind: 'info',
      message: 'training job j1 completed: 200 billable instance-seconds',
    });
  });

  it('Failed: CloudError with FailureReason, log group/stream, console URL', async () => {
    sm.on(DescribeTrainingJobCommand)
      .resolvesOnce({ TrainingJobStatus: 'InProgress' })
      .resolves({ TrainingJobStatus: 'Failed', FailureReason: 'ClientError: Unable to parse csv: rows 1-1000' });
    const err = await waitForJob(
      client(),
      { kind: 'training', name: 'j2', region: 'eu-west-1', pollSeconds: 1 },
      deps(),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(CloudError);
    expect(err.code).toBe('TRAINING_JOB_FAILED');
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('Unable to parse csv');
    expect(err.details).toMatchObject({
      job: 'j2',
      status: 'Failed',
      failureReason: 'ClientError: Unable to parse csv: rows 1-1000',
      logGroup: '/aws/sagemaker/TrainingJobs',
      logStreamPrefix: 'j2/',
      consoleUrl: 'https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/jobs/j2',
    });
  });

  it('Stopped is an error, not a success (unlike the SDK waiter)', async () => {
    sm.on(DescribeTransformJobCommand)
      .resolvesOnce({ TransformJobStatus: 'Stopping' })
      .resolves({ TransformJobStatus: 'Stopped' });
    const err = await waitForJob(
      client(),
      { kind: 'transform', name: 't1', region: 'us-east-1', pollSeconds: 1 },
      deps(),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(CloudError);
    expect(err.code).toBe('TRANSFORM_JOB_STOPPED');
    expect(err.details.logGroup).toBe('/aws/sagemaker/TransformJobs');
    expect(TERMINAL_STATES.Stopped).toBe('stopped');
  });

  it('transform billable = (end - start) x instances', async () => {
    sm.on(DescribeTransformJobCommand).resolves({
      TransformJobStatus: 'Completed',
      TransformStartTime: new Date(1_000_000),
      TransformEndTime: new Date(1_090_000),
      TransformResources: { InstanceCount: 3, InstanceType: 'ml.m5.large' },
    });
    const out = await waitForJob(
      client(),
      { kind: 'transform', name: 't2', region: 'us-east-1', pollSeconds: 1 },
      deps(),
    );
    expect(out.billableSeconds).toBe(270);
  });

  it('Ctrl-C while waiting: InterruptedError telling how to attach', async () => {
    sm.on(DescribeTrainingJobCommand).resolves({ TrainingJobStatus: 'InProgress', SecondaryStatus: 'Training' });
    const ac = new AbortController();
    const d = deps(ac.signal);
    let polls = 0;
    const p = waitForJob(
      client(),
      {
        kind: 'training',
        name: 'j3',
        region: 'us-east-1',
        pollSeconds: 1,
        onPoll: async () => {
          if (++polls === 3) ac.abort(new InterruptedError('ctrl-c'));
        },
      },
      d,
    );
    const err = await p.catch((e) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(err.hint).toContain('digitflow attach j3');
    expect(polls).toBe(3);
  });

  it('one failed poll (after SDK retries) is survived with a warning', async () => {
    sm.on(DescribeTrainingJobCommand)
      .rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))
      .resolves({ TrainingJobStatus: 'Completed' });
    const d = deps();
    const out = await waitForJob(client(), { kind: 'training', name: 'j4', region: 'us-east-1', pollSeconds: 2 }, d);
    expect(out.status).toBe('Completed');
    expect(d.reporter.events.find((e) => e.kind === 'warn')).toMatchObject({ code: 'POLL_FAILED' });
  });

  it('a Describe error (unknown job) is a typed error naming the call', async () => {
    sm.on(DescribeTrainingJobCommand).rejects(
      Object.assign(new Error('Requested resource not found.'), { name: 'ValidationException' }),
    );
    const err = await waitForJob(
      client(),
      { kind: 'training', name: 'nope', region: 'us-east-1', pollSeconds: 1 },
      deps(),
    ).catch((e) => e);
    expect(err.code).toBe('JOB_NOT_FOUND');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('nope');
  });
});

describe('retries (real client, loopback HTTP)', () => {
  // The prototype-level mock would swallow the HTTP layer these tests exercise.
  beforeEach(() => sm.restore());
  it('ThrottlingException twice, then success: the SDK retry strategy absorbs it', async () => {
    let calls = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        calls++;
        if (calls <= 2) {
          res.writeHead(400, {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-errortype': 'ThrottlingException',
          });
          res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ TrainingJobName: 'j', TrainingJobStatus: 'Completed', SecondaryStatus: 'Completed' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const c = createSageMakerClient({
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      });
      const out = await waitForJob(c, { kind: 'training', name: 'j', region: 'us-east-1', pollSeconds: 1 }, deps());
      expect(out.status).toBe('Completed');
      expect(calls).toBe(3);
    } finally {
      server.close();
    }
  }, 20_000);

  it('gives up after maxAttempts with a CloudError', async () => {
    let calls = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        calls++;
        res.writeHead(503, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ServiceUnavailable' });
        res.end(JSON.stringify({ __type: 'ServiceUnavailable', message: 'try later' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const c = createSageMakerClient({
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        maxAttempts: 2,
      });
      const d = deps();
      const err = await waitForJob(c, { kind: 'training', name: 'j', region: 'us-east-1', pollSeconds: 1 }, d).catch(
        (e) => e,
      );
      expect(err).toBeInstanceOf(CloudError);
      // 2 SDK attempts per poll, 3 polls in a row, a warning for each of the first two.
      expect(calls).toBe(2 * MAX_FAILED_POLLS);
      expect(d.reporter.events.filter((e) => e.kind === 'warn')).toHaveLength(MAX_FAILED_POLLS - 1);
    } finally {
      server.close();
    }
  }, 20_000);
});

describe('LogFollower', () => {
  it('ignores ResourceNotFound before the container logs, then streams new lines once', async () => {
    const notFound = Object.assign(new Error('The specified log group does not exist.'), {
      name: 'ResourceNotFoundException',
    });
    logs
      .on(DescribeLogStreamsCommand)
      .rejectsOnce(notFound)
      .resolves({ logStreams: [{ logStreamName: 'job/algo-1-1700000000' }] });
    logs
      .on(GetLogEventsCommand, { nextToken: undefined })
      .resolves({ events: [{ message: 'epoch 1\n' }, { message: 'epoch 2' }], nextForwardToken: 'f1' });
    logs.on(GetLogEventsCommand, { nextToken: 'f1' }).resolves({ events: [], nextForwardToken: 'f1' });
    const r = collectingReporter();
    const f = new LogFollower(
      new CloudWatchLogsClient({ region: 'us-east-1' }),
      '/aws/sagemaker/TrainingJobs',
      'job/',
      r,
    );
    expect(await f.poll()).toBe(0);
    expect(await f.poll()).toBe(2);
    expect(await f.poll()).toBe(0);
    expect(r.events).toEqual([
      { kind: 'log', source: 'job/algo-1-1700000000', message: 'epoch 1' },
      { kind: 'log', source: 'job/algo-1-1700000000', message: 'epoch 2' },
    ]);
    expect(logs).toHaveReceivedCommandWith(DescribeLogStreamsCommand, {
      logGroupName: '/aws/sagemaker/TrainingJobs',
      logStreamNamePrefix: 'job/',
    });
  });
});
