/**
 * The real-account cases of the managed engine (issue "Managed engine, second cut"), each through
 * the BUILT binary against the loopback SageMaker server, which refuses and fails what the real
 * service and Linear Learner refuse and fail. Every case ends one of two ways: refused up front
 * (exit 2, no Create* request reached the server) or completed correctly.
 */
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateTrainingJobCommand, CreateTransformJobCommand } from '@aws-sdk/client-sagemaker';
import { createS3Client } from '../../src/adapters/s3/client.js';
import { buildRunPlan } from '../../src/domain/sagemaker-plan.js';
import { buildCreateTrainingJob, buildCreateTransformJob } from '../../src/domain/sagemaker-requests.js';
import { BIN, runBin, writeMnistCsvs } from '../helpers/mnist-cli-fixture.js';
import {
  loopbackSageMakerClient,
  startSageMakerServer,
  type SageMakerTestServer,
} from '../helpers/sagemaker-server.js';
import { startPricingServer, type PricingTestServer } from '../helpers/pricing-server.js';
import { estimateCost, livePriceSource } from '../../src/domain/instance-prices.js';

// Several CLI runs per test against two loopback servers: generous on a loaded 2-core machine.
vi.setConfig({ testTimeout: 180_000 });

const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole';

let server: SageMakerTestServer;
let dir: string;
let env: NodeJS.ProcessEnv;
const s3info = inject('s3');
const s3 = createS3Client({
  endpoint: s3info.endpoint,
  credentials: { accessKeyId: s3info.accessKeyId, secretAccessKey: s3info.secretAccessKey },
});
const BUCKET = `digitflow-cases-${process.pid}`;

async function writeData(): Promise<void> {
  await writeMnistCsvs(dir, 1000, 200);
  // Row 3 is one column short.
  const lines = (await readFile(join(dir, 'train.csv'), 'utf8')).split('\n');
  lines[3] = lines[3].split(',').slice(0, -1).join(',');
  await writeFile(join(dir, 'ragged.csv'), lines.join('\n'));
}

function cli(
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runBin(args, { cwd: dir, env: { ...env, ...extraEnv } });
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
const creates = () => server.requests.filter((q) => q.op.startsWith('Create')).length;
const lastCreate = (op: string) => server.requests.filter((q) => q.op === op).at(-1)!.body;
const manifestOf = async (run: string) => JSON.parse(await readFile(join(dir, run, 'manifest.json'), 'utf8'));

/** Runs the CLI and asserts it was refused up front: exit 2, the code, and no Create* request. */
async function refused(args: string[], code: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const before = creates();
  const r = await cli(args, extraEnv);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain(`error[${code}]`);
  expect(creates()).toBe(before);
  return r;
}

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`build first: ${BIN} is missing (npx tsc -p .)`);
  dir = await mkdtemp(join(tmpdir(), 'digitflow-smcases-'));
  await writeData();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  server = await startSageMakerServer({ s3: s3info, stepMs: 60 });
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

describe('1. instance types per job kind', () => {
  it(
    'a training-only type for the transform, or a type Linear ' +
      'Learner does not run on, is refused before anything is created',
    async () => {
      const t = await refused(
        ['run', ...common, '--out', 'runs/t3tf', '--transform-instance-type', 'ml.t3.medium'],
        'INSTANCE_TYPE_INVALID',
      );
      expect(t.stderr).toContain('--transform-instance-type');
      expect(t.stderr).toContain('not a SageMaker transform instance type');
      const p4 = await refused(
        ['run', ...common, '--out', 'runs/p4', '--instance-type', 'ml.p4d.24xlarge'],
        'INSTANCE_TYPE_INVALID',
      );
      expect(p4.stderr).toContain('Linear Learner');
      // --dry-run checks the same.
      await refused(
        ['run', ...common, '--out', 'runs/t3dry', '--dry-run', '--transform-instance-type', 'ml.t3.medium'],
        'INSTANCE_TYPE_INVALID',
      );
      expect(existsSync(join(dir, 'runs/t3tf'))).toBe(false);
    },
  );

  it('ml.t3.medium trains (a training type) and the transform runs on its own type', async () => {
    const r = await cli(['--json', 'run', ...common, '--out', 'runs/t3', '--instance-type', 'ml.t3.medium']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastCreate('CreateTrainingJob').ResourceConfig.InstanceType).toBe('ml.t3.medium');
    expect(lastCreate('CreateTransformJob').TransformResources).toEqual({
      InstanceType: 'ml.m5.large',
      InstanceCount: 1,
    });
  });

  it('the loopback server refuses a transform on a training-only type, as SageMaker does', async () => {
    const sm = loopbackSageMakerClient(server.endpoint);
    const plan = buildRunPlan({
      runId: 't3',
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
    const req = {
      ...buildCreateTransformJob(plan),
      TransformJobName: 'digitflow-tf-t3-direct',
      TransformResources: { InstanceType: 'ml.t3.medium' as never, InstanceCount: 1 },
    };
    const e = await sm.send(new CreateTransformJobCommand(req)).catch((x) => x);
    expect(e.name).toBe('ValidationException');
    expect(e.message).toContain("Value 'ml.t3.medium' at 'transformResources.instanceType'");
    sm.destroy();
  });
});

describe('2 + 3. transform settings, one transform job, metrics; mini_batch_size per host', () => {
  it(
    '--instance-count 2 on a GPU type: training sharded, one ml.m5.large transform ' +
      'for test + validation, mini_batch_size = rows per host, final metrics recorded',
    async () => {
      const r = await cli([
        '--json',
        'run',
        ...common,
        '--labels',
        'labels.csv',
        '--out',
        'runs/gpu',
        '--instance-count',
        '2',
        '--instance-type',
        'ml.p3.2xlarge',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const ct = lastCreate('CreateTrainingJob');
      // 1000 rows - 100 held out = 900, 450 per host: the default is min(1000, 450).
      expect(ct.HyperParameters.mini_batch_size).toBe('450');
      expect(ct.ResourceConfig).toMatchObject({ InstanceType: 'ml.p3.2xlarge', InstanceCount: 2 });
      const tf = server.requests.filter(
        (q) => q.op === 'CreateTransformJob' && q.body.TransformJobName === 'digitflow-tf-gpu',
      );
      expect(tf).toHaveLength(1);
      expect(tf[0].body.TransformResources).toEqual({ InstanceType: 'ml.m5.large', InstanceCount: 1 });
      const inputs = await s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'digitflow/gpu/data/transform-input/' }),
      );
      expect(inputs.Contents!.map((o) => o.Key!.split('/').pop())).toEqual([
        'test-part-00000.csv',
        'validation-features.csv',
      ]);
      const m = await manifestOf('runs/gpu');
      expect(m.sagemaker.finalMetrics['validation:multiclass_accuracy']).toBeGreaterThan(0.5);
      expect(m.outputs.validationMetrics).toBe('validation-metrics.json');
      expect(JSON.parse(r.stdout).metrics.accuracy).toBeGreaterThan(0.6);
    },
  );

  it('a --batch-size larger than the rows one host reads is refused before anything is uploaded', async () => {
    const r = await refused(
      ['run', ...common, '--out', 'runs/mb', '--instance-count', '2', '--batch-size', '500'],
      'MINI_BATCH_TOO_LARGE',
    );
    expect(r.stderr).toContain('450');
    expect(existsSync(join(dir, 'runs/mb'))).toBe(false);
  });

  it("Linear Learner (the loopback server) fails a job whose mini_batch_size exceeds a host's rows", async () => {
    const m = await manifestOf('runs/gpu');
    const plan = buildRunPlan({ ...m.sagemaker.planInput, hyperparameters: {}, trainRows: undefined });
    const sm = loopbackSageMakerClient(server.endpoint);
    await sm.send(
      new CreateTrainingJobCommand({ ...buildCreateTrainingJob(plan), TrainingJobName: 'digitflow-train-mb-direct' }),
    );
    for (let i = 0; i < 400 && server.jobs.get('digitflow-train-mb-direct')!.status === 'InProgress'; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(server.jobs.get('digitflow-train-mb-direct')!.status).toBe('Failed');
    expect(server.jobs.get('digitflow-train-mb-direct')!.failureReason).toMatch(
      /mini_batch_size \(1000\) is larger than the number of records \(450\)/,
    );
    sm.destroy();
  });
});

describe('4. managed spot', () => {
  it(
    '--spot sends CheckpointConfig under the run prefix, ' + 'so a max wait past 3600 s is accepted; the plan says so',
    async () => {
      const dry = await cli(['run', ...common, '--out', 'runs/spot', '--spot', '--dry-run']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/spot: checkpoints to s3:\/\/\S+\/digitflow\/spot\/checkpoints\/ .*max wait 7200s/);
      const r = await cli(['--json', 'run', ...common, '--out', 'runs/spot', '--spot']);
      expect(r.code, r.stderr).toBe(0);
      const ct = lastCreate('CreateTrainingJob');
      expect(ct).toMatchObject({
        EnableManagedSpotTraining: true,
        CheckpointConfig: { S3Uri: `s3://${BUCKET}/digitflow/spot/checkpoints/` },
        StoppingCondition: { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 },
      });
    },
  );

  it('the loopback server refuses spot past 3600 s without CheckpointConfig, as the spot guide says', async () => {
    const sm = loopbackSageMakerClient(server.endpoint);
    const plan = buildRunPlan({
      runId: 'nockpt',
      region: 'us-east-1',
      bucket: BUCKET,
      roleArn: ROLE,
      instanceType: 'ml.m5.large',
      instanceCount: 1,
      spot: true,
      maxRuntimeSeconds: 3600,
      numClasses: 10,
      validation: false,
    });
    const e = await sm
      .send(new CreateTrainingJobCommand({ ...buildCreateTrainingJob(plan), CheckpointConfig: undefined }))
      .catch((x) => x);
    expect(e.name).toBe('ValidationException');
    expect(e.message).toContain('CheckpointConfig');
    sm.destroy();
  });
});

describe('5. tags and names from the folder name', () => {
  it('--out runs/try#2 completes: every tag value matches the API pattern', async () => {
    const r = await cli(['--json', 'run', ...common, '--out', 'runs/try#2']);
    expect(r.code, r.stderr).toBe(0);
    const tags = lastCreate('CreateTrainingJob').Tags as { Key: string; Value: string }[];
    for (const t of tags) expect(t.Value).toMatch(/^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u);
    expect(tags.find((t) => t.Key === 'digitflow:run-id')!.Value).toMatch(/^try_2-/);
    expect(JSON.parse(r.stdout).trainingJob).toMatch(/^digitflow-train-try-2-[a-z0-9]+$/);
  });
});

describe('6. no flag is silently dropped', () => {
  it('shared flags map to Linear Learner names; --hp takes any documented hyperparameter, checked', async () => {
    const r = await cli([
      '--json',
      'train',
      ...common.filter((a) => a !== '--test' && a !== 'test.csv'),
      '--out',
      'runs/hp',
      '--dry-run',
      '--learning-rate',
      '0.5',
      '--l2',
      '0.001',
      '--epochs',
      '4',
      '--batch-size',
      '100',
      '--hp',
      'optimizer=sgd',
      '--hp',
      'early_stopping_patience=2',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).plan.hyperparameters).toMatchObject({
      learning_rate: '0.5',
      wd: '0.001',
      epochs: '4',
      mini_batch_size: '100',
      optimizer: 'sgd',
      early_stopping_patience: '2',
    });
  });

  it('a flag with no meaning for the engine, or a bad hyperparameter, is exit 2 naming it', async () => {
    expect(
      (await refused(['run', ...common, '--out', 'runs/cnn', '--model', 'cnn'], 'FLAG_NOT_APPLICABLE')).stderr,
    ).toContain('--model');
    expect(
      (await refused(['run', ...common, '--out', 'runs/be', '--backend', 'wasm'], 'FLAG_NOT_APPLICABLE')).stderr,
    ).toContain('--backend');
    // The local training flags added since: each is refused too, not silently dropped.
    for (const [flag, value] of [
      ['--augment-rotate', '5'],
      ['--augment-zoom', '0.1'],
      ['--dropout', '0.5'],
      ['--tta-shift', '1'],
    ]) {
      const r = await refused(['run', ...common, '--out', `runs/x${flag}`, flag, value], 'FLAG_NOT_APPLICABLE');
      expect(r.stderr).toContain(flag);
    }
    expect(
      (await refused(['run', ...common, '--out', 'runs/hp1', '--hp', 'nope=1'], 'HYPERPARAMETER_INVALID')).stderr,
    ).toContain("'nope'");
    expect(
      (await refused(['run', ...common, '--out', 'runs/hp2', '--hp', 'l1=-1'], 'HYPERPARAMETER_INVALID')).stderr,
    ).toContain('l1=-1');
    expect(
      (await refused(['run', ...common, '--out', 'runs/hp3', '--hp', 'optimizer=lbfgs'], 'HYPERPARAMETER_INVALID'))
        .stderr,
    ).toContain('sgd');
    expect(
      (await refused(['run', ...common, '--out', 'runs/hp4', '--hp', 'num_classes=3'], 'HYPERPARAMETER_INVALID'))
        .stderr,
    ).toContain('num_classes');
    expect((await refused(['run', '--out', 'runs/loc', '--bucket', BUCKET], 'FLAG_NOT_APPLICABLE')).stderr).toContain(
      '--bucket',
    );
  });
});

describe('7. the dry run checks what it can without AWS', () => {
  it('a missing or ragged train file is an error, not a cost plan', async () => {
    const missing = await refused(
      ['run', ...common.map((a) => (a === 'train.csv' ? 'nonexistent.csv' : a)), '--out', 'runs/dry1', '--dry-run'],
      'FILE_NOT_FOUND',
    );
    expect(missing.stderr).toContain('nonexistent.csv');
    const ragged = await cli([
      'run',
      ...common.map((a) => (a === 'train.csv' ? 'ragged.csv' : a)),
      '--out',
      'runs/dry2',
      '--dry-run',
    ]);
    expect(ragged.code).toBe(2);
    expect(ragged.stderr).toMatch(/ragged\.csv:4/);
    // Without a region, the local files are still checked first.
    const noRegion = await refused(
      [
        'run',
        ...common
          .filter((a) => a !== '--region' && a !== 'us-east-1')
          .map((a) => (a === 'train.csv' ? 'nonexistent.csv' : a)),
        '--dry-run',
      ],
      'FILE_NOT_FOUND',
      { AWS_REGION: '' },
    );
    expect(noRegion.stderr).not.toContain('REGION');
    expect(existsSync(join(dir, 'runs/dry1'))).toBe(false);
  });

  it('says whether credentials and a region were found, and creates nothing', async () => {
    const before = server.requests.length;
    const ok = await cli(['run', ...common, '--out', 'runs/dry3', '--dry-run']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/region\s+us-east-1/);
    expect(ok.stdout).toMatch(/credentials\s+found/);
    expect(ok.stdout).toMatch(/checked\s+train train\.csv: 1000 rows parse/);
    const none = await cli(['run', ...common, '--out', 'runs/dry4', '--dry-run'], {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: 'digitflow-no-such-profile',
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
      AWS_CONFIG_FILE: join(dir, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toMatch(/credentials\s+not found/);
    expect(server.requests.length).toBe(before);
    expect(existsSync(join(dir, 'runs/dry3'))).toBe(false);
  });
});

describe('8. a retried Create that already succeeded', () => {
  it("ResourceInUse on the retry: the job carries this run's tag, so it is adopted, recorded, waited on", async () => {
    server.loseNextCreateResponse('training');
    server.loseNextCreateResponse('transform');
    const r = await cli(['--json', 'run', ...common, '--out', 'runs/retry']);
    expect(r.code, r.stderr).toBe(0);
    expect(
      server.requests.filter((q) => q.op === 'CreateTrainingJob' && q.body.TrainingJobName === 'digitflow-train-retry'),
    ).toHaveLength(2);
    const m = await manifestOf('runs/retry');
    expect(m.sagemaker.adopted).toEqual(['digitflow-train-retry', 'digitflow-tf-retry']);
    expect(m.resources.map((x: { id: string }) => x.id)).toContain('digitflow-train-retry');
    expect((await readFile(join(dir, 'runs/retry/submission.csv'), 'utf8')).trim().split('\n')).toHaveLength(201);
  });
});

describe('9. stopped jobs say why', () => {
  it('MaxRuntimeExceeded: the secondary status, its status message and a --max-runtime hint', async () => {
    server.exceedRuntimeNext();
    const r = await cli(['--json', 'run', ...common, '--out', 'runs/maxrt']);
    expect(r.code).toBe(3);
    const err = JSON.parse(r.stdout).error;
    expect(err.code).toBe('TRAINING_JOB_STOPPED');
    expect(err.message).toContain('MaxRuntimeExceeded');
    expect(err.message).toContain('Training job runtime exceeded MaxRuntimeInSeconds provided');
    expect(err.hint).toContain('--max-runtime');
    // It created a job: the manifest stays for cleanup.
    expect((await manifestOf('runs/maxrt')).resources.map((x: { kind: string }) => x.kind)).toContain('training-job');
  });

  it('transform output ending in a blank line counts records (the server writes one after each .out)', async () => {
    const out = await readFile(join(dir, 'runs/t3/probabilities.jsonl'), 'utf8');
    expect(out.split('\n').filter(Boolean)).toHaveLength(200);
    expect(out.endsWith('}\n')).toBe(true);
  });
});

describe('10. prices by region', () => {
  let pricing: PricingTestServer;
  let penv: NodeJS.ProcessEnv;
  const eu = common.map((a) => (a === 'us-east-1' ? 'eu-west-1' : a));
  const noCredentials = {
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_PROFILE: 'digitflow-no-such-profile',
    AWS_SHARED_CREDENTIALS_FILE: join(dir ?? tmpdir(), 'none'),
    AWS_CONFIG_FILE: join(dir ?? tmpdir(), 'none'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  beforeAll(async () => {
    pricing = await startPricingServer();
    penv = { AWS_ENDPOINT_URL_PRICING: pricing.endpoint };
  });
  afterAll(async () => {
    await pricing?.close();
  });

  it(
    'eu-west-1: the plan and --dry-run --json use the AWS Price ' +
      'List API, training and transform by their own usage type',
    async () => {
      const r = await cli(['--json', 'run', ...eu, '--out', 'runs/eu', '--dry-run'], penv);
      expect(r.code, r.stderr).toBe(0);
      const plan = JSON.parse(r.stdout).plan;
      const day = plan.costEstimate.prices.date;
      expect(day).toMatch(/^\d{4}-\d\d-\d\d$/);
      expect(plan.costEstimate.prices).toEqual({
        source: 'price-list-api',
        region: 'eu-west-1',
        date: day,
        text: `prices: AWS Price List API (eu-west-1, ${day})`,
      });
      // The fixture's eu-west-1 ml.m5.large: 0.128/h training, 0.131/h transform (test figures).
      const live = livePriceSource('eu-west-1', day, {
        training: { 'ml.m5.large': 0.128 },
        transform: { 'ml.m5.large': 0.131 },
      });
      expect(plan.costEstimate.trainingUsd).toBe(estimateCost('ml.m5.large', 1, 3600, live, 'training'));
      expect(plan.costEstimate.transformUsd).toBe(estimateCost('ml.m5.large', 1, 600, live, 'transform'));
      expect(plan.costEstimate.usd).toBeGreaterThan(0);
      expect(pricing.requests.at(-1)).toMatchObject({
        ServiceCode: 'AmazonSageMaker',
        Filters: [
          { Field: 'regionCode', Value: 'eu-west-1' },
          { Field: 'instanceName', Value: 'ml.m5.large' },
        ],
      });
      const text = await cli(['run', ...eu, '--out', 'runs/eu', '--dry-run'], penv);
      expect(text.stdout).toContain(`prices: AWS Price List API (eu-west-1, ${day})`);
      expect(text.stdout).toMatch(
        /estimated cost\s+<= \$\d+\.\d\d\s+\(upper bound: .*eu-west-1 prices from the AWS Price List API/,
      );
    },
  );

  it('a real eu-west-1 run records the price source in the manifest and prices its billed seconds by it', async () => {
    const r = await cli(['--json', 'run', ...eu, '--out', 'runs/eurun'], penv);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).costEstimate.priceSource).toMatchObject({
      source: 'price-list-api',
      region: 'eu-west-1',
    });
    const m = await manifestOf('runs/eurun');
    expect(m.sagemaker.prices).toMatchObject({
      source: 'price-list-api',
      region: 'eu-west-1',
      usdPerHour: { training: { 'ml.m5.large': 0.128 }, transform: { 'ml.m5.large': 0.131 } },
    });
    expect(m.costEstimate.priceSource).toMatchObject({ source: 'price-list-api', region: 'eu-west-1' });
    expect(m.costEstimate.basis).toContain('on-demand eu-west-1 AWS Price List API prices of');
    const live = m.sagemaker.prices;
    const expected = m.sagemaker.billed.reduce(
      (s: number, b: { job: string; instanceType: string; seconds: number }) =>
        s +
        estimateCost(
          b.instanceType,
          1,
          b.seconds,
          live,
          b.job.startsWith('digitflow-train-') ? 'training' : 'transform',
        )!,
      0,
    );
    expect(m.costEstimate.usd).toBeCloseTo(expected, 2);
  });

  it('AccessDenied: us-east-1 falls back to the shipped table and eu-west-1 gets none, each says why', async () => {
    pricing.denyAll(true);
    try {
      const euPlan = JSON.parse(
        (await cli(['--json', 'run', ...eu, '--out', 'runs/eu2', '--dry-run'], penv)).stdout,
      ).plan;
      expect(euPlan.costEstimate.usd).toBeUndefined();
      expect(euPlan.costEstimate.prices.source).toBe('none');
      expect(euPlan.costEstimate.basis).toContain(
        'no price figure for region eu-west-1 (the AWS Price List API refused: ' +
          'AccessDeniedException (the caller needs pricing:GetProducts)',
      );
      const us = await cli(['run', ...common, '--out', 'runs/us2', '--dry-run'], penv);
      expect(us.code, us.stderr).toBe(0);
      expect(us.stdout).toContain(
        'prices: shipped table for us-east-1 dated 2024-06-01 (the AWS Price List API refused: AccessDeniedException',
      );
      expect(us.stdout).toMatch(/estimated cost\s+<= \$/);
    } finally {
      pricing.denyAll(false);
    }
  });

  it(
    'without credentials, --no-price-lookup, or a custom SageMaker ' +
      'endpoint without a pricing one, nothing is asked and the plan says so',
    async () => {
      const before = pricing.requests.length;
      const none = JSON.parse(
        (await cli(['--json', 'run', ...common, '--out', 'runs/np1', '--dry-run'], { ...penv, ...noCredentials }))
          .stdout,
      ).plan;
      expect(none.costEstimate.prices).toMatchObject({
        source: 'shipped-table',
        region: 'us-east-1',
        date: '2024-06-01',
        reason: 'no AWS credentials, so the AWS Price List API was not asked',
      });
      const off = await cli(['run', ...eu, '--out', 'runs/np2', '--dry-run', '--no-price-lookup'], penv);
      expect(off.code, off.stderr).toBe(0);
      expect(off.stdout).toContain('no price figure for region eu-west-1 (price lookup off (--no-price-lookup)');
      const custom = JSON.parse(
        (await cli(['--json', 'run', ...common, '--out', 'runs/np3', '--dry-run'])).stdout,
      ).plan;
      expect(custom.costEstimate.prices.reason).toContain('set AWS_ENDPOINT_URL_PRICING');
      expect(custom.costEstimate.basis).toContain('us-east-1 prices of 2024-06-01');
      expect(pricing.requests.length).toBe(before);
      // The flag belongs to the managed engine.
      expect(
        (await refused(['run', '--out', 'runs/np4', '--no-price-lookup'], 'FLAG_NOT_APPLICABLE')).stderr,
      ).toContain('--no-price-lookup');
    },
  );
});

describe('11. cleanup tells the truth; failed runs leave what cleanup needs and nothing else', () => {
  it('after an upload, cleanup --dry-run lists exactly what cleanup then deletes', async () => {
    const up = await cli([
      '--json',
      'upload',
      '--bucket',
      BUCKET,
      '--train',
      'train.csv',
      '--test',
      'test.csv',
      '--run-id',
      'up1',
      '--region',
      'us-east-1',
    ]);
    expect(up.code, up.stderr).toBe(0);
    const dry = await cli(['--json', 'cleanup', 'runs/up1', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout);
    expect(plan.wouldDelete).toEqual([{ kind: 's3-prefix', id: `s3://${BUCKET}/digitflow/up1/`, objects: 4 }]);
    const text = await cli(['cleanup', 'runs/up1', '--dry-run']);
    expect(text.stdout).toContain(`would delete s3-prefix s3://${BUCKET}/digitflow/up1/ (4 objects)`);
    expect(text.stdout).not.toContain('created no cloud resources');
    const real = await cli(['--json', 'cleanup', 'runs/up1', '--yes']);
    expect(JSON.parse(real.stdout).deleted).toEqual([
      { kind: 's3-prefix', id: `s3://${BUCKET}/digitflow/up1/`, objects: 4 },
    ]);
  });

  it('a run that fails before creating anything leaves no run folder', async () => {
    const nob = await cli([
      'run',
      ...common.map((a) => (a === BUCKET ? 'no-such-bucket-cases' : a)),
      '--out',
      'runs/nob',
    ]);
    expect(nob.code).not.toBe(0);
    expect(existsSync(join(dir, 'runs/nob'))).toBe(false);
    const before = creates();
    const auto = await cli(['run', ...common.map((a) => (a === BUCKET ? 'no-such-bucket-cases' : a))]);
    expect(auto.code).not.toBe(0);
    expect(creates()).toBe(before);
    const left = existsSync(join(dir, 'runs'))
      ? (await import('node:fs')).readdirSync(join(dir, 'runs')).filter((n) => n.endsWith('-sagemaker'))
      : [];
    expect(left).toEqual([]);
  });
});

describe('upload is the first half of the managed run (one data pipeline)', () => {
  it(
    'a re-upload with fewer shards leaves exactly the objects ' + 'it reports; a later run reuses the uploaded objects',
    async () => {
      const first = await cli([
        '--json',
        'upload',
        '--bucket',
        BUCKET,
        '--train',
        'train.csv',
        '--test',
        'test.csv',
        '--run-id',
        'up2',
        '--shards',
        '3',
        '--region',
        'us-east-1',
      ]);
      expect(first.code, first.stderr).toBe(0);
      const again = await cli([
        '--json',
        'upload',
        '--bucket',
        BUCKET,
        '--test',
        'test.csv',
        '--run',
        'runs/up2',
        '--shards',
        '1',
        '--region',
        'us-east-1',
      ]);
      expect(again.code, again.stderr).toBe(0);
      const res = JSON.parse(again.stdout);
      expect(res.uris.testKeys).toEqual([`s3://${BUCKET}/digitflow/up2/data/transform-input/test-part-00000.csv`]);
      expect(res.staleDeleted.map((u: string) => u.split('/').pop()).sort()).toEqual([
        'test-part-00001.csv',
        'test-part-00002.csv',
      ]);
      const keys = await s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'digitflow/up2/data/transform-input/' }),
      );
      expect(keys.Contents!.map((o) => o.Key!.split('/').pop())).toEqual([
        'test-part-00000.csv',
        'validation-features.csv',
      ]);

      const run = await cli(['--json', 'run', ...common, '--out', 'runs/up2']);
      expect(run.code, run.stderr).toBe(0);
      const unchanged = run.stderr.split('\n').filter((l) => l.includes('unchanged, not re-sent'));
      expect(unchanged).toHaveLength(4); // train, validation, validation features, test shard
      const m = await manifestOf('runs/up2');
      expect(m.command).toBe('run');
      expect(m.resources.filter((x: { kind: string }) => x.kind === 's3-prefix')).toHaveLength(1);
    },
  );
});

describe('cloud commands fail fast and in order', () => {
  const noCreds = {
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_PROFILE: 'digitflow-no-such-profile',
    AWS_SHARED_CREDENTIALS_FILE: 'none',
    AWS_CONFIG_FILE: 'none',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  it('attach JOB without credentials: AWS_NO_CREDENTIALS before any poll', async () => {
    const before = server.requests.length;
    const r = await cli(['attach', 'digitflow-train-t3', '--region', 'us-east-1', '--poll-seconds', '30'], noCreds);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('error[AWS_NO_CREDENTIALS]');
    expect(r.stderr).not.toContain('POLL_FAILED');
    expect(server.requests.length).toBe(before);
  });

  it('upload --train /nonexistent.csv without a region reports the missing file', async () => {
    const r = await cli(['upload', '--bucket', BUCKET, '--train', 'nonexistent.csv'], {
      AWS_REGION: '',
      AWS_DEFAULT_REGION: '',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[FILE_NOT_FOUND]');
    expect(r.stderr).toContain('nonexistent.csv');
  });
});
