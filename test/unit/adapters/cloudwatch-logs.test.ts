/** `--logs`: every log stream of a job is followed, also past the first DescribeLogStreams page. */
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { LogFollower } from '../../../src/adapters/cloudwatch-logs.js';
import { collectingReporter } from '../../../src/runtime/deps.js';

const logs = mockClient(CloudWatchLogsClient);
beforeEach(() => logs.reset());

describe('LogFollower', () => {
  it('pages through DescribeLogStreams (nextToken) and reads every stream', async () => {
    logs
      .on(DescribeLogStreamsCommand, { logStreamNamePrefix: 'job/', nextToken: undefined })
      .resolves({ logStreams: [{ logStreamName: 'job/algo-1-1' }], nextToken: 'p2' });
    logs
      .on(DescribeLogStreamsCommand, { logStreamNamePrefix: 'job/', nextToken: 'p2' })
      .resolves({ logStreams: [{ logStreamName: 'job/algo-2-1' }] });
    logs
      .on(GetLogEventsCommand, { logStreamName: 'job/algo-1-1' })
      .resolvesOnce({ events: [{ message: 'one\n', timestamp: 1 }], nextForwardToken: 'f1' })
      .resolves({ events: [], nextForwardToken: 'f1' });
    logs
      .on(GetLogEventsCommand, { logStreamName: 'job/algo-2-1' })
      .resolvesOnce({ events: [{ message: 'two', timestamp: 2 }], nextForwardToken: 'f2' })
      .resolves({ events: [], nextForwardToken: 'f2' });
    const reporter = collectingReporter();
    const f = new LogFollower(
      new CloudWatchLogsClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
      '/aws/sagemaker/TrainingJobs',
      'job/',
      reporter,
    );
    expect(await f.poll()).toBe(2);
    const lines = reporter.events.filter((e) => e.kind === 'log').map((e) => e as { source: string; message: string });
    expect(lines.map((l) => [l.source, l.message])).toEqual([
      ['job/algo-1-1', 'one'],
      ['job/algo-2-1', 'two'],
    ]);
    expect(logs.commandCalls(DescribeLogStreamsCommand)).toHaveLength(2);
  });
});
