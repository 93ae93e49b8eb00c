/** The managed run's result text names where its cost estimate's prices came from. */
import { describe, expect, it } from 'vitest';
import { renderResult } from '../../../../src/cli/commands/sagemaker-engine.js';
import type { SageMakerRunResult } from '../../../../src/stages/sagemaker/run.js';

const base: SageMakerRunResult = {
  runId: 'r',
  runDir: 'runs/r',
  engine: 'sagemaker',
  transformJobs: [],
  billableSeconds: 95,
  outputs: {},
  timings: {},
};

describe('renderResult price source', () => {
  it('says API, shipped table, or nothing', () => {
    const api = renderResult({
      ...base,
      costEstimate: {
        usd: 0.01,
        basis: 'b',
        priceSource: { source: 'price-list-api', region: 'eu-west-1', date: '2026-11-27' },
      },
    });
    expect(api).toContain('~$0.01 (estimate, AWS Price List API eu-west-1 2026-11-27)');
    const table = renderResult({
      ...base,
      costEstimate: {
        usd: 0.01,
        basis: 'b',
        priceSource: { source: 'shipped-table', region: 'us-east-1', date: '2024-06-01' },
      },
    });
    expect(table).toContain('~$0.01 (estimate, shipped us-east-1 table of 2024-06-01)');
    expect(renderResult(base)).toMatch(/billable\s+95s$/m);
  });
});
