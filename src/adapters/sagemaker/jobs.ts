/**
 * Everything the managed-engine stages ask of SageMaker, behind one interface: stages never import
 * the AWS SDK. Errors come back as digitflow errors (describeAwsError), except ResourceInUse on a
 * Create, which the caller resolves by looking at the existing resource's tags (a retried Create
 * whose first attempt went through).
 */
import {
  CreateHyperParameterTuningJobCommand,
  DescribeHyperParameterTuningJobCommand,
  ListTrainingJobsForHyperParameterTuningJobCommand,
  StopHyperParameterTuningJobCommand,
  type CreateHyperParameterTuningJobRequest,
  type DescribeHyperParameterTuningJobResponse,
  type DescribeTrainingJobResponse,
  type HyperParameterTrainingJobSummary,
  CreateModelCommand,
  CreateTrainingJobCommand,
  CreateTransformJobCommand,
  DeleteModelCommand,
  DescribeModelCommand,
  DescribeTrainingJobCommand,
  DescribeTransformJobCommand,
  ListTagsCommand,
  StopTrainingJobCommand,
  StopTransformJobCommand,
  type CreateModelInput,
  type CreateTrainingJobRequest,
  type CreateTransformJobRequest,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { describeAwsError } from './aws-error.js';
import { waitForJob, isMissingResource, type JobKind, type JobOutcome, type WaitOptions } from './wait-for-job.js';
import { LogFollower } from '../cloudwatch-logs.js';
import { CloudError, UserInputError } from '../../errors/index.js';
import type { Reporter, StageDeps } from '../../runtime/deps.js';

export type CreatableKind = 'training' | 'transform' | 'model' | 'tuning';

/** What a Create call did: made the resource, or found one of that name already there (ResourceInUse). */
export type CreateOutcome = { created: true } | { created: false; existingTags?: Record<string, string> };

export interface SageMakerJobs {
  /** Resolves the caller's credentials without calling a service (fails fast with AWS_NO_CREDENTIALS). */
  checkCredentials(): Promise<{ found: boolean; source?: string }>;
  createTrainingJob(req: CreateTrainingJobRequest): Promise<CreateOutcome>;
  createModel(req: CreateModelInput): Promise<CreateOutcome>;
  createTransformJob(req: CreateTransformJobRequest): Promise<CreateOutcome>;
  /** 'gone' when the model no longer exists. */
  deleteModel(name: string): Promise<'deleted' | 'gone'>;
  stopJob(kind: JobKind, name: string): Promise<void>;
  /** Training or transform, by asking SageMaker. */
  kindOf(name: string): Promise<JobKind>;
  waitForJob(opts: WaitOptions, deps: StageDeps): Promise<JobOutcome>;
  createTuningJob(req: CreateHyperParameterTuningJobRequest): Promise<CreateOutcome>;
  /** JOB_NOT_FOUND when no tuning job has that name. */
  describeTuningJob(name: string, signal?: AbortSignal): Promise<DescribeHyperParameterTuningJobResponse>;
  /** Every training job the tuning job launched (all pages). */
  listTuningTrials(name: string, signal?: AbortSignal): Promise<HyperParameterTrainingJobSummary[]>;
  /** Stops the tuning job and, with it, every trial still running. */
  stopTuningJob(name: string): Promise<void>;
  describeTrainingJob(name: string): Promise<DescribeTrainingJobResponse>;
  /** A follower that emits the job's new CloudWatch log lines on each poll (undefined without a logs client). */
  logFollower(kind: JobKind, name: string, reporter: Reporter): { poll(): Promise<number> } | undefined;
}

const CREATE_OP: Record<CreatableKind, string> = {
  training: 'TrainingJob',
  transform: 'TransformJob',
  model: 'Model',
  tuning: 'HyperParameterTuningJob',
};

function tagMap(tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/** SageMakerJobs over the real SDK client. */
export function sageMakerJobs(client: SageMakerClient, logs?: CloudWatchLogsClient): SageMakerJobs {
  /** Tags of an existing resource (undefined when it cannot be read). */
  async function tagsOf(kind: CreatableKind, name: string): Promise<Record<string, string> | undefined> {
    try {
      const arn =
        kind === 'training'
          ? (await client.send(new DescribeTrainingJobCommand({ TrainingJobName: name }))).TrainingJobArn
          : kind === 'transform'
            ? (await client.send(new DescribeTransformJobCommand({ TransformJobName: name }))).TransformJobArn
            : kind === 'tuning'
              ? (await client.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name })))
                  .HyperParameterTuningJobArn
              : (await client.send(new DescribeModelCommand({ ModelName: name }))).ModelArn;
      if (!arn) return undefined;
      return tagMap((await client.send(new ListTagsCommand({ ResourceArn: arn }))).Tags);
    } catch {
      return undefined;
    }
  }
  async function create(kind: CreatableKind, name: string, send: () => Promise<unknown>): Promise<CreateOutcome> {
    try {
      await send();
      return { created: true };
    } catch (e) {
      const err = e as { name?: string; message?: string };
      // A model that exists answers ValidationException "Cannot create already existing model".
      const inUse =
        err.name === 'ResourceInUse' ||
        (kind === 'model' && err.name === 'ValidationException' && /already exist/i.test(err.message ?? ''));
      if (inUse) return { created: false, existingTags: await tagsOf(kind, name) };
      throw describeAwsError(e, `Create${CREATE_OP[kind]} ${name}`);
    }
  }
  return {
    async checkCredentials() {
      try {
        const provider = client.config.credentials as unknown as () => Promise<{
          accessKeyId?: string;
          credentialScope?: string;
        }>;
        const c = await provider();
        return { found: Boolean(c?.accessKeyId) };
      } catch (e) {
        throw new CloudError('AWS_NO_CREDENTIALS', `no AWS credentials found: ${(e as Error).message}`, {
          hint: 'configure credentials (AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)',
          cause: e,
        });
      }
    },
    createTrainingJob: (req) =>
      create('training', req.TrainingJobName!, () => client.send(new CreateTrainingJobCommand(req))),
    createModel: (req) => create('model', req.ModelName!, () => client.send(new CreateModelCommand(req))),
    createTransformJob: (req) =>
      create('transform', req.TransformJobName!, () => client.send(new CreateTransformJobCommand(req))),
    async deleteModel(name) {
      try {
        await client.send(new DeleteModelCommand({ ModelName: name }));
        return 'deleted';
      } catch (e) {
        // Deleting twice is not an error: the goal (no model) is reached.
        if (
          isMissingResource(e) ||
          ((e as { name?: string }).name === 'ValidationException' &&
            /could not find|does not exist/i.test(String((e as Error).message)))
        )
          return 'gone';
        throw describeAwsError(e, `DeleteModel ${name}`);
      }
    },
    async stopJob(kind, name) {
      try {
        if (kind === 'training') await client.send(new StopTrainingJobCommand({ TrainingJobName: name }));
        else await client.send(new StopTransformJobCommand({ TransformJobName: name }));
      } catch (e) {
        throw describeAwsError(e, `Stop${kind === 'training' ? 'Training' : 'Transform'}Job ${name}`);
      }
    },
    async kindOf(name) {
      try {
        await client.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
        return 'training';
      } catch (e) {
        if (isMissingResource(e)) return 'transform';
        throw describeAwsError(e, `DescribeTrainingJob ${name}`);
      }
    },
    waitForJob: (opts, deps) => waitForJob(client, opts, deps),
    createTuningJob: (req) =>
      create('tuning', req.HyperParameterTuningJobName!, () =>
        client.send(new CreateHyperParameterTuningJobCommand(req)),
      ),
    async describeTuningJob(name, signal) {
      try {
        return await client.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }), {
          abortSignal: signal,
        });
      } catch (e) {
        if (signal?.aborted) throw signal.reason ?? e;
        if (isMissingResource(e)) {
          throw new UserInputError('JOB_NOT_FOUND', `no hyperparameter tuning job named ${name} in this region`, {
            hint: 'check the name and pass the --region the tuning job was created in',
            details: { job: name, kind: 'tuning' },
          });
        }
        throw describeAwsError(e, `DescribeHyperParameterTuningJob ${name}`);
      }
    },
    async listTuningTrials(name, signal) {
      const out: HyperParameterTrainingJobSummary[] = [];
      let NextToken: string | undefined;
      try {
        do {
          const page = await client.send(
            new ListTrainingJobsForHyperParameterTuningJobCommand({
              HyperParameterTuningJobName: name,
              MaxResults: 100,
              NextToken,
            }),
            { abortSignal: signal },
          );
          out.push(...(page.TrainingJobSummaries ?? []));
          NextToken = page.NextToken;
        } while (NextToken);
      } catch (e) {
        if (signal?.aborted) throw signal.reason ?? e;
        throw describeAwsError(e, `ListTrainingJobsForHyperParameterTuningJob ${name}`);
      }
      return out;
    },
    async stopTuningJob(name) {
      try {
        await client.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }));
      } catch (e) {
        throw describeAwsError(e, `StopHyperParameterTuningJob ${name}`);
      }
    },
    async describeTrainingJob(name) {
      try {
        return await client.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
      } catch (e) {
        throw describeAwsError(e, `DescribeTrainingJob ${name}`);
      }
    },
    logFollower: (kind, name, reporter) =>
      logs
        ? new LogFollower(
            logs,
            kind === 'training' ? '/aws/sagemaker/TrainingJobs' : '/aws/sagemaker/TransformJobs',
            `${name}/`,
            reporter,
          )
        : undefined,
  };
}
