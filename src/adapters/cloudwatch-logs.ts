/**
 * `--logs`: follows a SageMaker job's CloudWatch log streams (`<job>/algo-*` for training) and
 * emits each new line as a `log` event. Before the container writes anything the log group or
 * streams do not exist (ResourceNotFoundException): that is normal and ignored.
 */
import {
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
import type { Reporter } from '../runtime/deps.js';

export class LogFollower {
  private readonly tokens = new Map<string, string | undefined>();

  constructor(
    private readonly client: CloudWatchLogsClient,
    private readonly group: string,
    /** e.g. `digitflow-train-<id>/` (all streams of the job). */
    private readonly streamPrefix: string,
    private readonly reporter: Reporter,
  ) {}

  /** Fetches whatever is new in every stream of the job; safe to call on each poll. */
  async poll(): Promise<number> {
    let lines = 0;
    const streams: string[] = [];
    try {
      // A training job with many instances (or a long transform) has more streams than one page.
      let nextToken: string | undefined;
      do {
        const out = await this.client.send(
          new DescribeLogStreamsCommand({
            logGroupName: this.group,
            logStreamNamePrefix: this.streamPrefix,
            nextToken,
          }),
        );
        for (const st of out.logStreams ?? []) if (st.logStreamName) streams.push(st.logStreamName);
        nextToken = out.nextToken && out.nextToken !== nextToken ? out.nextToken : undefined;
      } while (nextToken);
      streams.sort();
    } catch (e) {
      if ((e as { name?: string }).name === 'ResourceNotFoundException') return 0;
      throw e;
    }
    for (const stream of streams) {
      for (;;) {
        const token = this.tokens.get(stream);
        let out;
        try {
          out = await this.client.send(
            new GetLogEventsCommand({
              logGroupName: this.group,
              logStreamName: stream,
              startFromHead: true,
              nextToken: token,
            }),
          );
        } catch (e) {
          if ((e as { name?: string }).name === 'ResourceNotFoundException') break;
          throw e;
        }
        for (const ev of out.events ?? []) {
          this.reporter.emit({ kind: 'log', source: stream, message: (ev.message ?? '').replace(/\s+$/, '') });
          lines++;
        }
        // The same token back means "no more for now".
        const next = out.nextForwardToken;
        this.tokens.set(stream, next);
        if (!next || next === token || (out.events ?? []).length === 0) break;
      }
    }
    return lines;
  }
}
