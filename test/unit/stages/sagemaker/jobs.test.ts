import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { mockClient } from 'aws-sdk-client-mock';
import { estimateCost } from '../../../../src/domain/instance-prices.js';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CreateModelCommand,
  CreateTrainingJobCommand,
  CreateTransformJobCommand,
  DeleteModelCommand,
  DescribeTrainingJobCommand,
  DescribeTransformJobCommand,
  ListTagsCommand,
  SageMakerClient,
  StopTrainingJobCommand,
} from '@aws-sdk/client-sagemaker';
import { buildRunPlan, type PlanInput } from '../../../../src/domain/sagemaker-plan.js';
import { newManifest } from '../../../../src/domain/manifest.js';
import { ManifestRecorder, type SageMakerDeps } from '../../../../src/stages/sagemaker/deps.js';
import { runTrainingJob, runTransformJobs } from '../../../../src/stages/sagemaker/jobs.js';
import { cleanupStage } from '../../../../src/stages/sagemaker/cleanup.js';
import { checkLinearLearnerCsv } from '../../../../src/stages/sagemaker/preflight.js';
import type { RunStorage } from '../../../../src/adapters/sagemaker/run-storage.js';
import { collectingReporter } from '../../../../src/runtime/deps.js';
import { sageMakerJobs } from '../../../../src/adapters/sagemaker/jobs.js';
import { InterruptedError, UserInputError } from '../../../../src/errors/index.js';

const sm = mockClient(SageMakerClient);
let dir: string;
beforeEach(async () => {
  sm.reset();
  dir = await mkdtemp(join(tmpdir(), 'digitflow-smjobs-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const planInput: PlanInput = {
  runId: 'r1',
  region: 'us-west-2',
  bucket: 'bkt',
  prefix: 'p',
  roleArn: 'arn:aws:iam::123456789012:role/R',
  instanceType: 'ml.m5.large',
  instanceCount: 2,
  spot: false,
  maxRuntimeSeconds: 600,
  numClasses: 10,
  validation: true,
};

/** In-memory S3: objects keyed by URI. */
function memStorage(objects: Map<string, string>): RunStorage & { deleted: string[] } {
  const deleted: string[] = [];
  return {
    deleted,
    headBucket: async () => undefined,
    putFile: async (p, uri) => {
      const t = await readFile(p, 'utf8');
      objects.set(uri, t);
      return t.length;
    },
    download: async (uri, local) => {
      const t = objects.get(uri);
      if (t === undefined) throw new UserInputError('S3_NO_SUCH_KEY', `no ${uri}`);
      await mkdir(dirname(local), { recursive: true });
      await writeFile(local, t);
      return t.length;
    },
    // Like S3: keys within the bucket, not URIs.
    listKeys: async (uri) =>
      [...objects.keys()].filter((k) => k.startsWith(uri)).map((k) => k.replace(/^s3:\/\/[^/]+\//, '')),
    deletePrefix: async (uri) => {
      deleted.push(uri);
      const keys = [...objects.keys()].filter((k) => k.startsWith(uri));
      keys.forEach((k) => objects.delete(k));
      return keys.length;
    },
  };
}

function setup(objects = new Map<string, string>()) {
  const reporter = collectingReporter();
  let t = 0;
  const deps: SageMakerDeps = {
    reporter,
    clock: { now: () => t, sleep: async (ms) => void (t += ms) },
    sagemaker: sageMakerJobs(
      new SageMakerClient({ region: 'us-west-2', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    ),
    storage: memStorage(objects),
  };
  const manifest = newManifest({
    runId: 'r1',
    command: 'run',
    engine: 'sagemaker',
    seed: 1,
    now: new Date(0),
    versions: {},
  });
  return { deps, reporter, rec: new ManifestRecorder(dir, manifest, { now: () => deps.clock.now() }), objects };
}

describe('training', () => {
  it('creates the job with the planned request, waits, creates the model from the artifact, records both', async () => {
    const plan = buildRunPlan(planInput);
    sm.on(CreateTrainingJobCommand).resolves({ TrainingJobArn: 'arn:x' });
    sm.on(DescribeTrainingJobCommand)
      .resolvesOnce({ TrainingJobStatus: 'InProgress', SecondaryStatus: 'Downloading' })
      .resolves({
        TrainingJobStatus: 'Completed',
        SecondaryStatus: 'Completed',
        BillableTimeInSeconds: 60,
        ResourceConfig: { InstanceCount: 2, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 },
        ModelArtifacts: { S3ModelArtifacts: `${plan.s3.modelOutput}${plan.names.trainingJob}/output/model.tar.gz` },
      });
    sm.on(CreateModelCommand).resolves({ ModelArn: 'arn:m' });
    const { deps, rec } = setup();
    const r = await runTrainingJob(plan, { pollSeconds: 5, logs: false }, rec, deps);
    expect(r.billableSeconds).toBe(120);
    expect(sm).toHaveReceivedCommandWith(CreateTrainingJobCommand, {
      TrainingJobName: 'digitflow-train-r1',
      AlgorithmSpecification: {
        TrainingImage: '174872318107.dkr.ecr.us-west-2.amazonaws.com/linear-learner:1',
        TrainingInputMode: 'File',
      },
      HyperParameters: { predictor_type: 'multiclass_classifier', num_classes: '10', feature_dim: '784' },
    });
    expect(sm).toHaveReceivedCommandWith(CreateModelCommand, {
      ModelName: 'digitflow-model-r1',
      PrimaryContainer: { Image: plan.image, ModelDataUrl: r.modelDataUrl },
    });
    const onDisk = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(
      onDisk.resources.map((x: { kind: string; id: string; deletable: boolean }) => [x.kind, x.id, x.deletable]),
    ).toEqual([
      ['training-job', 'digitflow-train-r1', false],
      ['model', 'digitflow-model-r1', true],
    ]);
  });

  it('a failed job: no model, error carries the reason, the job is still in the manifest', async () => {
    sm.on(CreateTrainingJobCommand).resolves({});
    sm.on(DescribeTrainingJobCommand).resolves({
      TrainingJobStatus: 'Failed',
      FailureReason: 'AlgorithmError: bad label',
    });
    const { deps, rec } = setup();
    const err = await runTrainingJob(buildRunPlan(planInput), { pollSeconds: 1, logs: false }, rec, deps).catch(
      (e) => e,
    );
    expect(err.code).toBe('TRAINING_JOB_FAILED');
    expect(err.message).toContain('bad label');
    expect(sm).not.toHaveReceivedCommand(CreateModelCommand);
    expect(rec.manifest.resources.map((r) => r.id)).toEqual(['digitflow-train-r1']);
  });

  it('a failed job is billed too: its billable seconds and cost go into the manifest on disk', async () => {
    sm.on(CreateTrainingJobCommand).resolves({});
    sm.on(DescribeTrainingJobCommand).resolves({
      TrainingJobStatus: 'Failed',
      FailureReason: 'AlgorithmError: out of memory',
      BillableTimeInSeconds: 45,
      ResourceConfig: { InstanceCount: 2, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 },
    });
    const { deps, rec } = setup();
    const plan = buildRunPlan(planInput);
    const err = await runTrainingJob(plan, { pollSeconds: 1, logs: false }, rec, deps).catch((e) => e);
    expect(err.code).toBe('TRAINING_JOB_FAILED');
    const onDisk = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(onDisk.billableSeconds).toBe(90);
    // us-west-2 has no dated price table: billed seconds are recorded, no us-east-1 price is passed off as its cost.
    expect(onDisk.sagemaker.billed).toEqual([{ job: 'digitflow-train-r1', instanceType: 'ml.m5.large', seconds: 90 }]);
    expect(onDisk.costEstimate).toBeUndefined();
    const east = setup();
    const eastPlan = buildRunPlan({ ...planInput, region: 'us-east-1' });
    await runTrainingJob(eastPlan, { pollSeconds: 1, logs: false }, east.rec, east.deps).catch((e) => e);
    expect(east.rec.manifest.costEstimate!.basis).toContain('90s x ml.m5.large, on-demand us-east-1 estimate table');
    expect(east.rec.manifest.costEstimate!.usd).toBe(estimateCost(plan.training.instanceType, 1, 90));
  });

  it('Ctrl-C + "stop" sends StopTrainingJob; "detach" does not', async () => {
    for (const decision of ['stop', 'detach'] as const) {
      sm.reset();
      sm.on(CreateTrainingJobCommand).resolves({});
      sm.on(DescribeTrainingJobCommand).resolves({ TrainingJobStatus: 'InProgress' });
      sm.on(StopTrainingJobCommand).resolves({});
      const { deps, rec } = setup();
      const ac = new AbortController();
      let n = 0;
      deps.clock = { now: () => 0, sleep: async () => void (++n === 2 && ac.abort(new InterruptedError())) };
      deps.signal = ac.signal;
      let asked: string[] = [];
      deps.onInterrupt = async (jobs) => ((asked = jobs.map((j) => j.name)), decision);
      const err = await runTrainingJob(buildRunPlan(planInput), { pollSeconds: 1, logs: false }, rec, deps).catch(
        (e) => e,
      );
      expect(err).toBeInstanceOf(InterruptedError);
      expect(asked).toEqual(['digitflow-train-r1']);
      expect(sm.commandCalls(StopTrainingJobCommand)).toHaveLength(decision === 'stop' ? 1 : 0);
      if (decision === 'detach') expect(err.hint).toContain('digitflow attach digitflow-train-r1');
    }
  });
});

describe('after Ctrl-C nothing new is created', () => {
  it('training: no CreateTrainingJob', async () => {
    const { deps, rec } = setup();
    const ac = new AbortController();
    ac.abort(new InterruptedError());
    deps.signal = ac.signal;
    await expect(runTrainingJob(buildRunPlan(planInput), { pollSeconds: 1, logs: false }, rec, deps)).rejects.toThrow(
      InterruptedError,
    );
    expect(sm).not.toHaveReceivedCommand(CreateTrainingJobCommand);
  });
  it('transform: interrupted while the transform job is created -> asks about it', async () => {
    const { deps, rec } = setup();
    const ac = new AbortController();
    sm.on(CreateTransformJobCommand).callsFake(() => {
      ac.abort(new InterruptedError());
      return {};
    });
    deps.signal = ac.signal;
    let asked: string[] = [];
    deps.onInterrupt = async (jobs) => ((asked = jobs.map((j) => j.name)), 'detach');
    await expect(
      runTransformJobs(
        buildRunPlan({ ...planInput, transformInstanceCount: 2 }),
        [1, 1],
        1,
        { pollSeconds: 1, logs: false },
        rec,
        deps,
      ),
    ).rejects.toThrow(/detached/);
    expect(sm.commandCalls(CreateTransformJobCommand)).toHaveLength(1);
    expect(asked).toEqual(['digitflow-tf-r1']);
  });
});

describe('transform', () => {
  it(
    'one transform scores test shards + validation rows; ' + 'shards reassembled in ImageId order, blank lines dropped',
    async () => {
      const plan = buildRunPlan({ ...planInput, transformInstanceCount: 2 });
      const line = (k: number) =>
        JSON.stringify({ score: Array.from({ length: 10 }, (_, c) => (c === k ? 0.91 : 0.01)), predicted_label: k });
      const objects = new Map<string, string>([
        [`${plan.s3.transformOutput}test-part-00000.csv.out`, `${line(1)}\n${line(2)}\n\n`],
        [`${plan.s3.transformOutput}test-part-00001.csv.out`, `${line(3)}`],
        [`${plan.s3.transformOutput}validation-features.csv.out`, `${line(7)}\n`],
      ]);
      sm.on(CreateTransformJobCommand).resolves({});
      sm.on(DescribeTransformJobCommand).resolves({ TransformJobStatus: 'Completed' });
      const { deps, rec } = setup(objects);
      const r = await runTransformJobs(plan, [2, 1], 1, { pollSeconds: 1, logs: false }, rec, deps);
      expect(await readFile(r.testOutput, 'utf8')).toBe(`${line(1)}\n${line(2)}\n${line(3)}\n`);
      expect(await readFile(r.validationOutput!, 'utf8')).toBe(`${line(7)}\n`);
      const calls = sm.commandCalls(CreateTransformJobCommand).map((c) => c.args[0].input);
      expect(
        calls.map((c) => [
          c.TransformJobName,
          c.TransformResources?.InstanceType,
          c.TransformResources?.InstanceCount,
          c.TransformOutput?.Accept,
          c.TransformInput?.SplitType,
          c.TransformInput?.DataSource?.S3DataSource?.S3Uri,
        ]),
      ).toEqual([
        ['digitflow-tf-r1', 'ml.m5.large', 2, 'application/jsonlines', 'Line', 's3://bkt/p/r1/data/transform-input/'],
      ]);
    },
  );

  it('a failed transform is billed on its own instance type', async () => {
    const plan = buildRunPlan({ ...planInput, region: 'us-east-1', transformInstanceType: 'ml.c5.xlarge' });
    sm.on(CreateTransformJobCommand).resolves({});
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    sm.on(DescribeTransformJobCommand).resolves({
      TransformJobStatus: 'Failed',
      FailureReason: 'ClientError: bad input',
      TransformStartTime: at(0),
      TransformEndTime: at(30),
      TransformResources: { InstanceCount: 1, InstanceType: 'ml.c5.xlarge' },
    });
    const { deps, rec } = setup();
    const err = await runTransformJobs(plan, [2, 1], 1, { pollSeconds: 1, logs: false }, rec, deps).catch((e) => e);
    expect(err.message).toContain('bad input');
    const onDisk = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(onDisk.billableSeconds).toBe(30);
    expect(onDisk.sagemaker.billed).toEqual([{ job: 'digitflow-tf-r1', instanceType: 'ml.c5.xlarge', seconds: 30 }]);
    expect(onDisk.costEstimate.usd).toBe(estimateCost('ml.c5.xlarge', 1, 30));
  });

  it("ResourceInUse on a retried create: adopted with this run's tag, refused with another's", async () => {
    const plan = buildRunPlan({ ...planInput, validation: false });
    const arn = 'arn:aws:sagemaker:us-west-2:1:transform-job/digitflow-tf-r1';
    sm.on(CreateTransformJobCommand).rejects(
      Object.assign(new Error('Transform job names must be unique'), { name: 'ResourceInUse' }),
    );
    sm.on(DescribeTransformJobCommand).resolves({ TransformJobStatus: 'Completed', TransformJobArn: arn });
    sm.on(ListTagsCommand).resolves({ Tags: [{ Key: 'digitflow:run-id', Value: 'someone-else' }] });
    const other = setup(
      new Map([[`${plan.s3.transformOutput}test-part-00000.csv.out`, '{"score":[1,0,0],"predicted_label":0}\n']]),
    );
    const err = await runTransformJobs(plan, [1], 0, { pollSeconds: 1, logs: false }, other.rec, other.deps).catch(
      (e) => e,
    );
    expect(err.code).toBe('NAME_IN_USE');
    expect(other.rec.manifest.resources).toEqual([]);
    sm.on(ListTagsCommand).resolves({ Tags: [{ Key: 'digitflow:run-id', Value: 'r1' }] });
    const ours = setup(
      new Map([[`${plan.s3.transformOutput}test-part-00000.csv.out`, '{"score":[1,0,0],"predicted_label":0}\n']]),
    );
    const r = await runTransformJobs(plan, [1], 0, { pollSeconds: 1, logs: false }, ours.rec, ours.deps);
    expect(await readFile(r.testOutput, 'utf8')).toBe('{"score":[1,0,0],"predicted_label":0}\n');
    expect(ours.rec.manifest.resources.map((x) => x.id)).toEqual(['digitflow-tf-r1']);
    expect(ours.rec.manifest.sagemaker?.adopted).toEqual(['digitflow-tf-r1']);
  });

  it('a Create that fails after the run created something names it with attach and cleanup commands', async () => {
    const plan = buildRunPlan(planInput);
    sm.on(CreateTrainingJobCommand).resolves({});
    sm.on(DescribeTrainingJobCommand).resolves({
      TrainingJobStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: 's3://bkt/p/r1/model/x/output/model.tar.gz' },
    });
    sm.on(CreateModelCommand).rejects(
      Object.assign(new Error('not authorized to perform iam:PassRole'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const { deps, rec } = setup();
    const err = await runTrainingJob(plan, { pollSeconds: 1, logs: false }, rec, deps).catch((e) => e);
    expect(err.code).toBe('AWS_ACCESS_DENIED');
    expect(err.hint).toContain('This run already created training-job digitflow-train-r1');
    expect(err.hint).toContain(`digitflow attach digitflow-train-r1 -o ${dir}`);
    expect(err.hint).toContain(`digitflow cleanup ${dir}`);
  });

  it('finds the .out under a mirrored input prefix; a missing .out is a clear error', async () => {
    const plan = buildRunPlan({ ...planInput, instanceCount: 1, validation: false });
    const nested = `${plan.s3.transformOutput}p/r1/data/transform-input/test-part-00000.csv.out`;
    sm.on(CreateTransformJobCommand).resolves({});
    sm.on(DescribeTransformJobCommand).resolves({ TransformJobStatus: 'Completed' });
    const ok = setup(new Map([[nested, '{"score":[1,0,0],"predicted_label":0}\n']]));
    const r = await runTransformJobs(plan, [1], 0, { pollSeconds: 1, logs: false }, ok.rec, ok.deps);
    expect(await readFile(r.testOutput, 'utf8')).toBe('{"score":[1,0,0],"predicted_label":0}\n');
    const none = setup(new Map());
    const err = await runTransformJobs(plan, [1], 0, { pollSeconds: 1, logs: false }, none.rec, none.deps).catch(
      (e) => e,
    );
    expect(err.code).toBe('TRANSFORM_OUTPUT_MISSING');
    expect(err.message).toContain('test-part-00000.csv.out');
  });

  it('a .out with a missing row is an error, not shifted ImageIds', async () => {
    const plan = buildRunPlan({ ...planInput, instanceCount: 1, validation: false });
    const objects = new Map([
      [`${plan.s3.transformOutput}test-part-00000.csv.out`, '{"score":[1,0,0],"predicted_label":0}\n\n'],
    ]);
    sm.on(CreateTransformJobCommand).resolves({});
    sm.on(DescribeTransformJobCommand).resolves({ TransformJobStatus: 'Completed' });
    const { deps, rec } = setup(objects);
    const err = await runTransformJobs(plan, [2], 0, { pollSeconds: 1, logs: false }, rec, deps).catch((e) => e);
    expect(err.code).toBe('TRANSFORM_OUTPUT_ROWS');
  });
});

describe('cleanup', () => {
  it('deletes the prefix and models, keeps job records, tolerates an already-deleted model', async () => {
    const { deps, rec, objects } = setup(
      new Map([
        ['s3://bkt/p/r1/data/train/train.csv', 'x'],
        ['s3://bkt/p/r10/keep.csv', 'y'],
      ]),
    );
    for (const [k, id, d] of [
      ['s3-prefix', 's3://bkt/p/r1/', true],
      ['training-job', 'digitflow-train-r1', false],
      ['model', 'digitflow-model-r1', true],
      ['model', 'digitflow-model-old', true],
      ['transform-job', 'digitflow-tf-r1', false],
    ] as const) {
      await rec.addResource(k, id, 'us-west-2', d);
    }
    sm.on(DeleteModelCommand, { ModelName: 'digitflow-model-r1' }).resolves({});
    sm.on(DeleteModelCommand, { ModelName: 'digitflow-model-old' }).rejects(
      Object.assign(new Error('Could not find model "digitflow-model-old".'), { name: 'ValidationException' }),
    );
    const dry = await cleanupStage({ manifest: rec.manifest, dryRun: true }, deps);
    expect(dry.deleted).toEqual([]);
    expect(dry.wouldDelete).toEqual([
      { kind: 's3-prefix', id: 's3://bkt/p/r1/', objects: 1 },
      { kind: 'model', id: 'digitflow-model-r1', objects: undefined },
      { kind: 'model', id: 'digitflow-model-old', objects: undefined },
    ]);
    expect(objects.size).toBe(2);
    const r = await cleanupStage({ manifest: rec.manifest }, deps);
    expect(r.deleted).toEqual([
      { kind: 's3-prefix', id: 's3://bkt/p/r1/', objects: 1 },
      { kind: 'model', id: 'digitflow-model-r1' },
      { kind: 'model', id: 'digitflow-model-old', alreadyGone: true },
    ]);
    expect(r.kept.map((k) => k.id)).toEqual(['digitflow-train-r1', 'digitflow-tf-r1']);
    expect([...objects.keys()]).toEqual(['s3://bkt/p/r10/keep.csv']);
    expect(rec.manifest.resources.map((x) => x.id)).toEqual(['digitflow-train-r1', 'digitflow-tf-r1']);
  });
});

describe('Linear Learner CSV preflight', () => {
  const row = (label: string | null) => (label === null ? '' : label + ',') + new Array(784).fill('0').join(',');
  it.each([
    ['header', `label,${Array.from({ length: 784 }, (_, i) => `pixel${i}`).join(',')}\n${row('1')}\n`, /header/],
    ['short row', `${row('1')}\n1,2,3\n`, /:2: 3 columns, expected 785/],
    ['label out of range', `${row('1')}\n${row('10')}\n`, /:2: label '10'/],
    ['blank line', `${row('1')}\n\n`, /:2: empty line/],
  ])('%s is refused with file:line', async (_n, text, re) => {
    const p = join(dir, 'x.csv');
    await writeFile(p, text);
    await expect(checkLinearLearnerCsv(p, { labelled: true, numClasses: 10 })).rejects.toThrow(re);
  });
  it('accepts a valid file and counts labels', async () => {
    const p = join(dir, 'ok.csv');
    await writeFile(p, `${row('3')}\n${row('3')}\n${row('0')}\n`);
    const r = await checkLinearLearnerCsv(p, { labelled: true, numClasses: 10 });
    expect(r.rows).toBe(3);
    expect(r.labelCounts![3]).toBe(2);
  });
});
