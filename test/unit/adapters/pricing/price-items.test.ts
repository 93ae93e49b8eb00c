/** The Price List item parser: which items price a training job, which a batch transform, and what is junk. */
import { describe, expect, it } from 'vitest';
import { jobKindOfUsageType, parsePriceItem, pricesFromItems } from '../../../../src/adapters/pricing/price-items.js';
import { sageMakerPriceItem } from '../../../helpers/pricing-server.js';

const item = (...a: Parameters<typeof sageMakerPriceItem>) => JSON.stringify(sageMakerPriceItem(...a));

describe('jobKindOfUsageType', () => {
  it('reads training and batch transform usage types, with or without a region prefix', () => {
    expect(jobKindOfUsageType('USE1-Train:ml.m5.large')).toEqual({ kind: 'training', instanceType: 'ml.m5.large' });
    expect(jobKindOfUsageType('EU-Tsform:ml.c5.xlarge')).toEqual({ kind: 'transform', instanceType: 'ml.c5.xlarge' });
    expect(jobKindOfUsageType('APN1-Train:ml.g4dn.12xlarge')).toEqual({
      kind: 'training',
      instanceType: 'ml.g4dn.12xlarge',
    });
    expect(jobKindOfUsageType('Train:ml.m5.large')).toEqual({ kind: 'training', instanceType: 'ml.m5.large' });
  });

  it('ignores every other SageMaker usage (spot training, hosting, notebooks, Studio, fees)', () => {
    for (const u of [
      'USE1-TrSpt:ml.m5.large',
      'USE1-Host:ml.m5.large',
      'USE1-Notebk:ml.t3.medium',
      'USE1-Studio:JupyterLab-ml.m5.large',
      'USE1-TrainingPlanUpfrontFee:ml.p4d.24xlarge',
      'USE1-AsyncInf:ml.m5.large',
      'USE1-Train:ml.m5.large-Flex',
      '',
    ]) {
      expect(jobKindOfUsageType(u), u).toBeUndefined();
    }
  });
});

describe('parsePriceItem', () => {
  it('takes the on-demand USD hourly rate of a real-shaped item, as a string or parsed', () => {
    const p = parsePriceItem(item('eu-west-1', 'Tsform', 'ml.m5.large', '0.1310000000'));
    expect(p).toMatchObject({
      kind: 'transform',
      instanceType: 'ml.m5.large',
      usdPerHour: 0.131,
      regionCode: 'eu-west-1',
      usagetype: 'EU-Tsform:ml.m5.large',
    });
    expect(parsePriceItem(sageMakerPriceItem('us-east-1', 'Train', 'ml.m5.large', '0.115'))?.usdPerHour).toBe(0.115);
  });

  it(
    'junk is skipped, never a price: not JSON, no product, a fee in ' +
      'Quantity, zero or non-numeric USD, Outposts, a name that disagrees',
    () => {
      expect(parsePriceItem('{"product":')).toBeUndefined();
      expect(parsePriceItem('"a string"')).toBeUndefined();
      expect(parsePriceItem(null)).toBeUndefined();
      expect(parsePriceItem({ terms: {} })).toBeUndefined();
      expect(parsePriceItem(item('eu-west-1', 'Train', 'ml.m5.large', '13.57', { unit: 'Quantity' }))).toBeUndefined();
      expect(parsePriceItem(item('eu-west-1', 'Train', 'ml.m5.large', '0.0000000000'))).toBeUndefined();
      expect(parsePriceItem(item('eu-west-1', 'Train', 'ml.m5.large', 'n/a'))).toBeUndefined();
      expect(
        parsePriceItem(item('eu-west-1', 'Train', 'ml.m5.large', '0.2', { locationType: 'AWS Outposts' })),
      ).toBeUndefined();
      const renamed = sageMakerPriceItem('eu-west-1', 'Train', 'ml.m5.large', '0.2');
      renamed.product.attributes.instanceName = 'ml.m5.xlarge';
      expect(parsePriceItem(renamed)).toBeUndefined();
      const noTerms = sageMakerPriceItem('eu-west-1', 'Train', 'ml.m5.large', '0.2');
      delete noTerms.terms;
      expect(parsePriceItem(noTerms)).toBeUndefined();
    },
  );
});

describe('pricesFromItems', () => {
  it('training and transform prices come from their own usage types, among several items of one type', () => {
    const entries = [
      item('eu-west-1', 'Notebk', 'ml.m5.large', '0.5'),
      item('eu-west-1', 'Train', 'ml.m5.large', '0.128'),
      item('eu-west-1', 'TrSpt', 'ml.m5.large', '0.0384'),
      item('eu-west-1', 'Tsform', 'ml.m5.large', '0.131'),
      item('eu-west-1', 'Host', 'ml.m5.large', '0.9'),
      item('eu-west-1', 'Tsform', 'ml.c5.xlarge', '0.23'),
    ];
    const r = pricesFromItems(entries, 'eu-west-1', ['ml.m5.large', 'ml.c5.xlarge']);
    expect(r.training).toEqual({ 'ml.m5.large': 0.128 });
    expect(r.transform).toEqual({ 'ml.m5.large': 0.131, 'ml.c5.xlarge': 0.23 });
    expect(r.used).toBe(3);
    expect(r.skipped).toBe(3);
  });

  it(
    'another region, another instance type and junk are skipped; ' +
      'two prices for one kind give the higher (an upper bound)',
    () => {
      const entries = [
        item('us-east-1', 'Train', 'ml.m5.large', '0.115'),
        item('eu-west-1', 'Train', 'ml.p3.2xlarge', '4.1'),
        'not json',
        item('eu-west-1', 'Train', 'ml.m5.large', '0.128'),
        item('eu-west-1', 'Train', 'ml.m5.large', '0.140'),
      ];
      const r = pricesFromItems(entries, 'eu-west-1', ['ml.m5.large']);
      expect(r.training).toEqual({ 'ml.m5.large': 0.14 });
      expect(r.transform).toEqual({});
      expect(r.used).toBe(2);
      expect(pricesFromItems(entries, 'ap-south-1', ['ml.m5.large']).used).toBe(0);
    },
  );
});
