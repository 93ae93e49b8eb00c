/**
 * The managed engine end to end over the wire, offline: the BUILT binary runs
 * `digitflow run --engine sagemaker` against the loopback SageMaker-protocol server
 * (test/helpers/sagemaker-server.ts) and the S3 test server, through AWS_ENDPOINT_URL_SAGEMAKER /
 * AWS_ENDPOINT_URL_S3 exactly as a user would point it at AWS. The loopback server fits the local
 * linear engine: this proves the plumbing (requests, S3 layout, waiting, formats), not AWS's model.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/adapters/s3/client.js';
import { CreateTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { buildRunPlan } from '../../src/domain/sagemaker-plan.js';
import { buildCreateTrainingJob } from '../../src/domain/sagemaker-requests.js';
import { BIN, runBin, writeMnistCsvs } from '../helpers/mnist-cli-fixture.js';
import {
  loopbackSageMakerClient,
  startSageMakerServer,
  type SageMakerTestServer,
} from '../helpers/sagemaker-server.js';

const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole';

let server: SageMakerTestServer;
let dir: string;
let env: NodeJS.ProcessEnv;
const s3info = inject('s3');
const s3 = createS3Client({
  endpoint: s3info.endpoint,
  credentials: { accessKeyId: s3info.accessKeyId, secretAccessKey: s3info.secretAccessKey },
});
const BUCKET = `digitflow-wire-${process.pid}`;

const writeData = (): Promise<void> => writeMnistCsvs(dir, 1000, 300);

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runBin(args, { cwd: dir, env, timeoutMs: 120_000 });
}

const common = [
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

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`build first: ${BIN} is missing (npx tsc -p .)`);
  dir = await mkdtemp(join(tmpdir(), 'digitflow-smwire-'));
  await writeData();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  server = await startSageMakerServer({ s3: s3info, stepMs: 100 });
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

describe('run --engine sagemaker over the wire', () => {
  it('--dry-run prints the plan and creates nothing', async () => {
    const r = await cli([
      '--json',
      'run',
      ...common,
      '--out',
      'runs/dry',
      '--dry-run',
      '--transform-instance-count',
      '2',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.plan.image).toBe('382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1');
    expect(out.plan.names.trainingJob).toBe('digitflow-train-dry');
    expect(out.plan.s3.testShards).toHaveLength(2);
    expect(out.plan.costEstimate.priceTableDate).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(existsSync(join(dir, 'runs/dry'))).toBe(false);
    expect(server.requests).toHaveLength(0);
  });

  it('upload -> train -> transform (test + validation, 2 shards) -> argmax -> evaluate', async () => {
    const r = await cli([
      '--json',
      'run',
      ...common,
      '--labels',
      'labels.csv',
      '--out',
      'runs/ok',
      '--instance-count',
      '2',
      '--epochs',
      '5',
      '--logs',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.trainingJob).toBe('digitflow-train-ok');
    const epochs = r.stderr.split('\n').filter((l) => l.includes('"event":"log"') && l.includes('#quality_metric'));
    expect(epochs.length).toBeGreaterThanOrEqual(1);
    expect(res.transformJobs).toEqual(['digitflow-tf-ok']);
    // One transform job scores the test shards and the held-out rows (no second start-up bill).
    expect(server.requests.filter((q) => q.op === 'CreateTransformJob')).toHaveLength(1);
    expect(res.finalMetrics['validation:multiclass_accuracy']).toBeGreaterThan(0.5);
    // The real SDK's requests, as the server received them.
    const ct = server.requests.find((q) => q.op === 'CreateTrainingJob')!.body;
    expect(ct.HyperParameters).toMatchObject({
      predictor_type: 'multiclass_classifier',
      num_classes: '10',
      feature_dim: '784',
      epochs: '5',
    });
    expect(
      ct.InputDataConfig.map((c: { ChannelName: string; ContentType: string }) => [c.ChannelName, c.ContentType]),
    ).toEqual([
      ['train', 'text/csv'],
      ['validation', 'text/csv'],
    ]);
    const tf = server.requests.filter((q) => q.op === 'CreateTransformJob').map((q) => q.body);
    expect(tf[0]).toMatchObject({
      BatchStrategy: 'MultiRecord',
      TransformInput: { SplitType: 'Line', ContentType: 'text/csv' },
      TransformOutput: { Accept: 'application/jsonlines', AssembleWith: 'Line' },
      TransformResources: { InstanceCount: 1, InstanceType: 'ml.m5.large' },
    });
    // Outputs: submission has one row per test image in ImageId order, metrics are real numbers.
    const runDir = join(dir, 'runs/ok');
    const sub = (await readFile(join(runDir, 'submission.csv'), 'utf8')).trim().split('\n');
    expect(sub[0]).toBe('ImageId,Label');
    expect(sub).toHaveLength(301);
    expect(sub.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    const metrics = JSON.parse(await readFile(join(runDir, 'metrics.json'), 'utf8'));
    expect(metrics.accuracy).toBeGreaterThan(0.6);
    const vmetrics = JSON.parse(await readFile(join(runDir, 'validation-metrics.json'), 'utf8'));
    expect(vmetrics.rows ?? vmetrics.n ?? 100).toBe(100);
    expect(vmetrics.accuracy).toBeGreaterThan(0.5);
    const manifest = JSON.parse(await readFile(join(runDir, 'manifest.json'), 'utf8'));
    expect(manifest.engine).toBe('sagemaker');
    expect(manifest.resources.map((x: { kind: string }) => x.kind).sort()).toEqual([
      'model',
      's3-prefix',
      'training-job',
      'transform-job',
    ]);
    expect(manifest.billableSeconds).toBeGreaterThan(0);
    expect(manifest.costEstimate.priceTableDate).toBeDefined();
    expect(manifest.split.validationRows).toHaveLength(100);
    expect(manifest.inputs.map((i: { role: string; rows?: number }) => [i.role, i.rows])).toEqual([
      ['train', 1000],
      ['test', 300],
      ['labels', undefined],
    ]);
    expect(manifest.inputs[1].sha256).toMatch(/^[0-9a-f]{64}$/);
    const jl = (await readFile(join(runDir, 'probabilities.jsonl'), 'utf8')).trim().split('\n');
    expect(jl).toHaveLength(300);
    expect(JSON.parse(jl[0]).score).toHaveLength(10);

    // predict re-runs the transform under new names (no collision).
    const p = await cli([
      '--json',
      'predict',
      '--engine',
      'sagemaker',
      '--run',
      'runs/ok',
      '--labels',
      'labels.csv',
      '--poll-seconds',
      '1',
    ]);
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).transformJobs).toEqual(['digitflow-tf-ok-2']);

    // cleanup deletes the prefix and the model, lists the job records.
    // --instance-count 2: the train channel (ShardedByS3Key) is 2 objects.
    const trainKeys = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'digitflow/ok/data/train/' }));
    expect(trainKeys.Contents!.map((o) => o.Key)).toEqual([
      'digitflow/ok/data/train/train-part-00000.csv',
      'digitflow/ok/data/train/train-part-00001.csv',
    ]);
    expect(ct.InputDataConfig[0].DataSource.S3DataSource.S3DataDistributionType).toBe('ShardedByS3Key');
    const keysBefore = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'digitflow/ok/' }));
    expect(keysBefore.KeyCount).toBeGreaterThan(5);
    const nonInteractive = await cli(['cleanup', 'runs/ok']);
    expect(nonInteractive.code).toBe(2);
    expect(nonInteractive.stderr).toContain('--yes');
    const c = await cli(['--json', 'cleanup', 'runs/ok', '--yes']);
    expect(c.code, c.stderr).toBe(0);
    const cr = JSON.parse(c.stdout);
    expect(cr.deleted.map((d: { kind: string }) => d.kind)).toEqual(['s3-prefix', 'model']);
    expect(cr.kept).toHaveLength(3);
    const keysAfter = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'digitflow/ok/' }));
    expect(keysAfter.KeyCount ?? 0).toBe(0);
    expect(server.models.has('digitflow-model-ok')).toBe(false);
    // The manifest now lists only the job records; a second cleanup has nothing to delete.
    const after = JSON.parse(await readFile(join(runDir, 'manifest.json'), 'utf8'));
    expect(after.resources.every((x: { deletable: boolean }) => !x.deletable)).toBe(true);
    const again = await cli(['--json', 'cleanup', 'runs/ok']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).deleted).toEqual([]);
  }, 180_000);

  it(
    'a failed training job: exit 3, FailureReason + log group + console URL, no model; ' +
      '--logs shows the container log',
    async () => {
      server.failNext('training', 'AlgorithmError: simulated failure for the test');
      const r = await cli(['--json', 'run', ...common, '--out', 'runs/failed', '--logs']);
      expect(r.code).toBe(3);
      const err = JSON.parse(r.stdout).error;
      expect(err.code).toBe('TRAINING_JOB_FAILED');
      expect(err.message).toContain('simulated failure');
      expect(JSON.stringify(err)).toContain('/aws/sagemaker/TrainingJobs');
      expect(JSON.stringify(err)).toContain('console.aws.amazon.com');
      expect(server.models.has('digitflow-model-failed')).toBe(false);
      // --logs: JSON progress events on stderr carry the job's CloudWatch lines.
      const logLines = r.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
        .filter((e) => e.event === 'log');
      expect(logLines.map((e) => e.message)).toContain('AlgorithmError: simulated failure for the test');
      expect(logLines[0].source).toMatch(/^digitflow-train-failed\/algo-1-\d+$/);
      const manifest = JSON.parse(await readFile(join(dir, 'runs/failed/manifest.json'), 'utf8'));
      expect(manifest.resources.map((x: { id: string }) => x.id)).toContain('digitflow-train-failed');
      // Rerunning into the same folder: refused without --force; with it, new names (no collision).
      const trainArgs = common.filter((a) => a !== '--test' && a !== 'test.csv');
      const again = await cli(['train', ...trainArgs, '--out', 'runs/failed']);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain('OUTPUT_EXISTS');
      const forced = await cli(['--json', 'train', ...trainArgs, '--out', 'runs/failed', '--force']);
      expect(forced.code, forced.stderr).toBe(0);
      expect(JSON.parse(forced.stdout).trainingJob).toMatch(/^digitflow-train-failed-[a-z0-9]+$/);
    },
  );

  it('a stopped transform job is an error (exit 3), not a success', async () => {
    server.stopNext('transform');
    const r = await cli(['run', ...common, '--out', 'runs/stopped']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/TRANSFORM_JOB_STOPPED/);
    // Whichever of the two transforms picked up the stop, the run fails and names it.
    expect(r.stderr).toMatch(/transform job digitflow-tf-stopped was stopped/);
    expect(existsSync(join(dir, 'runs/stopped/submission.csv'))).toBe(false);
  });

  it('preflight: a bad role ARN and a missing bucket fail fast, before any job', async () => {
    const before = server.requests.length;
    const bad = await cli(['run', ...common.map((a) => (a === ROLE ? 'SageMakerRole' : a)), '--out', 'runs/badrole']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ROLE_ARN_INVALID');
    const nob = await cli([
      'run',
      ...common.map((a) => (a === BUCKET ? 'no-such-bucket-here' : a)),
      '--out',
      'runs/nobucket',
    ]);
    expect(nob.code).not.toBe(0);
    expect(nob.stderr).toMatch(/no-such-bucket-here/);
    expect(server.requests.length).toBe(before);
  });

  it(
    'Ctrl-C while waiting (no TTY) detaches with the attach command; attach resumes training, ' +
      'then transform + scoring',
    async () => {
      /** Starts the CLI, waits until `job` exists on the server, presses Ctrl-C, returns exit code + stderr. */
      const interruptAt = async (args: string[], job: string) => {
        const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env });
        let stderr = '';
        child.stderr.on('data', (b) => (stderr += b));
        const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
        for (let i = 0; i < 1200 && !server.jobs.has(job); i++) await new Promise((r) => setTimeout(r, 25));
        expect(server.jobs.get(job)?.status).toBe('InProgress');
        await new Promise((r) => setTimeout(r, 200));
        child.kill('SIGINT');
        return { code: await exited, stderr };
      };
      server.pause('training');
      const t = await interruptAt(
        ['run', ...common, '--labels', 'labels.csv', '--out', 'runs/int'],
        'digitflow-train-int',
      );
      server.resume('training');
      expect(t.code).toBe(130);
      expect(t.stderr).toContain('detached from digitflow-train-int');
      expect(t.stderr).toMatch(/digitflow attach digitflow-train-int -o \S+runs\/int/);
      expect(server.requests.some((q) => q.op === 'StopTrainingJob')).toBe(false);
      const a = await cli(['--json', 'attach', 'digitflow-train-int', '--run', 'runs/int', '--poll-seconds', '1']);
      expect(a.code, a.stderr).toBe(0);
      expect(JSON.parse(a.stdout)).toMatchObject({
        job: 'digitflow-train-int',
        kind: 'training',
        status: 'Completed',
        model: 'digitflow-model-int',
      });
      expect(server.models.has('digitflow-model-int')).toBe(true);

      server.pause('transform');
      const p = await interruptAt(
        ['predict', '--engine', 'sagemaker', '--run', 'runs/int', '--poll-seconds', '1'],
        'digitflow-tf-int',
      );
      server.resume('transform');
      expect(p.code).toBe(130);
      expect(p.stderr).toContain('digitflow attach digitflow-tf-int -o');
      const at = await cli(['--json', 'attach', 'digitflow-tf-int', '--run', 'runs/int', '--poll-seconds', '1']);
      expect(at.code, at.stderr).toBe(0);
      const ar = JSON.parse(at.stdout);
      expect(ar.outputs.submission).toBe('submission.csv');
      expect(ar.metrics.accuracy).toBeGreaterThan(0.5);
      expect((await readFile(join(dir, 'runs/int/submission.csv'), 'utf8')).trim().split('\n')).toHaveLength(301);
      const manifest = JSON.parse(await readFile(join(dir, 'runs/int/manifest.json'), 'utf8'));
      expect(manifest.resources.map((x: { id: string }) => x.id)).toEqual([
        's3://' + BUCKET + '/digitflow/int/',
        'digitflow-train-int',
        'digitflow-model-int',
        'digitflow-tf-int',
      ]);
      const unknown = await cli(['attach', 'digitflow-train-nope', '--region', 'us-east-1', '--poll-seconds', '1']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('JOB_NOT_FOUND');
    },
    180_000,
  );

  it('the loopback server enforces the API rules the builders must satisfy', async () => {
    const sm = loopbackSageMakerClient(server.endpoint);
    const plan = buildRunPlan({
      runId: 'rules',
      region: 'us-east-1',
      bucket: BUCKET,
      roleArn: ROLE,
      instanceType: 'ml.m5.large',
      instanceCount: 1,
      spot: true,
      maxRuntimeSeconds: 600,
      numClasses: 10,
      validation: false,
    });
    const good = buildCreateTrainingJob(plan);
    const reject = async (req: object, re: RegExp) => {
      const e = await sm.send(new CreateTrainingJobCommand(req as never)).catch((x) => x);
      expect(e.name).toBe('ValidationException');
      expect(e.$metadata.httpStatusCode).toBe(400);
      expect(e.message).toMatch(re);
    };
    await reject({ ...good, RoleArn: undefined }, /Value null at 'RoleArn'/);
    await reject({ ...good, TrainingJobName: 'bad_name' }, /regular expression/);
    await reject({ ...good, EnableManagedSpotTraining: undefined }, /MaxWaitTimeInSeconds is only valid/);
    const ok = await sm.send(new CreateTrainingJobCommand({ ...good, TrainingJobName: 'digitflow-train-rules-spot' }));
    expect(ok.TrainingJobArn).toContain('digitflow-train-rules-spot');
    const dup = await sm
      .send(new CreateTrainingJobCommand({ ...good, TrainingJobName: 'digitflow-train-rules-spot' }))
      .catch((x) => x);
    expect(dup.name).toBe('ResourceInUse');
    sm.destroy();
  });

  it('like Linear Learner, the loopback trainer fails a job whose hyperparameters the algorithm rejects', async () => {
    const sm = loopbackSageMakerClient(server.endpoint);
    const plan = buildRunPlan({
      runId: 'hp',
      region: 'us-east-1',
      bucket: BUCKET,
      roleArn: ROLE,
      instanceType: 'ml.m5.large',
      instanceCount: 1,
      spot: false,
      maxRuntimeSeconds: 600,
      numClasses: 10,
      validation: false,
    });
    const good = buildCreateTrainingJob(plan);
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      [
        'digitflow-train-hp-unknown',
        { ...good.HyperParameters, learning_rat: '0.1' },
        /Additional hyperparameters are not allowed \(u'learning_rat' was unexpected\)/,
      ],
      ['digitflow-train-hp-range', { ...good.HyperParameters, num_classes: '2' }, /not valid .* 'num_classes'/],
      ['digitflow-train-hp-choice', { ...good.HyperParameters, optimizer: 'lbfgs' }, /not valid .* 'optimizer'/],
    ];
    for (const [name, hp, re] of cases) {
      // The request is accepted (the API does not read a built-in's hyperparameters); the job fails.
      await sm.send(new CreateTrainingJobCommand({ ...good, TrainingJobName: name, HyperParameters: hp }));
      for (let i = 0; i < 400 && server.jobs.get(name)!.status === 'InProgress'; i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(server.jobs.get(name)!.status, name).toBe('Failed');
      expect(server.jobs.get(name)!.failureReason, name).toMatch(re);
    }
    sm.destroy();
  });

  it.skipIf(!existsSync('/usr/bin/script'))('on a terminal, Ctrl-C asks; answering "s" stops the job', async () => {
    server.pause('training');
    // util-linux `script` gives the CLI a pseudo-terminal; \x03 on it is a real Ctrl-C.
    const cmd = [BIN, 'train', ...common.filter((a) => a !== '--test' && a !== 'test.csv'), '--out', 'runs/tty']
      .map((a) => `'${a}'`)
      .join(' ');
    const child = spawn('/usr/bin/script', ['-qfec', `'${process.execPath}' ${cmd}`, '/dev/null'], {
      cwd: dir,
      env: { ...env, TERM: 'dumb' },
    });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    for (let i = 0; i < 1200 && !server.jobs.has('digitflow-train-tty'); i++)
      await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 300));
    child.stdin.write('\x03');
    for (let i = 0; i < 400 && !out.includes('[s]top'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(out).toContain('[s]top the job(s) or [d]etach?');
    child.stdin.write('s\r');
    expect(await exited).toBe(130);
    server.resume('training');
    if (process.env.SHOW_TTY) console.log(out);
    expect(out).toContain('stopped digitflow-train-tty at your request');
    expect(server.requests.filter((q) => q.op === 'StopTrainingJob').map((q) => q.body)).toEqual([
      { TrainingJobName: 'digitflow-train-tty' },
    ]);
    for (let i = 0; i < 200 && server.jobs.get('digitflow-train-tty')!.status !== 'Stopped'; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(server.jobs.get('digitflow-train-tty')!.status).toBe('Stopped');
  });
});
