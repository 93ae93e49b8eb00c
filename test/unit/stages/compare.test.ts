import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareStage } from '../../../src/stages/compare.js';
import { computeMetrics } from '../../../src/domain/metrics.js';
import { defaultDeps } from '../../../src/runtime/deps.js';
import { renderCompareText } from '../../../src/cli/commands/compare.js';
import { probsFor, writeRun } from '../../fixtures/probabilities/make-run.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'compare-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

const truth = [0, 1, 2, 3, 3];
// local run: 4/5 right (one 3 predicted as 5); managed run: 3/5 right.
const localPred = [0, 1, 2, 3, 5];
const managedPred = [0, 1, 7, 5, 3];

async function twoRuns(managedRows = [3, 9, 14, 20, 31]) {
  const a = await writeRun(join(dir, 'a'), {
    runId: 'run-local',
    validationRows: [3, 9, 14, 20, 31],
    testSha: 'abc',
    valTruth: truth,
    valProbs: localPred.map((c) => probsFor(c)),
    extra: { backend: 'wasm', model: 'linear', timings: { train: 12.5, predict: 1.25 } },
  });
  const b = await writeRun(join(dir, 'b'), {
    runId: 'run-managed',
    engine: 'sagemaker',
    validationRows: managedRows,
    testSha: 'abc',
    metricsJson: computeMetrics(truth, managedPred, 10),
    extra: {
      model: 'linear',
      instanceType: 'ml.m5.large',
      timings: { train: 180, predict: 240 },
      billableSeconds: 95,
      costEstimate: { usd: 0.0304, basis: 'x' },
    },
  });
  return [a, b];
}

describe('compareStage', () => {
  it('puts the runs side by side and computes missing validation metrics', async () => {
    const r = await compareStage({ runs: await twoRuns() }, defaultDeps());
    const row = (key: string) => r.rows.find((x) => x.key === key)!;
    expect(row('engine').values).toEqual(['local', 'sagemaker']);
    expect(row('backend').values).toEqual(['wasm', 'ml.m5.large']);
    expect(row('validation.accuracy').values).toEqual([0.8, 0.6]);
    expect(row('model').differs).toBe(false);
    expect(row('billableSeconds').values).toEqual([null, 95]);
    expect(row('recall.3').values).toEqual([0.5, 0.5]);
    expect(row('recall.2').values).toEqual([1, 0]);
    expect(r.runs[0].validationSource).toBe('computed');
    expect(r.runs[1].validationSource).toBe('validation-metrics.json');
    expect(r.heldOut).toMatchObject({ sameValidationRows: true, sameTestInput: true });
    // compare computes in memory: it does not write into run directories
    expect(await readdir(join(dir, 'a'))).not.toContain('validation-metrics.json');
  });
  it('--diff keeps only rows that differ', async () => {
    const r = await compareStage({ runs: await twoRuns(), diff: true }, defaultDeps());
    const keys = r.rows.map((x) => x.key);
    expect(keys).toContain('engine');
    expect(keys).not.toContain('model');
    expect(keys).not.toContain('seed');
    expect(keys).not.toContain('recall.0');
    expect(r.rows.filter((x) => x.key !== 'runId').every((x) => x.differs)).toBe(true);
  });
  it('says clearly when the held-out rows differ', async () => {
    const r = await compareStage({ runs: await twoRuns([3, 9, 14, 20, 32]) }, defaultDeps());
    expect(r.heldOut.sameValidationRows).toBe(false);
    expect(r.heldOut.messages.join('\n')).toMatch(/DIFFERENT held-out rows.*NOT comparable/);
    expect(renderCompareText(r)).toContain('! DIFFERENT held-out rows');
  });
  it('order of the recorded rows does not matter; a different test file does', async () => {
    const [a] = await twoRuns();
    const c = await writeRun(join(dir, 'c'), { runId: 'run-c', validationRows: [31, 20, 14, 9, 3], testSha: 'other' });
    const r = await compareStage({ runs: [a, c] }, defaultDeps());
    expect(r.heldOut.sameValidationRows).toBe(true);
    expect(r.heldOut.sameTestInput).toBe(false);
    expect(r.heldOut.messages.join('\n')).toContain('DIFFERENT test files');
  });
  it('confusion difference B − A for two runs', async () => {
    const r = await compareStage({ runs: await twoRuns() }, defaultDeps());
    expect(r.confusionDiff?.on).toBe('validation');
    const d = r.confusionDiff!.diff;
    expect(d[2][2]).toBe(-1);
    expect(d[2][7]).toBe(1);
    expect(d[3][3]).toBe(0); // one right in each
    expect(d[3][5]).toBe(0);
    expect(d.flat().reduce((s, v) => s + v, 0)).toBe(0);
    const text = renderCompareText(r);
    expect(text).toContain('run-managed minus run-local');
  });
  it('a folder without a manifest is a user error', async () => {
    await expect(compareStage({ runs: [dir] }, defaultDeps())).rejects.toMatchObject({
      code: 'RUN_NOT_FOUND',
      exitCode: 2,
    });
  });
});

describe('hyperparameters', () => {
  it('are rows of the table, so --diff shows the ones that changed', async () => {
    const a = await writeRun(join(dir, 'h1'), {
      runId: 'h1',
      extra: { hyperparameters: { epochs: 5, learningRate: 0.01 } },
    });
    const b = await writeRun(join(dir, 'h2'), {
      runId: 'h2',
      extra: { hyperparameters: { epochs: 5, learningRate: 0.05, l2: 0 } },
    });
    const r = await compareStage({ runs: [a, b], diff: true }, defaultDeps());
    expect(r.rows.find((x) => x.key === 'hp.learningRate')?.values).toEqual(['0.01', '0.05']);
    expect(r.rows.find((x) => x.key === 'hp.l2')?.values).toEqual([null, '0']);
    expect(r.rows.find((x) => x.key === 'hp.epochs')).toBeUndefined();
    expect(r.heldOut.messages.join(' ')).toContain('cannot check the held-out rows');
  });
  it(
    'local and managed runs line up: learningRate next to learning_rate, batchSize next to mini_batch_size, ' +
      'l2 next to wd',
    async () => {
      const a = await writeRun(join(dir, 'l1'), {
        runId: 'l1',
        extra: { hyperparameters: { epochs: 5, learningRate: 0.01, batchSize: 128, l2: 0.001 } },
      });
      const b = await writeRun(join(dir, 'm1'), {
        runId: 'm1',
        engine: 'sagemaker',
        extra: {
          hyperparameters: {
            epochs: '5',
            learning_rate: '0.5',
            mini_batch_size: '1000',
            wd: '0.001',
            optimizer: 'sgd',
          },
        },
      });
      const r = await compareStage({ runs: [a, b] }, defaultDeps());
      expect(r.rows.find((x) => x.key === 'hp.learningRate')).toMatchObject({
        label: 'learningRate / learning_rate',
        values: ['0.01', '0.5'],
      });
      expect(r.rows.find((x) => x.key === 'hp.batchSize')).toMatchObject({
        label: 'batchSize / mini_batch_size',
        values: ['128', '1000'],
      });
      expect(r.rows.find((x) => x.key === 'hp.l2')).toMatchObject({
        label: 'l2 / wd',
        values: ['0.001', '0.001'],
        differs: false,
      });
      expect(r.rows.find((x) => x.key === 'hp.optimizer')?.values).toEqual([null, 'sgd']);
      expect(r.rows.filter((x) => x.key.startsWith('hp.learning'))).toHaveLength(1);
    },
  );
});

describe('Kaggle public score', () => {
  it(
    'sits next to the test accuracy when a manifest has a scored submission (the latest scored one, ' +
      'as `runs` reads it)',
    async () => {
      const subs = [
        { ref: 1, file: 'submission.csv', sha256: 'a', status: 'complete', publicScore: 0.91234 },
        { ref: 2, file: 'submission.csv', sha256: 'b', status: 'pending' },
      ];
      const a = await writeRun(join(dir, 'k1'), {
        runId: 'k1',
        metricsJson: computeMetrics(truth, localPred, 10),
        extra: { kaggle: { competition: 'digit-recognizer', submissions: subs } },
      });
      const b = await writeRun(join(dir, 'k2'), { runId: 'k2', metricsJson: computeMetrics(truth, managedPred, 10) });
      const r = await compareStage({ runs: [a, b] }, defaultDeps());
      const keys = r.rows.map((x) => x.key);
      const lastScore = Math.max(...keys.map((k, i) => (/^(validation|test)\./.test(k) ? i : -1)));
      expect(lastScore).toBeGreaterThan(0);
      expect(keys.indexOf('kaggle.publicScore')).toBe(lastScore + 1);
      expect(r.rows.find((x) => x.key === 'kaggle.publicScore')).toMatchObject({
        label: 'Kaggle public score',
        values: [0.91234, null],
        differs: true,
      });
      const text = renderCompareText(r);
      expect(text).toMatch(/Kaggle public score\s+0\.91234\s+—/);
      // No run with a score: no row.
      const none = await compareStage({ runs: [b, b] }, defaultDeps());
      expect(none.rows.some((x) => x.key === 'kaggle.publicScore')).toBe(false);
    },
  );
});
