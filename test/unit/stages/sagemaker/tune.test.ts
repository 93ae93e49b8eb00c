/**
 * `tune --engine sagemaker` in process: the tuning plan (documented ranges, caps, refusals, names,
 * cost bound), the request shapes the adapter sends (aws-sdk-client-mock), and Ctrl-C while the
 * tuning job runs (stop → StopHyperParameterTuningJob; detach → nothing stopped).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateHyperParameterTuningJobCommand,
  DescribeHyperParameterTuningJobCommand,
  ListTagsCommand,
  ListTrainingJobsForHyperParameterTuningJobCommand,
  SageMakerClient,
  StopHyperParameterTuningJobCommand,
} from '@aws-sdk/client-sagemaker';
import { buildRunPlan, type PlanInput } from '../../../../src/domain/sagemaker-plan.js';
import {
  buildCreateTuningJob,
  buildTuningPlan,
  parseTuningRanges,
  tuningJobName,
  TUNING_NAME_RE,
  type TuningSettings,
} from '../../../../src/domain/linear-learner-tuning.js';
import { newManifest } from '../../../../src/domain/manifest.js';
import { ManifestRecorder, type SageMakerDeps } from '../../../../src/stages/sagemaker/deps.js';
import { createRecorded } from '../../../../src/stages/sagemaker/jobs.js';
import { waitForTuningJob, tuningOutcomeError, tuningProgress } from '../../../../src/stages/sagemaker/tune.js';
import { sageMakerJobs } from '../../../../src/adapters/sagemaker/jobs.js';
import { collectingReporter } from '../../../../src/runtime/deps.js';
import { InterruptedError, UserInputError } from '../../../../src/errors/index.js';

const sm = mockClient(SageMakerClient);
let dir: string;
beforeEach(async () => {
  sm.reset();
  dir = await mkdtemp(join(tmpdir(), 'digitflow-smtune-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const planInput: PlanInput = {
  runId: 'tune1',
  region: 'us-east-1',
  bucket: 'bkt',
  prefix: 'p',
  roleArn: 'arn:aws:iam::123456789012:role/R',
  instanceType: 'ml.m5.large',
  instanceCount: 1,
  spot: false,
  maxRuntimeSeconds: 1800,
  numClasses: 10,
  validation: true,
  trainRows: 37800,
};
const settings: TuningSettings = { strategy: 'Bayesian', maxJobs: 10, maxParallel: 2, ranges: {}, seed: 7 };

function deps(signal?: AbortSignal, onInterrupt?: SageMakerDeps['onInterrupt']): SageMakerDeps {
  let t = 0;
  return {
    reporter: collectingReporter(),
    clock: { now: () => t, sleep: async (ms) => void (t += ms) },
    signal,
    onInterrupt,
    sagemaker: sageMakerJobs(
      new SageMakerClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    ),
    storage: {} as SageMakerDeps['storage'],
  };
}

describe('tuning plan', () => {
  it(
    'tunes the documented defaults (learning_rate, wd, l1 log-scaled; mini_batch_size), ' +
      'keeps the rest static, and bounds the cost by max-jobs',
    () => {
      const plan = buildRunPlan(planInput);
      const t = buildTuningPlan(plan, {}, settings);
      expect(t.ranges).toEqual({
        learning_rate: { type: 'continuous', min: 1e-5, max: 1 },
        wd: { type: 'continuous', min: 1e-7, max: 1 },
        l1: { type: 'continuous', min: 1e-7, max: 1 },
        mini_batch_size: { type: 'integer', min: 100, max: 5000 },
      });
      // The run plan's own mini_batch_size default is not sent: it is tuned.
      expect(t.staticHyperparameters).toEqual({
        predictor_type: 'multiclass_classifier',
        num_classes: '10',
        feature_dim: '784',
      });
      // The run plan's per-job bounds (the same estimate functions `run` uses), times --max-jobs.
      const perJob = plan.costEstimate.trainingUsd!;
      const transform = plan.costEstimate.transformUsd!;
      expect(perJob).toBeGreaterThan(0);
      expect(t.costEstimate.usd).toBeCloseTo(perJob * 10 + transform, 2);
      expect(t.costEstimate.basis).toContain('10 training job(s)');
    },
  );

  it('a hyperparameter fixed with --hp is not tuned (noted); fixed and explicitly tuned is refused', () => {
    const plan = buildRunPlan({ ...planInput, hyperparameters: { learning_rate: '0.1' } });
    const t = buildTuningPlan(plan, { learning_rate: '0.1' }, settings);
    expect(t.ranges.learning_rate).toBeUndefined();
    expect(t.staticHyperparameters.learning_rate).toBe('0.1');
    expect(t.notes.join('\n')).toContain('learning_rate=0.1 fixed by you');
    expect(() =>
      buildTuningPlan(
        plan,
        { learning_rate: '0.1' },
        { ...settings, ranges: parseTuningRanges(['learning_rate=0.01:0.5']) },
      ),
    ).toThrow(/both fixed/);
  });

  it(
    'mini_batch_size is capped at the rows per training host, or dropped (default) / refused (explicit) ' +
      'below its documented minimum',
    () => {
      const small = buildRunPlan({ ...planInput, trainRows: 900 });
      expect(buildTuningPlan(small, {}, settings).ranges.mini_batch_size).toEqual({
        type: 'integer',
        min: 100,
        max: 900,
      });
      const tiny = buildRunPlan({ ...planInput, trainRows: 80 });
      const t = buildTuningPlan(tiny, {}, settings);
      expect(t.ranges.mini_batch_size).toBeUndefined();
      expect(t.staticHyperparameters.mini_batch_size).toBe('80');
      const err = (() => {
        try {
          buildTuningPlan(tiny, {}, { ...settings, ranges: parseTuningRanges(['mini_batch_size=100:200']) });
        } catch (e) {
          return e as UserInputError;
        }
      })();
      expect(err?.code).toBe('MINI_BATCH_TOO_LARGE');
    },
  );

  it('refuses --max-parallel above --max-jobs and a plan without validation rows', () => {
    const plan = buildRunPlan(planInput);
    expect(() => buildTuningPlan(plan, {}, { ...settings, maxJobs: 2, maxParallel: 3 })).toThrow(
      /--max-parallel 3 is larger than --max-jobs 2/,
    );
    expect(() => buildTuningPlan(buildRunPlan({ ...planInput, validation: false }), {}, settings)).toThrow(
      /needs validation rows/,
    );
  });

  it('--range parses within the documented bounds only', () => {
    expect(parseTuningRanges(['wd=1e-6:0.01', 'use_bias=TRUE,false', 'mini_batch_size=200:400'])).toEqual({
      wd: { type: 'continuous', min: 1e-6, max: 0.01 },
      use_bias: { type: 'categorical', values: ['true', 'false'] },
      mini_batch_size: { type: 'integer', min: 200, max: 400 },
    });
    for (const bad of [
      'wd=0:1',
      'learning_rate=0.1:2',
      'mini_batch_size=100.5:200',
      'l1=0.5:0.1',
      'use_bias=maybe',
      'epochs=1:5',
      'wd',
      'wd=1e-6:0.1',
      'l1=x:y',
    ]) {
      const items = bad === 'wd=1e-6:0.1' ? [bad, bad] : [bad];
      expect(() => parseTuningRanges(items), bad).toThrow(UserInputError);
    }
  });

  it('tuning job names are 1-32 characters of the API pattern, distinct for distinct long run ids', () => {
    expect(tuningJobName('t1')).toBe('digitflow-tune-t1');
    const a = tuningJobName('20261127-211500-tune-sagemaker');
    const b = tuningJobName('20261127-211500-tune-sagemaker-2');
    for (const n of [a, b, tuningJobName('weird_name.with spaces'), tuningJobName('x'.repeat(200))]) {
      expect(n.length).toBeLessThanOrEqual(32);
      expect(n).toMatch(TUNING_NAME_RE);
    }
    expect(a).not.toBe(b);
  });
});

describe('request shapes', () => {
  it(
    "CreateHyperParameterTuningJob carries the run's training definition, the ranges, objective, limits, " +
      'seed and tags',
    async () => {
      const plan = buildRunPlan({ ...planInput, hyperparameters: { epochs: '5' } });
      const t = buildTuningPlan(plan, { epochs: '5' }, settings);
      sm.on(CreateHyperParameterTuningJobCommand).resolves({ HyperParameterTuningJobArn: 'arn:t' });
      const d = deps();
      const rec = new ManifestRecorder(
        dir,
        newManifest({ runId: 'tune1', command: 'tune', engine: 'sagemaker', seed: 7, now: new Date(0), versions: {} }),
        d.clock,
      );
      await createRecorded(
        plan,
        'tuning-job',
        t.name,
        () => d.sagemaker.createTuningJob(buildCreateTuningJob(plan, t)),
        rec,
        d,
      );
      expect(sm).toHaveReceivedCommandWith(CreateHyperParameterTuningJobCommand, {
        HyperParameterTuningJobName: 'digitflow-tune-tune1',
        HyperParameterTuningJobConfig: {
          Strategy: 'Bayesian',
          HyperParameterTuningJobObjective: { MetricName: 'validation:multiclass_accuracy', Type: 'Maximize' },
          ResourceLimits: { MaxNumberOfTrainingJobs: 10, MaxParallelTrainingJobs: 2 },
          ParameterRanges: {
            ContinuousParameterRanges: [
              { Name: 'learning_rate', MinValue: '0.00001', MaxValue: '1', ScalingType: 'Logarithmic' },
              { Name: 'wd', MinValue: '1e-7', MaxValue: '1', ScalingType: 'Logarithmic' },
              { Name: 'l1', MinValue: '1e-7', MaxValue: '1', ScalingType: 'Logarithmic' },
            ],
            IntegerParameterRanges: [
              { Name: 'mini_batch_size', MinValue: '100', MaxValue: '5000', ScalingType: 'Linear' },
            ],
            CategoricalParameterRanges: [],
          },
          TrainingJobEarlyStoppingType: 'Off',
          RandomSeed: 7,
        },
        TrainingJobDefinition: {
          StaticHyperParameters: {
            epochs: '5',
            predictor_type: 'multiclass_classifier',
            num_classes: '10',
            feature_dim: '784',
          },
          AlgorithmSpecification: { TrainingImage: plan.image, TrainingInputMode: 'File' },
          RoleArn: planInput.roleArn,
          InputDataConfig: [
            expect.objectContaining({ ChannelName: 'train', ContentType: 'text/csv' }),
            expect.objectContaining({ ChannelName: 'validation', ContentType: 'text/csv' }),
          ],
          OutputDataConfig: { S3OutputPath: plan.s3.modelOutput },
          ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
          StoppingCondition: { MaxRuntimeInSeconds: 1800 },
        },
        Tags: [
          { Key: 'digitflow:run-id', Value: 'tune1' },
          { Key: 'created-by', Value: 'digitflow' },
        ],
      });
      expect(rec.manifest.resources.map((r) => [r.kind, r.id, r.deletable])).toEqual([
        ['tuning-job', 'digitflow-tune-tune1', false],
      ]);
    },
  );

  it(
    'a retried Create whose first try went through (ResourceInUse) adopts the tuning job when it carries this ' +
      "run's tag",
    async () => {
      const plan = buildRunPlan(planInput);
      const t = buildTuningPlan(plan, {}, settings);
      sm.on(CreateHyperParameterTuningJobCommand).rejects(
        Object.assign(new Error('exists'), { name: 'ResourceInUse' }),
      );
      sm.on(DescribeHyperParameterTuningJobCommand).resolves({
        HyperParameterTuningJobArn: 'arn:aws:sagemaker:us-east-1:1:hyper-parameter-tuning-job/x',
      });
      sm.on(ListTagsCommand).resolves({ Tags: [{ Key: 'digitflow:run-id', Value: 'tune1' }] });
      const d = deps();
      const rec = new ManifestRecorder(
        dir,
        newManifest({ runId: 'tune1', command: 'tune', engine: 'sagemaker', seed: 7, now: new Date(0), versions: {} }),
        d.clock,
      );
      await createRecorded(
        plan,
        'tuning-job',
        t.name,
        () => d.sagemaker.createTuningJob(buildCreateTuningJob(plan, t)),
        rec,
        d,
      );
      expect(rec.manifest.sagemaker?.adopted).toEqual(['digitflow-tune-tune1']);
    },
  );

  it('lists every page of trials (MaxResults 100, NextToken), maps a missing tuning job to JOB_NOT_FOUND', async () => {
    sm.on(ListTrainingJobsForHyperParameterTuningJobCommand)
      .resolvesOnce({ TrainingJobSummaries: [{ TrainingJobName: 'a' } as never], NextToken: 'n1' })
      .resolves({ TrainingJobSummaries: [{ TrainingJobName: 'b' } as never] });
    const d = deps();
    expect((await d.sagemaker.listTuningTrials('x')).map((s) => s.TrainingJobName)).toEqual(['a', 'b']);
    expect(sm).toHaveReceivedNthCommandWith(ListTrainingJobsForHyperParameterTuningJobCommand, 2, {
      HyperParameterTuningJobName: 'x',
      MaxResults: 100,
      NextToken: 'n1',
    });
    sm.on(DescribeHyperParameterTuningJobCommand).rejects(
      Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFound' }),
    );
    await expect(d.sagemaker.describeTuningJob('nope')).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
  });
});

describe('waiting on the tuning job', () => {
  const running = {
    HyperParameterTuningJobName: 'tj',
    HyperParameterTuningJobStatus: 'InProgress',
    TrainingJobStatusCounters: { Completed: 1, InProgress: 2 },
  } as const;

  it('reports the counters and the best so far, and returns on Completed', async () => {
    sm.on(DescribeHyperParameterTuningJobCommand)
      .resolvesOnce(running)
      .resolves({
        ...running,
        HyperParameterTuningJobStatus: 'Completed',
        TrainingJobStatusCounters: { Completed: 3, NonRetryableError: 1 },
        BestTrainingJob: {
          TrainingJobName: 'tj-002-aa',
          FinalHyperParameterTuningJobObjectiveMetric: { MetricName: 'validation:multiclass_accuracy', Value: 0.9123 },
        } as never,
      });
    const d = deps();
    const r = await waitForTuningJob('tj', 4, { pollSeconds: 5, logs: false }, d);
    expect(r.HyperParameterTuningJobStatus).toBe('Completed');
    expect(tuningProgress(r, 4)).toBe('3/4 completed, 0 running, 1 failed; best 0.9123 (tj-002-aa)');
    const statuses = (d.reporter as ReturnType<typeof collectingReporter>).events.filter((e) => e.kind === 'status');
    expect(statuses.map((e) => (e as { secondary?: string }).secondary)).toEqual([
      '1/4 completed, 2 running, 0 failed',
      '3/4 completed, 0 running, 1 failed; best 0.9123 (tj-002-aa)',
    ]);
  });

  it('Stopped without any completed trial and Failed are errors (exit 3); Stopped with a best trial is not', () => {
    expect(tuningOutcomeError({ ...running, HyperParameterTuningJobStatus: 'Stopped' } as never)?.code).toBe(
      'TUNING_JOB_STOPPED',
    );
    expect(
      tuningOutcomeError({ ...running, HyperParameterTuningJobStatus: 'Failed', FailureReason: 'quota' } as never)
        ?.message,
    ).toContain('quota');
    expect(
      tuningOutcomeError({
        ...running,
        HyperParameterTuningJobStatus: 'Stopped',
        BestTrainingJob: { TrainingJobName: 'x' },
      } as never),
    ).toBeUndefined();
  });

  it(
    'Ctrl-C and "stop": StopHyperParameterTuningJob is sent; "detach" (or no terminal) ' +
      'leaves it running with the attach command',
    async () => {
      sm.on(DescribeHyperParameterTuningJobCommand).resolves(running);
      sm.on(StopHyperParameterTuningJobCommand).resolves({});
      const ac = new AbortController();
      ac.abort(new InterruptedError('SIGINT'));
      const asked: string[] = [];
      const stop = await waitForTuningJob(
        'tj',
        4,
        { pollSeconds: 5, logs: false },
        deps(ac.signal, async (jobs) => {
          asked.push(...jobs.map((j) => `${j.kind} ${j.name}`));
          return 'stop';
        }),
      ).catch((e) => e);
      expect(stop).toBeInstanceOf(InterruptedError);
      expect(stop.message).toContain('stopped tuning job tj');
      expect(asked).toEqual(['tuning tj']);
      expect(sm).toHaveReceivedCommandWith(StopHyperParameterTuningJobCommand, { HyperParameterTuningJobName: 'tj' });

      sm.resetHistory();
      const detach = await waitForTuningJob('tj', 4, { pollSeconds: 5, logs: false }, deps(ac.signal)).catch((e) => e);
      expect(detach.message).toContain('detached from tuning job tj');
      expect(detach.details).toMatchObject({ decision: 'detach', jobs: ['tj'] });
      expect(sm).not.toHaveReceivedCommand(StopHyperParameterTuningJobCommand);
    },
  );
});
