import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runsStage } from '../../../src/stages/runs.js';
import { defaultDeps } from '../../../src/runtime/deps.js';
import { renderRunsText } from '../../../src/cli/commands/runs.js';
import { writeRun } from '../../fixtures/probabilities/make-run.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'runs-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

const SPLIT = [1, 4, 9];

async function fixtureRuns() {
  await writeRun(join(dir, 'local-linear'), {
    runId: 'local-linear',
    validationRows: SPLIT,
    testSha: 'T1',
    extra: {
      model: 'linear',
      createdAt: '2026-11-26T10:00:00Z',
      hyperparameters: { epochs: 10, batchSize: 128, learningRate: 0.01, workers: 1 },
      summary: { accuracy: 0.91, validationAccuracy: 0.9 },
      timings: { train: 1.5 },
    },
  });
  await writeRun(join(dir, 'local-cnn'), {
    runId: 'local-cnn',
    validationRows: SPLIT,
    testSha: 'T1',
    testMetrics: { accuracy: 0.987 },
    extra: {
      model: 'cnn',
      createdAt: '2026-11-26T11:00:00Z',
      summary: { validationAccuracy: 0.985 },
      timings: { train: 90 },
    },
  });
  await writeRun(join(dir, 'managed'), {
    runId: 'managed',
    engine: 'sagemaker',
    validationRows: SPLIT,
    testSha: 'T1',
    extra: {
      model: 'linear-learner',
      createdAt: '2026-11-26T12:00:00Z',
      hyperparameters: { mini_batch_size: '200', learning_rate: 'auto', predictor_type: 'multiclass_classifier' },
      summary: { validation_accuracy: 0.92, accuracy: 0.921 },
      timings: { train: 300 },
      costEstimate: { usd: 0.0312, basis: 'x' },
      ...({ kaggle: { submissions: [{ publicScore: '0.91800' }, { status: 'pending' }] } } as object),
    },
  });
  await writeRun(join(dir, 'blend'), {
    runId: 'blend',
    validationRows: SPLIT,
    testSha: 'T1',
    extra: {
      command: 'blend',
      model: 'blend',
      createdAt: '2026-11-26T13:00:00Z',
      hyperparameters: { method: 'mean', weights: '0.6,0.4' },
      summary: { accuracy: 0.99, validationAccuracy: 0.986 },
    },
  });
  // Another seed: other held-out rows, and another test file.
  await writeRun(join(dir, 'other-seed'), {
    runId: 'other-seed',
    validationRows: [2, 3, 5],
    testSha: 'T2',
    extra: {
      model: 'linear',
      createdAt: '2026-11-26T14:00:00Z',
      summary: { validationAccuracy: 0.995, accuracy: 0.5 },
    },
  });
  await mkdir(join(dir, 'broken'));
  await writeFile(join(dir, 'broken', 'manifest.json'), '{ not json');
  await mkdir(join(dir, '.blend-2.tmp-1-abcd'));
  await writeFile(join(dir, '.blend-2.tmp-1-abcd', 'manifest.json'), '{}');
  await mkdir(join(dir, 'not-a-run'));
  await writeFile(join(dir, 'notes.txt'), 'x');
}

describe('runsStage', () => {
  it('lists every run with its numbers, sorted by validation accuracy, flagging other rows', async () => {
    await fixtureRuns();
    const r = await runsStage({ dir }, defaultDeps());
    expect(r.runs.map((e) => e.runId)).toEqual(['other-seed', 'blend', 'local-cnn', 'managed', 'local-linear']);
    const by = (id: string) => r.runs.find((e) => e.runId === id)!;
    expect(by('local-linear')).toMatchObject({
      engine: 'local',
      model: 'linear',
      hyperparameters: ['epochs=10', 'batchSize=128', 'learningRate=0.01'],
      testAccuracy: 0.91,
      trainSeconds: 1.5,
      validationRows: 3,
      flags: [],
    });
    expect(by('local-cnn').testAccuracy).toBe(0.987); // from metrics.json
    expect(by('managed')).toMatchObject({
      engine: 'sagemaker',
      validationAccuracy: 0.92,
      kagglePublicScore: 0.918,
      costUsd: 0.0312,
      hyperparameters: ['learning_rate=auto', 'mini_batch_size=200'],
    });
    expect(by('blend')).toMatchObject({ engine: 'blend', hyperparameters: ['method=mean', 'weights=0.6,0.4'] });
    expect(by('other-seed')).toMatchObject({
      validationGroup: 'B',
      testGroup: 'B',
      flags: ['validation rows B, not A', 'test file B, not A'],
    });
    expect(by('blend')).toMatchObject({ validationGroup: 'A', testGroup: 'A' });
    expect(r.skipped).toEqual([{ dir: join(dir, 'broken'), reason: expect.stringMatching(/not valid JSON/) }]);
    expect(r.notes).toHaveLength(2);
    const text = renderRunsText(r);
    expect(text).toMatch(/^#\s+run\s+engine/);
    expect(text).toMatch(/1\s+other-seed .* 99\.50% B\s+50\.00% B .*! validation rows B, not A; test file B, not A/);
    expect(text).toMatch(/managed\s+sagemaker .*92\.00% A\s+92\.10% A\s+0\.91800\s+300\.0\s+\$0\.0312/);
    expect(text).toMatch(/skipped .*broken: .*not valid JSON/);
  });

  it('sorts by test accuracy, Kaggle score (missing last) and cost (cheapest first)', async () => {
    await fixtureRuns();
    const ids = async (sort: 'test-acc' | 'kaggle' | 'cost' | 'created') =>
      (await runsStage({ dir, sort }, defaultDeps())).runs.map((e) => e.runId);
    expect(await ids('test-acc')).toEqual(['blend', 'local-cnn', 'managed', 'local-linear', 'other-seed']);
    expect((await ids('kaggle'))[0]).toBe('managed');
    expect(await ids('cost')).toEqual(['managed', 'other-seed', 'blend', 'local-cnn', 'local-linear']);
    expect(await ids('created')).toEqual(['other-seed', 'blend', 'managed', 'local-cnn', 'local-linear']);
  });

  it('no letters when every run was scored on the same rows; control characters in ids are not printed', async () => {
    await writeRun(join(dir, 'a'), {
      runId: 'a\u001b[31mred',
      validationRows: SPLIT,
      testSha: 'T',
      extra: { summary: { validationAccuracy: 0.5 } },
    });
    const r = await runsStage({ dir }, defaultDeps());
    const text = renderRunsText(r);
    expect(text).not.toContain('\u001b');
    expect(text).toContain('a\\u001b[31mred');
    expect(text).toMatch(/50\.00%\s/);
    expect(text).not.toMatch(/% A/);
  });

  it('an empty folder says how to make a run; a missing folder is a user error', async () => {
    expect(renderRunsText(await runsStage({ dir }, defaultDeps()))).toMatch(/no runs in .* yet/);
    await expect(runsStage({ dir: join(dir, 'nope') }, defaultDeps())).rejects.toMatchObject({
      code: 'RUNS_DIR_NOT_FOUND',
      exitCode: 2,
    });
  });
});
