/**
 * The Price List adapter over the wire: the real `@aws-sdk/client-pricing` against the loopback
 * Price List server (test/helpers/pricing-server.ts): filters sent, NextToken pages followed,
 * AccessDenied / a hang / an empty answer become a reason, never an exception.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPricingClient, priceListLookup, pricingEndpointRegion } from '../../src/adapters/pricing/price-list.js';
import { startPricingServer, type PricingTestServer } from '../helpers/pricing-server.js';

let server: PricingTestServer;
const credentials = { accessKeyId: 'TESTKEY', secretAccessKey: 'TESTSECRET' };
const lookup = (timeoutMs = 5000) =>
  priceListLookup(createPricingClient({ region: 'eu-west-1', endpoint: server.endpoint, credentials, timeoutMs }), {
    timeoutMs,
  });

beforeAll(async () => {
  server = await startPricingServer({ pageSize: 2 });
});
afterAll(async () => {
  await server?.close();
});
beforeEach(() => {
  server.requests.length = 0;
  server.denyAll(false);
  server.hangAll(false);
});

describe('priceListLookup', () => {
  it(
    'asks GetProducts per instance type with the region and instance ' +
      'filters, follows NextToken, and splits training from transform',
    async () => {
      const r = await lookup().lookup('eu-west-1', ['ml.m5.large', 'ml.c5.xlarge']);
      expect(r).toEqual({
        ok: true,
        training: { 'ml.m5.large': 0.128, 'ml.c5.xlarge': 0.23 },
        transform: { 'ml.m5.large': 0.131, 'ml.c5.xlarge': 0.23 },
        items: 4,
      });
      const m5 = server.requests.filter((q) => q.Filters.some((f: { Value: string }) => f.Value === 'ml.m5.large'));
      // Six eu-west-1 ml.m5.large items at two per page: three pages, the 2nd and 3rd with the token.
      expect(m5.map((q) => q.NextToken)).toEqual([undefined, 'page-2', 'page-4']);
      expect(m5[0]).toMatchObject({
        ServiceCode: 'AmazonSageMaker',
        FormatVersion: 'aws_v1',
        Filters: [
          { Type: 'TERM_MATCH', Field: 'regionCode', Value: 'eu-west-1' },
          { Type: 'TERM_MATCH', Field: 'instanceName', Value: 'ml.m5.large' },
        ],
      });
    },
  );

  it('AccessDenied is a reason naming the permission, not an error', async () => {
    server.denyAll(true);
    const r = await lookup().lookup('eu-west-1', ['ml.m5.large']);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain('AccessDeniedException');
    expect(!r.ok && r.reason).toContain('pricing:GetProducts');
  });

  it('a server that never answers is a timeout reason after the short deadline', async () => {
    server.hangAll(true);
    const r = await lookup(400).lookup('eu-west-1', ['ml.m5.large']);
    expect(r).toEqual({ ok: false, reason: 'the AWS Price List API did not answer within 0.4 s' });
  });

  it('nothing priced for the region is a reason too', async () => {
    const r = await lookup().lookup('ap-south-1', ['ml.m5.large']);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain('no on-demand training or transform price for ml.m5.large in ap-south-1');
  });
});

describe('pricingEndpointRegion', () => {
  it('the nearest of the three Price List endpoints', () => {
    expect(pricingEndpointRegion('eu-west-1')).toBe('eu-central-1');
    expect(pricingEndpointRegion('ap-northeast-1')).toBe('ap-south-1');
    expect(pricingEndpointRegion('us-west-2')).toBe('us-east-1');
    expect(pricingEndpointRegion('sa-east-1')).toBe('us-east-1');
  });
});
