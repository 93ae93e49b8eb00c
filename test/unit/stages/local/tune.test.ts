import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { halvingSchedule, sampleTrials, TUNE_SPACES } from '../../../../src/domain/tune-space.js';
import { rankTrials, localTuneStage } from '../../../../src/stages/local/tune.js';
import { runsStage } from '../../../../src/stages/runs.js';
import { collectingReporter, systemClock, type ProgressEvent } from '../../../../src/runtime/deps.js';
import { renderTuneText } from '../../../../src/cli/commands/tune.js';
import { repoRoot } from '../../../helpers/cli.js';

const SAMPLE = join(repoRoot, 'data', 'sample');
const train = join(SAMPLE, 'train.csv');
const test = join(SAMPLE, 'test.csv');
const labels = join(SAMPLE, 'test_labels.csv');

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'tune-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('search space', () => {
  it('the same seed draws the same trials, within the ranges; another seed others', () => {
    const a = sampleTrials('linear', 20, 7);
    expect(sampleTrials('linear', 20, 7)).toEqual(a);
    expect(sampleTrials('linear', 20, 8)).not.toEqual(a);
    const s = TUNE_SPACES.linear;
    for (const t of a) {
      expect(t.learningRate).toBeGreaterThanOrEqual(0.001 * 0.999);
      expect(t.learningRate).toBeLessThanOrEqual(0.1 * 1.001);
      expect(s.batchSize.kind === 'choice' && s.batchSize.values.includes(t.batchSize)).toBe(true);
      expect(Number.isInteger(t.epochs) && t.epochs >= 3 && t.epochs <= 15).toBe(true);
    }
    expect(new Set(a.map((t) => t.batchSize)).size).toBeGreaterThan(1);
  });

  it('the CNN space also draws augmentation shift and learning-rate decay; the linear space does not', () => {
    const cnn = sampleTrials('cnn', 30, 3);
    expect(new Set(cnn.map((t) => t.augmentShift)).size).toBeGreaterThan(1);
    for (const t of cnn) {
      expect([0, 1, 2, 3]).toContain(t.augmentShift);
      expect([0, 0.25, 0.5, 1]).toContain(t.lrDecay);
    }
    expect(sampleTrials('linear', 5, 3).every((t) => t.augmentShift === undefined && t.lrDecay === undefined)).toBe(
      true,
    );
  });

  it('successive halving keeps a third per rung, tripling the epochs up to the maximum', () => {
    expect(halvingSchedule(9, 12)).toEqual([
      { trials: 9, epochs: 1 },
      { trials: 3, epochs: 4 },
      { trials: 1, epochs: 12 },
    ]);
    expect(halvingSchedule(4, 9)).toEqual([
      { trials: 4, epochs: 3 },
      { trials: 1, epochs: 9 },
    ]);
    expect(halvingSchedule(1, 5)).toEqual([{ trials: 1, epochs: 5 }]);
  });

  it('ranks by validation accuracy, then log loss, then trial number', () => {
    const t = (trial: number, acc: number, loss?: number) =>
      ({ trial, validationAccuracy: acc, validationLogLoss: loss }) as never;
    expect(
      rankTrials([t(1, 0.8, 0.5), t(2, 0.9, 0.9), t(3, 0.9, 0.4), t(4, 0.9, 0.4)]).map((r) => [r.trial, r.rank]),
    ).toEqual([
      [3, 1],
      [4, 2],
      [2, 3],
      [1, 4],
    ]);
  });
});

describe('localTuneStage', () => {
  it('each trial a run folder on the same held-out rows; leaderboard; the best scored on test rows after', async () => {
    const out = join(dir, 'tune');
    const reporter = collectingReporter();
    const r = await localTuneStage(
      { model: 'linear', trials: 3, train, test, labels, out, seed: 5, backend: 'wasm' },
      { reporter, clock: systemClock },
    );
    expect(r.status).toBe('completed');
    expect((await readdir(out)).sort()).toEqual(['trial-1', 'trial-2', 'trial-3', 'tune.json']);
    expect(r.leaderboard.map((t) => t.rank)).toEqual([1, 2, 3]);
    expect(r.leaderboard.map((t) => t.params)).toEqual(expect.arrayContaining(sampleTrials('linear', 3, 5)));
    for (let i = 1; i < 3; i++)
      expect(r.leaderboard[i - 1].validationAccuracy).toBeGreaterThanOrEqual(r.leaderboard[i].validationAccuracy);
    // Every trial held out the same rows, recorded its settings, and (except the best) saw no test file.
    const manifests = await Promise.all(
      [1, 2, 3].map(async (i) => JSON.parse(await readFile(join(out, `trial-${i}`, 'manifest.json'), 'utf8'))),
    );
    expect(new Set(manifests.map((m) => JSON.stringify(m.split.validationRows))).size).toBe(1);
    for (const m of manifests) {
      expect(m.command).toBe('tune');
      expect(m.tune.params.learningRate).toBe(m.hyperparameters.learningRate);
      expect(m.hyperparameters.l2).toBe(m.tune.params.l2);
    }
    const bestDir = r.best!.runDir;
    expect(bestDir).toBe(r.leaderboard[0].runDir);
    expect(r.best!.testRows).toBe(100);
    expect(r.best!.testAccuracy).toBeGreaterThan(0.3);
    for (const m of manifests)
      expect(Boolean(m.outputs.probabilities)).toBe(join(out, `trial-${m.tune.trial}`) === bestDir);
    const saved = JSON.parse(await readFile(join(out, 'tune.json'), 'utf8'));
    expect(saved.best.runDir).toBe(bestDir);
    expect(saved.leaderboard).toHaveLength(3);
    // runs lists the trials like any runs, on one split.
    const listed = await runsStage({ dir: out }, { reporter, clock: systemClock });
    expect(listed.runs.map((e) => e.runDir ?? e.dir)).toHaveLength(3);
    expect(listed.runs[0].dir).toBe(bestDir);
    expect(listed.notes).toEqual([]);
    expect(renderTuneText(r)).toMatch(
      /best: .*trial-\d \(\d+\.\d\d% validation, \d+\.\d\d% on the 100 test rows, scored after the search\)/,
    );
    expect(reporter.events.filter((e) => e.kind === 'epoch')).toEqual([]); // per-epoch lines are not passed on
    // Without --force the tune folder is not reused.
    await expect(
      localTuneStage(
        { model: 'linear', trials: 1, train, test, out, seed: 5, backend: 'wasm' },
        { reporter, clock: systemClock },
      ),
    ).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
  }, 120_000);

  it('Ctrl-C in the second trial keeps the first, removes the half-trained one, says where the best is', async () => {
    const out = join(dir, 'tune');
    const controller = new AbortController();
    let sawTrial2 = false;
    const reporter = {
      emit: (e: ProgressEvent) => {
        // Abort while trial 2 is training (its progress events carry the trial in their task id).
        if (e.kind === 'progress' && e.task.startsWith('trial2:') && !controller.signal.aborted) {
          sawTrial2 = true;
          controller.abort();
        }
      },
    };
    await expect(
      localTuneStage(
        { model: 'linear', trials: 3, train, test, labels, out, seed: 5, backend: 'wasm' },
        { reporter, clock: systemClock, signal: controller.signal },
      ),
    ).rejects.toMatchObject({
      code: 'INTERRUPTED',
      message: expect.stringMatching(/1 finished trial\(s\) kept .*best so far .*trial-1/),
    });
    expect(sawTrial2).toBe(true);
    expect((await readdir(out)).sort()).toEqual(['trial-1', 'tune.json']);
    const saved = JSON.parse(await readFile(join(out, 'tune.json'), 'utf8'));
    expect(saved.status).toBe('interrupted');
    expect(saved.leaderboard.map((t: { trial: number }) => t.trial)).toEqual([1]);
  }, 120_000);

  it('successive halving trains the survivors with more epochs', async () => {
    const r = await localTuneStage(
      {
        model: 'linear',
        trials: 3,
        strategy: 'halving',
        maxEpochs: 3,
        train,
        out: join(dir, 'h'),
        seed: 5,
        backend: 'wasm',
      },
      { reporter: collectingReporter(), clock: systemClock },
    );
    expect(r.schedule).toEqual([
      { trials: 3, epochs: 1 },
      { trials: 1, epochs: 3 },
    ]);
    expect(r.leaderboard).toHaveLength(4);
    const last = r.leaderboard.find((t) => t.rung === 1)!;
    const firstRung = rankTrials(r.leaderboard.filter((t) => t.rung === 0));
    expect(last.params).toEqual({ ...firstRung[0].params, epochs: 3 });
    expect(r.best!.testAccuracy).toBeUndefined(); // --train without --test: nothing predicted
  }, 120_000);

  it("a failing trial stops the tune: the error is the trial's, tune.json says failed, nothing half-made", async () => {
    const tiny = join(dir, 'tiny.csv');
    await writeFile(
      tiny,
      ['label', ...Array.from({ length: 784 }, (_, i) => `pixel${i}`)].join(',') +
        '\n' +
        ['3', ...new Array(784).fill('0')].join(',') +
        '\n',
    );
    const out = join(dir, 'fails');
    await expect(
      localTuneStage(
        {
          model: 'linear',
          trials: 3,
          parallel: 1,
          train: tiny,
          validationFraction: 0.5,
          out,
          seed: 1,
          backend: 'wasm',
        },
        { reporter: collectingReporter(), clock: systemClock },
      ),
    ).rejects.toMatchObject({ code: 'TRAIN_TOO_SMALL', exitCode: 2 });
    expect(await readdir(out)).toEqual(['tune.json']);
    const saved = JSON.parse(await readFile(join(out, 'tune.json'), 'utf8'));
    expect(saved).toMatchObject({ status: 'failed', leaderboard: [] });
  });

  it('a CNN trial trains with its drawn augmentation and decay', async () => {
    const r = await localTuneStage(
      {
        model: 'cnn',
        trials: 1,
        strategy: 'halving',
        maxEpochs: 1,
        train,
        out: join(dir, 'cnn'),
        seed: 3,
        backend: 'wasm',
      },
      { reporter: collectingReporter(), clock: systemClock },
    );
    const t = r.leaderboard[0];
    expect(t.params).toEqual({ ...sampleTrials('cnn', 1, 3)[0], epochs: 1 });
    const m = JSON.parse(await readFile(join(t.runDir, 'manifest.json'), 'utf8'));
    expect(m.hyperparameters).toMatchObject({
      augmentShift: t.params.augmentShift,
      lrDecay: t.params.lrDecay,
      l2: t.params.l2,
      batchSize: t.params.batchSize,
      epochs: 1,
    });
    expect(renderTuneText(r)).toMatch(/augmentShift\s+lrDecay\s+epochs/);
  }, 180_000);

  it('refuses no validation rows and a bad trial count before training', async () => {
    const deps = { reporter: collectingReporter(), clock: systemClock };
    await expect(
      localTuneStage({ model: 'linear', trials: 0, train, test, out: join(dir, 'x'), seed: 1 }, deps),
    ).rejects.toMatchObject({ code: 'TRIALS_INVALID' });
    await expect(
      localTuneStage(
        { model: 'linear', trials: 2, train, test, validationFraction: 0, out: join(dir, 'x'), seed: 1 },
        deps,
      ),
    ).rejects.toMatchObject({ code: 'VALIDATION_FRACTION' });
    await expect(readdir(join(dir, 'x'))).rejects.toThrow();
  });
});
