/**
 * Everything the managed-engine stages ask of SageMaker, behind one interface: stages never import
 * the AWS SDK. Errors come back as digitflow errors (describeAwsError), except ResourceInUse on a
 * Create, which the caller resolves by looking at the existing resource's tags (a retried Create
 * whose first attempt went through).
 */
import {
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
import { CloudError } from '../../errors/index.js';
import type { Reporter, StageDeps } from '../../stages/deps.js';

export type CreatableKind = 'training' | 'transform' | 'model';

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
  /** A follower that emits the job's new CloudWatch log lines on each poll (undefined without a logs client). */
  logFollower(kind: JobKind, name: string, reporter: Reporter): { poll(): Promise<number> } | undefined;
}

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
      const inUse = err.name === 'ResourceInUse' || (kind === 'model' && err.name === 'ValidationException' && /already exist/i.test(err.message ?? ''));
      if (inUse) return { created: false, existingTags: await tagsOf(kind, name) };
      throw describeAwsError(e, `Create${kind === 'training' ? 'TrainingJob' : kind === 'transform' ? 'TransformJob' : 'Model'} ${name}`);
    }
  }
  return {
    async checkCredentials() {
      try {
        const provider = client.config.credentials as unknown as () => Promise<{ accessKeyId?: string; credentialScope?: string }>;
        const c = await provider();
        return { found: Boolean(c?.accessKeyId) };
      } catch (e) {
        throw new CloudError('AWS_NO_CREDENTIALS', `no AWS credentials found: ${(e as Error).message}`, {
          hint: 'configure credentials (AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)',
          cause: e,
        });
      }
    },
    createTrainingJob: (req) => create('training', req.TrainingJobName!, () => client.send(new CreateTrainingJobCommand(req))),
    createModel: (req) => create('model', req.ModelName!, () => client.send(new CreateModelCommand(req))),
    createTransformJob: (req) => create('transform', req.TransformJobName!, () => client.send(new CreateTransformJobCommand(req))),
    async deleteModel(name) {
      try {
        await client.send(new DeleteModelCommand({ ModelName: name }));
        return 'deleted';
      } catch (e) {
        // Deleting twice is not an error: the goal (no model) is reached.
        if (isMissingResource(e) || ((e as { name?: string }).name === 'ValidationException' && /could not find|does not exist/i.test(String((e as Error).message)))) return 'gone';
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
    logFollower: (kind, name, reporter) =>
      logs ? new LogFollower(logs, kind === 'training' ? '/aws/sagemaker/TrainingJobs' : '/aws/sagemaker/TransformJobs', `${name}/`, reporter) : undefined,
  };
}
