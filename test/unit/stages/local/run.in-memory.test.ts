/**
 * `run` hands argmax and evaluate what predict (and the check before training) hold in memory
 * instead of letting them read back the files it just wrote. Differential test: the same stages
 * reading those files write byte-identical submissions and metrics, for the test rows and the
 * validation rows; and predict keeps its probabilities only up to the row limit it is given.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localRunStage, type RunLocalOutput } from '../../../../src/stages/local/run.js';
import { localPredictStage } from '../../../../src/stages/local/predict.js';
import { argmaxStage } from '../../../../src/stages/argmax.js';
import { evaluateStage } from '../../../../src/stages/evaluate.js';
import { collectingReporter, systemClock } from '../../../../src/runtime/deps.js';
import { digitsSplit, toKaggleCsv } from '../../../helpers/tfjs-fixtures.js';
import { LinearPredictionAhead } from '../../../../src/adapters/tfjs/predict/linear-ahead.js';

const deps = () => ({ reporter: collectingReporter(), clock: systemClock });
let dir: string;
let run: RunLocalOutput;
let predictedAhead: ReturnType<typeof vi.spyOn>;

beforeAll(async () => {
  predictedAhead = vi.spyOn(LinearPredictionAhead.prototype, 'finish');
  dir = await mkdtemp(join(tmpdir(), 'digitflow-run-memory-'));
  const { train, test } = digitsSplit(900, 300, 3);
  await writeFile(join(dir, 'train.csv'), toKaggleCsv(train, true));
  await writeFile(join(dir, 'test.csv'), toKaggleCsv(test, false));
  await writeFile(
    join(dir, 'labels.csv'),
    'ImageId,Label\n' + Array.from(test.labels!, (l, i) => `${i + 1},${l}`).join('\n') + '\n',
  );
  run = await localRunStage(
    {
      train: join(dir, 'train.csv'),
      test: join(dir, 'test.csv'),
      labels: join(dir, 'labels.csv'),
      out: join(dir, 'run'),
      model: 'linear',
      epochs: 3,
      seed: 4,
      backend: 'wasm',
      predictAhead: true,
    },
    deps(),
  );
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const bytes = (p: string) => readFile(p, 'latin1');

describe('run: argmax and evaluate from memory', () => {
  it('writes the submission and metrics that reading its files back gives', async () => {
    const r = join(dir, 'run');
    await argmaxStage({ input: join(r, 'probabilities.csv'), output: join(dir, 'submission.csv') }, deps());
    expect(await bytes(join(dir, 'submission.csv'))).toBe(await bytes(join(r, 'submission.csv')));
    await evaluateStage(
      {
        submission: join(dir, 'submission.csv'),
        labels: join(dir, 'labels.csv'),
        probabilities: join(r, 'probabilities.csv'),
        output: join(dir, 'metrics.json'),
      },
      deps(),
    );
    expect(await bytes(join(dir, 'metrics.json'))).toBe(await bytes(join(r, 'metrics.json')));
    expect(run.metrics?.logLoss).toBeGreaterThan(0);
  });

  it('does the same for the validation rows', async () => {
    const r = join(dir, 'run');
    await argmaxStage(
      { input: join(r, 'validation-probabilities.csv'), output: join(dir, 'validation-submission.csv') },
      deps(),
    );
    expect(await bytes(join(dir, 'validation-submission.csv'))).toBe(await bytes(join(r, 'validation-submission.csv')));
    await evaluateStage(
      {
        submission: join(dir, 'validation-submission.csv'),
        labels: join(r, 'validation-labels.csv'),
        probabilities: join(r, 'validation-probabilities.csv'),
        output: join(dir, 'validation-metrics.json'),
      },
      deps(),
    );
    expect(await bytes(join(dir, 'validation-metrics.json'))).toBe(await bytes(join(r, 'validation-metrics.json')));
    expect(run.validationMetrics?.accuracy).toBeGreaterThan(0.5);
  });

  it('predict keeps the probabilities only up to keepRows rows', async () => {
    const r = join(dir, 'run');
    const input = { runDir: r, test: join(dir, 'test.csv'), output: join(dir, 'p.csv'), force: true };
    const kept = await localPredictStage({ ...input, keepRows: 300 }, deps());
    expect(kept.probabilities?.rows).toBe(300);
    expect(kept.probabilities?.probabilities.length).toBe(3000);
    expect((await localPredictStage({ ...input, keepRows: 299 }, deps())).probabilities).toBeUndefined();
    expect((await localPredictStage(input, deps())).probabilities).toBeUndefined();
  });

  it('predicted the test rows on a second thread during training, as predict does after it', async () => {
    expect(predictedAhead).toHaveBeenCalledTimes(1);
    const r = join(dir, 'run');
    await localPredictStage({ runDir: r, test: join(dir, 'test.csv'), output: join(dir, 'again.csv') }, deps());
    expect(await bytes(join(dir, 'again.csv'))).toBe(await bytes(join(r, 'probabilities.csv')));
  });

  it('writes the same files without predicting ahead', async () => {
    const calls = predictedAhead.mock.calls.length;
    const again = await localRunStage(
      {
        train: join(dir, 'train.csv'),
        test: join(dir, 'test.csv'),
        labels: join(dir, 'labels.csv'),
        out: join(dir, 'run-plain'),
        model: 'linear',
        epochs: 3,
        seed: 4,
        backend: 'wasm',
        predictAhead: false,
      },
      deps(),
    );
    expect(predictedAhead.mock.calls.length).toBe(calls);
    for (const f of ['probabilities.csv', 'submission.csv', 'metrics.json', 'validation-metrics.json']) {
      expect(await bytes(join(again.runDir, f))).toBe(await bytes(join(dir, 'run', f)));
    }
  }, 120_000);
});
