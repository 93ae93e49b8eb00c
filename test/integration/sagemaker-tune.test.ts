/**
 * `tune --engine sagemaker` through the BUILT binary against the loopback SageMaker server (whose
 * trials are the same stand-in Linear Learner as its training jobs, so each trial's objective is
 * real for its settings) and s3rver: the happy path (tuning job → trials → best → model →
 * transform → scored), the refusals before anything is created, failed trials, Ctrl-C (detach and
 * attach), and cleanup of what the tune created.
 */
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateHyperParameterTuningJobCommand } from '@aws-sdk/client-sagemaker';
import { createS3Client } from '../../src/adapters/s3/client.js';
import { buildRunPlan } from '../../src/domain/sagemaker-plan.js';
import { buildCreateTuningJob, buildTuningPlan } from '../../src/domain/linear-learner-tuning.js';
import { BIN, runBin, writeMnistCsvs } from '../helpers/mnist-cli-fixture.js';
import {
  loopbackSageMakerClient,
  startSageMakerServer,
  type SageMakerTestServer,
} from '../helpers/sagemaker-server.js';

vi.setConfig({ testTimeout: 240_000 });

const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole';

let server: SageMakerTestServer;
let dir: string;
let env: NodeJS.ProcessEnv;
const s3info = inject('s3');
const s3 = createS3Client({
  endpoint: s3info.endpoint,
  credentials: { accessKeyId: s3info.accessKeyId, secretAccessKey: s3info.secretAccessKey },
});
const BUCKET = `digitflow-tune-${process.pid}`;

const writeData = (): Promise<void> => writeMnistCsvs(dir, 1000, 200);

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runBin(args, { cwd: dir, env, timeoutMs: 200_000 });
}

const common = [
  'tune',
  '--engine',
  'sagemaker',
  '--bucket',
  BUCKET,
  '--role',
  ROLE,
  '--region',
  'us-east-1',
  '--train',
  'train.csv',
  '--test',
  'test.csv',
  '--poll-seconds',
  '1',
];
const creates = () => server.requests.filter((q) => q.op.startsWith('Create')).length;
const manifestOf = async (run: string) => JSON.parse(await readFile(join(dir, run, 'manifest.json'), 'utf8'));

async function refused(args: string[], code: string) {
  const before = creates();
  const r = await cli(args);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain(`error[${code}]`);
  expect(creates()).toBe(before);
  return r;
}

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`build first: ${BIN} is missing (npx tsc -p .)`);
  dir = await mkdtemp(join(tmpdir(), 'digitflow-smtune-'));
  await writeData();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  server = await startSageMakerServer({ s3: s3info, stepMs: 40 });
  env = {
    ...process.env,
    AWS_ENDPOINT_URL_SAGEMAKER: server.endpoint,
    AWS_ENDPOINT_URL_S3: s3info.endpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: server.endpoint,
    AWS_ACCESS_KEY_ID: s3info.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3info.secretAccessKey,
    AWS_REGION: 'us-east-1',
    NO_COLOR: '1',
  };
}, 60_000);

afterAll(async () => {
  await server?.close();
  s3.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('tune --engine sagemaker', () => {
  it(
    'runs a tuning job, takes the best trial through model + transform, records every resource, ' +
      'and cleanup deletes what it can',
    async () => {
      const r = await cli([
        '--json',
        ...common,
        '--labels',
        'labels.csv',
        '--max-jobs',
        '3',
        '--max-parallel',
        '2',
        '--strategy',
        'random',
        '--hp',
        'epochs=2',
        '-o',
        'runs/t1',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({
        engine: 'sagemaker',
        tuningJob: 'digitflow-tune-t1',
        strategy: 'Random',
        status: 'Completed',
        maxJobs: 3,
        maxParallel: 2,
      });
      expect(out.leaderboard).toHaveLength(3);
      // The leaderboard is ranked by the objective each trial reported, and the best is the service's best.
      const objectives = out.leaderboard.map((t: { objective: number }) => t.objective);
      expect(objectives).toEqual([...objectives].sort((a, b) => b - a));
      expect(out.best.trainingJob).toBe(out.leaderboard[0].trainingJob);
      expect(out.best.trainingJob).toMatch(/^digitflow-tune-t1-00[1-3]-[0-9a-f]{8}$/);
      // Every trial got its own sampled settings, within the (capped) documented ranges.
      for (const t of out.leaderboard) {
        expect(Number(t.tuned.learning_rate)).toBeGreaterThanOrEqual(1e-5);
        expect(Number(t.tuned.learning_rate)).toBeLessThanOrEqual(1);
        expect(Number(t.tuned.mini_batch_size)).toBeLessThanOrEqual(900);
        expect(t.billableSeconds).toBeGreaterThan(0);
      }
      expect(new Set(out.leaderboard.map((t: { tuned: { wd: string } }) => t.tuned.wd)).size).toBe(3);
      // The request: the run's definition, static hyperparameters without the tuned ones, the objective.
      const req = server.requests.find((q) => q.op === 'CreateHyperParameterTuningJob')!.body;
      expect(req.HyperParameterTuningJobConfig).toMatchObject({
        Strategy: 'Random',
        HyperParameterTuningJobObjective: { MetricName: 'validation:multiclass_accuracy', Type: 'Maximize' },
        ResourceLimits: { MaxNumberOfTrainingJobs: 3, MaxParallelTrainingJobs: 2 },
        RandomSeed: 42,
      });
      expect(req.TrainingJobDefinition.StaticHyperParameters).toEqual({
        epochs: '2',
        predictor_type: 'multiclass_classifier',
        num_classes: '10',
        feature_dim: '784',
      });
      expect(req.TrainingJobDefinition.InputDataConfig.map((c: { ChannelName: string }) => c.ChannelName)).toEqual([
        'train',
        'validation',
      ]);
      // Never more trials at once than --max-parallel, never more in all than --max-jobs.
      expect(server.tuningJobs.get('digitflow-tune-t1')!.trials).toHaveLength(3);
      // The best trial's artifact became the model; one transform scored test + validation.
      const model = server.requests.find(
        (q) => q.op === 'CreateModel' && q.body.ModelName === 'digitflow-model-t1',
      )!.body;
      expect(model.PrimaryContainer.ModelDataUrl).toContain(`/${out.best.trainingJob}/output/model.tar.gz`);
      expect(out.transformJobs).toEqual(['digitflow-tf-t1']);
      expect(out.metrics.accuracy).toBeGreaterThan(0.3);
      expect(out.validationMetrics.accuracy).toBeGreaterThan(0.3);
      expect((await readFile(join(dir, 'runs/t1/submission.csv'), 'utf8')).trim().split('\n')).toHaveLength(201);

      const m = await manifestOf('runs/t1');
      expect(m.command).toBe('tune');
      const kinds = m.resources.map((x: { kind: string; id: string }) => `${x.kind} ${x.id}`);
      expect(kinds).toContain('tuning-job digitflow-tune-t1');
      for (const t of out.leaderboard) expect(kinds).toContain(`training-job ${t.trainingJob}`);
      expect(kinds).toContain('model digitflow-model-t1');
      expect(kinds).toContain('transform-job digitflow-tf-t1');
      expect(m.sagemaker.tuning).toMatchObject({
        name: 'digitflow-tune-t1',
        status: 'Completed',
        bestTrainingJob: out.best.trainingJob,
      });
      expect(m.hyperparameters).toMatchObject(out.best.tuned);
      // Every trial is billed (by its own BillableTimeInSeconds), plus the transform when it took a second or more.
      const billedJobs = m.sagemaker.billed.map((b: { job: string }) => b.job);
      for (const t of out.leaderboard) expect(billedJobs).toContain(t.trainingJob);
      expect(m.billableSeconds).toBe(out.billableSeconds);

      const c = await cli(['--json', 'cleanup', 'runs/t1', '--yes', '--region', 'us-east-1']);
      expect(c.code, c.stderr).toBe(0);
      const cleaned = JSON.parse(c.stdout);
      expect(cleaned.deleted.map((d: { kind: string }) => d.kind).sort()).toEqual(['model', 's3-prefix']);
      expect(cleaned.kept.map((k: { id: string }) => k.id)).toContain('digitflow-tune-t1');
      expect(server.models.has('digitflow-model-t1')).toBe(false);
    },
  );

  it(
    'the text output is a leaderboard; --dry-run prints both plans and the max-jobs cost bound and creates ' +
      'nothing',
    async () => {
      const dry = await cli([...common, '--max-jobs', '12', '--max-parallel', '3', '--dry-run', '-o', 'runs/dry']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain(
        'tuning job       digitflow-tune-dry  Bayesian, up to 12 training job(s), 3 at a time',
      );
      expect(dry.stdout).toContain('objective        validation:multiclass_accuracy (Maximize)');
      expect(dry.stdout).toMatch(/tuned +mini_batch_size +100 \.\. 900/);
      expect(dry.stdout).toMatch(/estimated cost +<= \$\d+\.\d\d +\(upper bound: 12 training job\(s\) x \$/);
      expect(existsSync(join(dir, 'runs/dry'))).toBe(false);

      const r = await cli([
        ...common,
        '--max-jobs',
        '2',
        '--max-parallel',
        '2',
        '--hp',
        'epochs=1',
        '--range',
        'learning_rate=0.001:0.1',
        '--range',
        'use_bias=true,false',
        '-o',
        'runs/text',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        new RegExp(
          '^tune text: Bayesian search of Linear Learner on SageMaker, ' +
            'tuning job digitflow-tune-text Completed, 2 trial\\(s\\) of up to 2',
        ),
      );
      expect(r.stdout).toMatch(/#\s+training job\s+learning_rate\s+use_bias\s+status\s+val acc\s+billable s/);
      expect(r.stdout).toContain('best: digitflow-tune-text-');
      const req = server.requests.filter((q) => q.op === 'CreateHyperParameterTuningJob').at(-1)!.body;
      expect(req.HyperParameterTuningJobConfig.ParameterRanges).toEqual({
        ContinuousParameterRanges: [
          { Name: 'learning_rate', MinValue: '0.001', MaxValue: '0.1', ScalingType: 'Logarithmic' },
        ],
        IntegerParameterRanges: [],
        CategoricalParameterRanges: [{ Name: 'use_bias', Values: ['true', 'false'] }],
      });
    },
  );

  it(
    'refuses before anything is created: ranges outside the documented bounds, ' +
      'a hyperparameter fixed and tuned, parallel above max, local-only flags',
    async () => {
      const out = await refused([...common, '--range', 'learning_rate=0:2', '-o', 'runs/r1'], 'HYPERPARAMETER_INVALID');
      expect(out.stderr).toContain('outside the documented range 0.00001:1');
      await refused([...common, '--range', 'momentum=0:1', '-o', 'runs/r2'], 'HYPERPARAMETER_INVALID');
      const both = await refused(
        [...common, '--range', 'wd=0.001:0.1', '--hp', 'wd=0.01', '-o', 'runs/r3'],
        'HYPERPARAMETER_INVALID',
      );
      expect(both.stderr).toContain('both fixed');
      await refused([...common, '--max-jobs', '2', '--max-parallel', '3', '-o', 'runs/r4'], 'FLAG_CONFLICT');
      await refused([...common, '--trials', '3', '-o', 'runs/r5'], 'FLAG_NOT_APPLICABLE');
      await refused([...common, '--strategy', 'halving', '-o', 'runs/r6'], 'FLAG_NOT_APPLICABLE');
      await refused([...common, '--range', 'mini_batch_size=1000:2000', '-o', 'runs/r7'], 'MINI_BATCH_TOO_LARGE');
      for (const r of ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']) expect(existsSync(join(dir, 'runs', r))).toBe(false);
      // Nothing was uploaded either: no bucket call happened for a refused tune.
      expect(
        server.requests.some(
          (q) => q.op === 'CreateHyperParameterTuningJob' && /-r\d$/.test(q.body.HyperParameterTuningJobName),
        ),
      ).toBe(false);
    },
  );

  it('the loopback server refuses what the API refuses', async () => {
    const sm = loopbackSageMakerClient(server.endpoint);
    const plan = buildRunPlan({
      runId: 'rules',
      region: 'us-east-1',
      bucket: BUCKET,
      roleArn: ROLE,
      instanceType: 'ml.m5.large',
      instanceCount: 1,
      spot: false,
      maxRuntimeSeconds: 600,
      numClasses: 10,
      validation: true,
      trainRows: 900,
    });
    const t = buildTuningPlan(plan, {}, { strategy: 'Bayesian', maxJobs: 2, maxParallel: 1, ranges: {}, seed: 1 });
    const good = buildCreateTuningJob(plan, t);
    const send = (mut: (r: typeof good) => void) => {
      const req = structuredClone(good);
      mut(req);
      return sm.send(new CreateHyperParameterTuningJobCommand(req));
    };
    await expect(send((r) => (r.HyperParameterTuningJobName = 'a'.repeat(33)))).rejects.toThrow(
      /length less than or equal to 32/,
    );
    await expect(send((r) => (r.HyperParameterTuningJobName = 'bad_name'))).rejects.toThrow(
      /regular expression pattern/,
    );
    await expect(
      send((r) => (r.HyperParameterTuningJobConfig!.ResourceLimits!.MaxParallelTrainingJobs = 3)),
    ).rejects.toThrow(/MaxParallelTrainingJobs \(3\) cannot be greater/);
    await expect(
      send((r) => (r.HyperParameterTuningJobConfig!.ParameterRanges!.ContinuousParameterRanges![0].MaxValue = '5')),
    ).rejects.toThrow(/outside the algorithm's valid range/);
    await expect(send((r) => (r.TrainingJobDefinition!.StaticHyperParameters!.wd = '0.1'))).rejects.toThrow(
      /both a static hyperparameter and a tunable/,
    );
    await expect(
      send((r) => (r.HyperParameterTuningJobConfig!.HyperParameterTuningJobObjective!.MetricName = 'validation:rmse')),
    ).rejects.toThrow(/not one of the algorithm's metrics/);
    await expect(
      send((r) => (r.HyperParameterTuningJobConfig!.ParameterRanges!.ContinuousParameterRanges![0].MinValue = '0')),
    ).rejects.toThrow(/outside|ScalingType/);
    sm.destroy();
  });

  it(
    'failed trials are listed with their reason and the best completed one still wins; ' +
      'all failed is TUNING_JOB_FAILED (exit 3) with the manifest kept',
    async () => {
      server.failNext('training', 'ClientError: stand-in failure of the first trial');
      const r = await cli([
        '--json',
        ...common,
        '--max-jobs',
        '2',
        '--max-parallel',
        '1',
        '--hp',
        'epochs=1',
        '-o',
        'runs/partial',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.leaderboard.map((t: { status: string }) => t.status).sort()).toEqual(['Completed', 'Failed']);
      expect(out.leaderboard.at(-1).failureReason).toContain('stand-in failure');
      expect(out.best.trainingJob).toBe(out.leaderboard[0].trainingJob);

      server.failNext('training', 'ClientError: bad 1');
      server.failNext('training', 'ClientError: bad 2');
      const f = await cli([
        ...common,
        '--max-jobs',
        '2',
        '--max-parallel',
        '2',
        '--hp',
        'epochs=1',
        '-o',
        'runs/allfail',
      ]);
      expect(f.code, f.stderr).toBe(3);
      expect(f.stderr).toContain('error[TUNING_JOB_FAILED]');
      expect(f.stderr).toContain('digitflow-tune-allfail');
      const m = await manifestOf('runs/allfail');
      expect(m.resources.map((x: { kind: string }) => x.kind)).toEqual([
        's3-prefix',
        'tuning-job',
        'training-job',
        'training-job',
      ]);
      expect(m.sagemaker.tuning.status).toBe('Failed');
    },
  );

  it(
    'Ctrl-C without a terminal detaches (the tuning job ' + 'keeps running); attach -o resumes and finishes the tune',
    async () => {
      server.pause('training');
      const child = spawn(
        process.execPath,
        [
          BIN,
          ...common,
          '--labels',
          'labels.csv',
          '--max-jobs',
          '2',
          '--max-parallel',
          '2',
          '--hp',
          'epochs=1',
          '-o',
          'runs/int',
        ],
        { cwd: dir, env },
      );
      let stderr = '';
      child.stderr.on('data', (b) => (stderr += b));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      for (let i = 0; i < 2400 && !server.tuningJobs.get('digitflow-tune-int')?.trials.length; i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(server.tuningJobs.get('digitflow-tune-int')?.status).toBe('InProgress');
      await new Promise((r) => setTimeout(r, 300));
      child.kill('SIGINT');
      const code = await exited;
      server.resume('training');
      expect(code).toBe(130);
      expect(stderr).toContain('detached from tuning job digitflow-tune-int');
      expect(stderr).toMatch(/digitflow attach digitflow-tune-int -o \S+runs\/int/);
      expect(server.requests.some((q) => q.op === 'StopHyperParameterTuningJob')).toBe(false);
      expect((await manifestOf('runs/int')).resources.map((x: { id: string }) => x.id)).toContain('digitflow-tune-int');

      const a = await cli(['--json', 'attach', 'digitflow-tune-int', '-o', 'runs/int', '--poll-seconds', '1']);
      expect(a.code, a.stderr).toBe(0);
      const ar = JSON.parse(a.stdout);
      expect(ar).toMatchObject({
        job: 'digitflow-tune-int',
        kind: 'tuning',
        status: 'Completed',
        model: 'digitflow-model-int',
      });
      expect(ar.outputs.submission).toBe('submission.csv');
      expect(ar.metrics.accuracy).toBeGreaterThan(0.3);
      expect(ar.tuning.best.trainingJob).toMatch(/^digitflow-tune-int-00[12]-/);
    },
  );
});
