import { describe, expect, it } from 'vitest';
import {
  buildRunPlan,
  resourceName,
  isValidResourceName,
  renderPlanText,
  type PlanInput,
} from '../../../src/domain/sagemaker-plan.js';
import {
  buildCreateModel,
  buildCreateTrainingJob,
  buildCreateTransformJob,
} from '../../../src/domain/sagemaker-requests.js';
import { LINEAR_LEARNER_ACCOUNTS, linearLearnerImage } from '../../../src/domain/linear-learner-images.js';
import {
  describePriceSource,
  estimateCost,
  livePriceSource,
  shippedPriceSource,
  PRICE_TABLE_DATE,
} from '../../../src/domain/instance-prices.js';
import { UserInputError } from '../../../src/errors/index.js';

const base: PlanInput = {
  runId: '20261126-133045-sagemaker',
  region: 'us-east-1',
  bucket: 'my-bucket',
  prefix: 'exp/',
  roleArn: 'arn:aws:iam::123456789012:role/SageMakerRole',
  instanceType: 'ml.m5.large',
  instanceCount: 1,
  spot: false,
  maxRuntimeSeconds: 3600,
  numClasses: 10,
  hyperparameters: { epochs: 5, mini_batch_size: 200 },
  validation: true,
};

describe('Linear Learner image per region', () => {
  it.each([
    ['us-east-1', '382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1'],
    ['eu-west-1', '438346466558.dkr.ecr.eu-west-1.amazonaws.com/linear-learner:1'],
    ['ap-northeast-3', '867004704886.dkr.ecr.ap-northeast-3.amazonaws.com/linear-learner:1'],
    ['cn-north-1', '390948362332.dkr.ecr.cn-north-1.amazonaws.com.cn/linear-learner:1'],
    ['cn-northwest-1', '387376663083.dkr.ecr.cn-northwest-1.amazonaws.com.cn/linear-learner:1'],
  ])('%s', (region, uri) => {
    expect(linearLearnerImage(region)).toBe(uri);
  });
  it('has all 37 regions of the SDK table, 12-digit accounts', () => {
    expect(Object.keys(LINEAR_LEARNER_ACCOUNTS)).toHaveLength(37);
    for (const a of Object.values(LINEAR_LEARNER_ACCOUNTS)) expect(a).toMatch(/^\d{12}$/);
  });
  it('unknown region is a UserInputError naming it', () => {
    expect(() => linearLearnerImage('mars-north-1')).toThrow(UserInputError);
    expect(() => linearLearnerImage('mars-north-1')).toThrow(/mars-north-1/);
  });
});

describe('resource names', () => {
  it('are deterministic and valid', () => {
    expect(resourceName('train', base.runId)).toBe('digitflow-train-20261126-133045-sagemaker');
    expect(resourceName('train', base.runId)).toBe(resourceName('train', base.runId));
  });
  it('long or odd run ids are cut to 63 chars and stay distinct', () => {
    const a = resourceName('tf-val', 'x'.repeat(80) + '_a', '3');
    const b = resourceName('tf-val', 'x'.repeat(80) + '_b', '3');
    expect(a.length).toBeLessThanOrEqual(63);
    expect(isValidResourceName(a)).toBe(true);
    expect(a).not.toBe(b);
    expect(isValidResourceName(resourceName('train', 'run.with_dots'))).toBe(true);
  });
});

describe('buildRunPlan', () => {
  it('lays out S3, names, hyperparameters, channels', () => {
    const p = buildRunPlan(base);
    expect(p.planVersion).toBe(2);
    expect(p.s3.root).toBe('s3://my-bucket/exp/20261126-133045-sagemaker/');
    expect(p.s3.trainChannel).toBe(p.s3.root + 'data/train/');
    expect(p.s3.modelOutput).toBe(p.s3.root + 'model/');
    expect(p.s3.transformOutput).toBe(`${p.s3.root}transform/${p.names.transform}/`);
    expect(p.s3.transformInput).toBe(`${p.s3.root}data/transform-input/`);
    expect(p.hyperparameters).toEqual({
      epochs: '5',
      mini_batch_size: '200',
      predictor_type: 'multiclass_classifier',
      num_classes: '10',
      feature_dim: '784',
    });
    expect(p.channels.map((c) => [c.name, c.contentType, c.distribution])).toEqual([
      ['train', 'text/csv', 'FullyReplicated'],
      ['validation', 'text/csv', 'FullyReplicated'],
    ]);
    for (const n of Object.values(p.names)) expect(isValidResourceName(n!)).toBe(true);
    expect(renderPlanText(p)).toContain('382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1');
  });
  it('user hyperparameters cannot override predictor_type', () => {
    const p = buildRunPlan({ ...base, hyperparameters: { predictor_type: 'regressor' } });
    expect(p.hyperparameters.predictor_type).toBe('multiclass_classifier');
  });
  it('cost is price x instances x max runtime plus one transform on its own type, dated, per region', () => {
    const p = buildRunPlan({ ...base, instanceCount: 2, transformInstanceType: 'ml.c5.xlarge' });
    expect(p.costEstimate.trainingUsd).toBe(estimateCost('ml.m5.large', 2, 3600));
    expect(p.costEstimate.trainingUsd).toBeCloseTo(0.23, 2);
    expect(p.costEstimate.transformUsd).toBe(estimateCost('ml.c5.xlarge', 1, 600));
    expect(p.costEstimate.priceTableDate).toBe(PRICE_TABLE_DATE);
    expect(p.costEstimate.usd).toBeGreaterThan(p.costEstimate.trainingUsd!);
    // A type without a price (valid for SageMaker, missing from the table) and a region without a table:
    // unknown, said so.
    expect(buildRunPlan({ ...base, instanceType: 'ml.m4.16xlarge' }).costEstimate.usd).toBeUndefined();
    const eu = buildRunPlan({ ...base, region: 'eu-west-1' });
    expect(eu.costEstimate.usd).toBeUndefined();
    expect(eu.costEstimate.basis).toContain('no price figure for region eu-west-1');
    expect(eu.costEstimate.prices).toMatchObject({ source: 'none', region: 'eu-west-1' });
  });
  it(
    'with a Price List API source, training and transform ' + 'are priced by their own usage type and the plan says so',
    () => {
      const live = livePriceSource('eu-west-1', '2026-11-27', {
        training: { 'ml.m5.large': 0.128 },
        transform: { 'ml.m5.large': 0.131 },
      });
      const p = buildRunPlan({ ...base, region: 'eu-west-1' }, live);
      expect(p.costEstimate.trainingUsd).toBe(Math.round(0.128 * 100) / 100);
      expect(p.costEstimate.transformUsd).toBe(Math.round(0.131 * (600 / 3600) * 100) / 100);
      expect(p.costEstimate.prices).toMatchObject({
        source: 'price-list-api',
        region: 'eu-west-1',
        date: '2026-11-27',
      });
      expect(p.costEstimate.basis).toContain('eu-west-1 prices from the AWS Price List API on 2026-11-27');
      expect(renderPlanText(p)).toContain('prices: AWS Price List API (eu-west-1, 2026-11-27)');
      // A type the answer did not price: no figure, named.
      const partial = buildRunPlan({ ...base, region: 'eu-west-1', transformInstanceType: 'ml.c5.xlarge' }, live);
      expect(partial.costEstimate.usd).toBeUndefined();
      expect(partial.costEstimate.basis).toContain(
        'no eu-west-1 price for transform on ml.c5.xlarge in AWS Price List API (eu-west-1, 2026-11-27)',
      );
    },
  );
  it('the shipped table with the reason the API was not used; estimateCost keeps its region form', () => {
    const table = shippedPriceSource(
      'us-east-1',
      'the AWS Price List API refused: AccessDeniedException (the caller needs pricing:GetProducts)',
    );
    const p = buildRunPlan(base, table);
    expect(p.costEstimate.usd).toBe(buildRunPlan(base).costEstimate.usd);
    expect(renderPlanText(p)).toContain(
      'prices: shipped table for us-east-1 dated 2024-06-01 (the AWS Price List API refused: AccessDeniedException',
    );
    expect(estimateCost('ml.m5.large', 2, 3600, 'us-east-1')).toBe(
      estimateCost('ml.m5.large', 2, 3600, table, 'training'),
    );
    expect(estimateCost('ml.m5.large', 1, 3600, 'eu-west-1')).toBeUndefined();
    expect(describePriceSource(shippedPriceSource('eu-west-1', 'no AWS credentials'))).toBe(
      'no price figure for region eu-west-1 (no AWS credentials; shipped tables: us-east-1; ' +
        'grant pricing:GetProducts ' +
        'to look prices up in the AWS Price List API, or see https://aws.amazon.com/sagemaker/pricing/)',
    );
  });
  it('instance types are checked per job kind against the SDK enums and the Linear Learner families', () => {
    expect(() => buildRunPlan({ ...base, transformInstanceType: 'ml.t3.medium' })).toThrow(
      /--transform-instance-type 'ml.t3.medium' is not a SageMaker transform instance type/,
    );
    expect(buildRunPlan({ ...base, instanceType: 'ml.t3.medium' }).training.instanceType).toBe('ml.t3.medium');
    expect(() => buildRunPlan({ ...base, instanceType: 'ml.p4d.24xlarge' })).toThrow(/Linear Learner/);
    expect(() => buildRunPlan({ ...base, instanceType: 'ml.trn1.2xlarge' })).toThrow(/Linear Learner/);
    for (const t of ['ml.p2.xlarge', 'ml.p3.2xlarge', 'ml.g4dn.xlarge', 'ml.g5.xlarge', 'ml.c5.xlarge'])
      expect(buildRunPlan({ ...base, instanceType: t }).training.instanceType).toBe(t);
  });
  it('mini_batch_size: min(1000, rows per host) by default; a larger user value is refused', () => {
    const p = buildRunPlan({ ...base, hyperparameters: {}, instanceCount: 8, trainRows: 7200 });
    expect(p.hyperparameters.mini_batch_size).toBe('900');
    expect(buildRunPlan({ ...base, hyperparameters: {}, trainRows: 42000 }).hyperparameters.mini_batch_size).toBe(
      '1000',
    );
    expect(() =>
      buildRunPlan({ ...base, hyperparameters: { mini_batch_size: 901 }, instanceCount: 8, trainRows: 7200 }),
    ).toThrow(/mini_batch_size 901 is larger than the 900/);
    expect(() => buildRunPlan({ ...base, instanceCount: 8, trainRows: 7 })).toThrow(/cannot be shared/);
  });
  it('spot: checkpoints under the run prefix; --max-wait below --max-runtime or without --spot is refused', () => {
    const p = buildRunPlan({ ...base, spot: true, maxRuntimeSeconds: 7200 });
    expect(p.s3.checkpoints).toBe(`${p.s3.root}checkpoints/`);
    expect(p.training.maxWaitSeconds).toBe(14400);
    expect(p.notes.join()).toContain('checkpoints');
    expect(() => buildRunPlan({ ...base, spot: true, maxWaitSeconds: 100 })).toThrow(/--max-wait 100 is shorter/);
    expect(() => buildRunPlan({ ...base, maxWaitSeconds: 9000 })).toThrow(/--spot/);
  });
  it('rejects a bad role, bucket, instance type, region', () => {
    expect(() => buildRunPlan({ ...base, roleArn: 'SageMakerRole' })).toThrow(/ROLE|role ARN/i);
    expect(() => buildRunPlan({ ...base, bucket: 's3://my-bucket' })).toThrow(/bucket/);
    expect(() => buildRunPlan({ ...base, instanceType: 'm5.large' })).toThrow(/instance type/);
    expect(() => buildRunPlan({ ...base, region: 'xx-1' })).toThrow(/xx-1/);
  });
  it('predict reruns get new transform names', () => {
    const a = buildRunPlan(base);
    const b = buildRunPlan({ ...base, transformAttempt: 2 });
    expect(b.names.transform).not.toBe(a.names.transform);
    expect(b.names.trainingJob).toBe(a.names.trainingJob);
    expect(b.s3.transformOutput).not.toBe(a.s3.transformOutput);
  });
});

describe('request builders', () => {
  it('CreateTrainingJob', () => {
    const p = buildRunPlan(base);
    const r = buildCreateTrainingJob(p);
    expect(r).toMatchObject({
      TrainingJobName: 'digitflow-train-20261126-133045-sagemaker',
      RoleArn: base.roleArn,
      AlgorithmSpecification: {
        TrainingImage: '382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1',
        TrainingInputMode: 'File',
      },
      OutputDataConfig: { S3OutputPath: 's3://my-bucket/exp/20261126-133045-sagemaker/model/' },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    });
    expect(r.InputDataConfig![0]).toEqual({
      ChannelName: 'train',
      ContentType: 'text/csv',
      CompressionType: 'None',
      DataSource: {
        S3DataSource: { S3DataType: 'S3Prefix', S3Uri: p.s3.trainChannel, S3DataDistributionType: 'FullyReplicated' },
      },
    });
    expect(r.EnableManagedSpotTraining).toBeUndefined();
    expect(r.StoppingCondition!.MaxWaitTimeInSeconds).toBeUndefined();
  });
  it('spot adds EnableManagedSpotTraining and MaxWaitTimeInSeconds >= runtime', () => {
    const r = buildCreateTrainingJob(buildRunPlan({ ...base, spot: true }));
    expect(r.EnableManagedSpotTraining).toBe(true);
    expect(r.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 });
    expect(r.CheckpointConfig).toEqual({ S3Uri: 's3://my-bucket/exp/20261126-133045-sagemaker/checkpoints/' });
  });
  it('multi-instance training shards the train channel, never validation', () => {
    const r = buildCreateTrainingJob(buildRunPlan({ ...base, instanceCount: 3 }));
    expect(r.InputDataConfig!.map((c) => c.DataSource!.S3DataSource!.S3DataDistributionType)).toEqual([
      'ShardedByS3Key',
      'FullyReplicated',
    ]);
  });
  it('CreateModel', () => {
    const p = buildRunPlan(base);
    expect(buildCreateModel(p, 's3://my-bucket/m/model.tar.gz')).toMatchObject({
      ModelName: 'digitflow-model-20261126-133045-sagemaker',
      ExecutionRoleArn: base.roleArn,
      PrimaryContainer: { Image: p.image, ModelDataUrl: 's3://my-bucket/m/model.tar.gz' },
    });
  });
  it('CreateTransformJob: one job over test shards + validation features, its own instance type and count', () => {
    const p = buildRunPlan({ ...base, instanceCount: 4, transformInstanceCount: 3 });
    expect(p.s3.testShards).toEqual(['test-part-00000.csv', 'test-part-00001.csv', 'test-part-00002.csv']);
    expect(p.s3.validationFeatures).toBe('validation-features.csv');
    const t = buildCreateTransformJob(p);
    expect(t).toMatchObject({
      TransformJobName: p.names.transform,
      ModelName: p.names.model,
      BatchStrategy: 'MultiRecord',
      MaxPayloadInMB: 6,
      TransformInput: {
        ContentType: 'text/csv',
        SplitType: 'Line',
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: p.s3.transformInput } },
      },
      TransformOutput: { S3OutputPath: p.s3.transformOutput, Accept: 'application/jsonlines', AssembleWith: 'Line' },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 3 },
    });
  });
  it('tags: every key and value matches the API pattern, from one function', () => {
    const r = buildCreateTrainingJob(buildRunPlan({ ...base, runId: 'try#2 (ü)' }));
    for (const t of r.Tags!) {
      expect(t.Key).toMatch(/^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u);
      expect(t.Value).toMatch(/^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u);
    }
    expect(r.Tags!.find((t) => t.Key === 'digitflow:run-id')!.Value).toMatch(/^try_2 _ü_-[a-z0-9]+$/);
    expect(r.TrainingJobName).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
  });
});

describe('run ids', () => {
  it('two runs started in the same second get different ids (the folder is reserved with the id)', async () => {
    const { newRunId } = await import('../../../src/adapters/run-store.js');
    const { mkdtemp, rm, stat } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const runs = await mkdtemp(join(tmpdir(), 'runids-'));
    const now = new Date(Date.UTC(2026, 10, 26, 13, 30, 45));
    const ids = await Promise.all(Array.from({ length: 5 }, () => newRunId(runs, now, 'local-linear')));
    expect(new Set(ids).size).toBe(5);
    expect(ids.sort()[0]).toBe('20261126-133045-local-linear');
    for (const id of ids) expect((await stat(join(runs, id))).isDirectory()).toBe(true);
    await rm(runs, { recursive: true, force: true });
  });
});
