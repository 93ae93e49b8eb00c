import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localTrainStage, fullRetrainSettings } from '../../../../src/stages/local/train.js';
import { readManifest } from '../../../../src/adapters/run-store.js';
import { newManifest } from '../../../../src/domain/manifest.js';
import { collectingReporter, systemClock } from '../../../../src/runtime/deps.js';
import { digitsSplit, toKaggleCsv } from '../../../helpers/tfjs-fixtures.js';

const deps = () => ({ reporter: collectingReporter(), clock: systemClock });

describe('--full: the final-submission retrain', () => {
  it("trains on every row for the chosen run's best epoch with its settings; records their source", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'digitflow-full-'));
    const { train } = digitsSplit(500, 0, 3);
    const csv = join(dir, 'train.csv');
    await writeFile(csv, toKaggleCsv(train, true));
    const chosen = join(dir, 'chosen');
    const a = await localTrainStage(
      {
        train: csv,
        outDir: chosen,
        model: 'linear',
        epochs: 4,
        learningRate: 0.004,
        l2: 0.002,
        batchSize: 64,
        seed: 5,
        backend: 'wasm',
        validationFraction: 0.2,
      },
      deps(),
    );
    expect(a.trainRows).toBe(400);
    expect(a.bestEpoch).toBeGreaterThanOrEqual(1);

    const final = join(dir, 'final');
    const f = await localTrainStage(
      { train: csv, outDir: final, model: 'linear', seed: 5, backend: 'wasm', full: true, settingsFrom: chosen },
      deps(),
    );
    expect(f.trainRows).toBe(500);
    expect(f.validationRows).toEqual([]);
    expect(f.epochs).toHaveLength(a.bestEpoch!);
    expect(f.stoppedEarly).toBe(false);
    expect(f.outputs).toEqual({ model: 'model' }); // no validation files without validation rows
    const m = await readManifest(final);
    expect(m.split).toMatchObject({ validationFraction: 0, trainRows: 500, validationRows: [] });
    expect(m.hyperparameters).toMatchObject({
      epochs: a.bestEpoch,
      learningRate: 0.004,
      l2: 0.002,
      batchSize: 64,
      validationFraction: 0,
      full: true,
    });
    expect(m.local?.fullRetrain).toEqual({ settingsFrom: chosen, epochs: a.bestEpoch });
    expect(await readdir(final)).not.toContain('validation-probabilities.csv');

    // Explicit values win over the chosen run's.
    const s = await fullRetrainSettings({ model: 'linear', epochs: 9, learningRate: 0.1, settingsFrom: chosen });
    expect(s).toMatchObject({ epochs: 9, batchSize: 64, learningRate: 0.1, l2: 0.002, from: chosen });
    expect(s.lrDecay).toBe(m.hyperparameters?.lrDecay);
    expect(s).toMatchObject({ lrSchedule: 'decay', augmentShift: 0, augmentRotate: 0, augmentZoom: 0 });
    // Without a run: the flags or the model defaults, nothing held out.
    expect(await fullRetrainSettings({ model: 'linear', epochs: 3 })).toEqual({
      epochs: 3,
      batchSize: undefined,
      learningRate: undefined,
      lrDecay: undefined,
      lrSchedule: undefined,
      l2: undefined,
      augmentShift: undefined,
      augmentRotate: undefined,
      augmentZoom: undefined,
    });
  });

  it("repeats the chosen run's schedule and augmentation, also of a run from before they were recorded", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'digitflow-full-hp-'));
    const run = (name: string, hyperparameters: Record<string, unknown>) => {
      const at = join(dir, name);
      return mkdir(at)
        .then(() =>
          writeFile(
            join(at, 'manifest.json'),
            JSON.stringify({
              ...newManifest({
                runId: name,
                command: 'train',
                engine: 'local',
                seed: 1,
                now: new Date(),
                versions: {},
                model: 'cnn',
              }),
              hyperparameters,
            }),
          ),
        )
        .then(() => at);
    };
    // A CNN run of the old defaults: per-epoch decay, shift only (rotation and zoom not recorded).
    const old = await run('old', {
      epochs: 15,
      batchSize: 64,
      learningRate: 0.002,
      lrDecay: 0.5,
      l2: 0,
      augmentShift: 2,
    });
    expect(await fullRetrainSettings({ model: 'cnn', settingsFrom: old })).toMatchObject({
      lrDecay: 0.5,
      lrSchedule: 'decay',
      augmentShift: 2,
      augmentRotate: 0,
      augmentZoom: 0,
    });
    const now = await run('now', {
      epochs: 25,
      batchSize: 64,
      learningRate: 0.002,
      lrDecay: 0,
      lrSchedule: 'cosine',
      l2: 0,
      augmentShift: 2,
      augmentRotate: 10,
      augmentZoom: 0.1,
    });
    expect(await fullRetrainSettings({ model: 'cnn', settingsFrom: now })).toMatchObject({
      lrSchedule: 'cosine',
      augmentRotate: 10,
      augmentZoom: 0.1,
    });
    // explicit flags still win
    expect(
      await fullRetrainSettings({ model: 'cnn', settingsFrom: now, lrSchedule: 'decay', augmentZoom: 0 }),
    ).toMatchObject({ lrSchedule: 'decay', augmentRotate: 10, augmentZoom: 0 });
  });

  it("refuses a validation fraction, another model's run, and a missing run before reading any data", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'digitflow-full-bad-'));
    const missingCsv = join(dir, 'never-read.csv');
    await expect(
      localTrainStage(
        { train: missingCsv, outDir: join(dir, 'a'), model: 'linear', seed: 1, full: true, validationFraction: 0.1 },
        deps(),
      ),
    ).rejects.toMatchObject({
      code: 'FLAG_CONFLICT',
      exitCode: 2,
      message: expect.stringMatching(/--full trains on every row; it cannot hold out --validation-fraction 0\.1/),
    });
    const { train } = digitsSplit(120, 0, 4);
    const csv = join(dir, 'train.csv');
    await writeFile(csv, toKaggleCsv(train, true));
    const lin = join(dir, 'lin');
    await localTrainStage({ train: csv, outDir: lin, model: 'linear', epochs: 1, seed: 1, backend: 'wasm' }, deps());
    await expect(
      localTrainStage(
        { train: missingCsv, outDir: join(dir, 'b'), model: 'cnn', seed: 1, full: true, settingsFrom: lin },
        deps(),
      ),
    ).rejects.toMatchObject({
      code: 'FLAG_CONFLICT',
      hint: 'pass --model linear to retrain that model on every row',
    });
    await expect(
      localTrainStage(
        {
          train: missingCsv,
          outDir: join(dir, 'c'),
          model: 'linear',
          seed: 1,
          full: true,
          settingsFrom: join(dir, 'nope'),
        },
        deps(),
      ),
    ).rejects.toMatchObject({
      exitCode: 2,
    });
  });
});
