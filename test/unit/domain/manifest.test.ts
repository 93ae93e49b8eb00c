import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest } from '../../../src/adapters/run-store.js';
import { trainingStopOf } from '../../../src/domain/training-stop.js';
import { historyOf } from '../../../src/report/collect.js';

/** A manifest as digitflow wrote it before the typed sections: everything engine-specific under `extra`. */
function legacyManifest(extra: Record<string, unknown>) {
  const at = '2026-11-20T10:00:00.000Z';
  return {
    manifestVersion: 1,
    runId: 'old',
    command: 'train',
    createdAt: at,
    updatedAt: at,
    engine: 'local',
    model: 'linear',
    seed: 7,
    inputs: [],
    versions: {},
    timings: {},
    resources: [],
    outputs: {},
    hyperparameters: { epochs: 15 },
    extra,
  };
}

async function withRun(manifest: object, fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'digitflow-manifest-'));
  try {
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const epochs = [
  { epoch: 1, loss: 1.2, accuracy: 0.7, valLoss: 1.0, valAccuracy: 0.75, seconds: 1 },
  { epoch: 2, loss: 0.6, accuracy: 0.85, valLoss: 0.7, valAccuracy: 0.83, seconds: 1 },
];

describe('readManifest reads run folders written by earlier versions', () => {
  it('moves extra.local, extra.fullRetrain, extra.tune, extra.blend and extra.sagemaker to typed fields', async () => {
    const old = legacyManifest({
      local: { epochs, bestEpoch: 2, stoppedEarly: true, interrupted: false, examplesPerSecond: 900 },
      fullRetrain: { settingsFrom: 'runs/a', epochs: 2 },
      tune: { tuneId: 't1', trial: 3, rung: 0, params: { learningRate: 0.01, l2: 0, batchSize: 64, epochs: 2 } },
      blend: { method: 'mean', weights: [0.5, 0.5], weightsFrom: 'equal', members: [] },
      sagemaker: { modelDataUrl: 's3://b/model.tar.gz' },
      note: 'kept',
    });
    await withRun(old, async (dir) => {
      const m = await readManifest(dir);
      expect(m.local).toEqual({
        epochs,
        bestEpoch: 2,
        stoppedEarly: true,
        interrupted: false,
        examplesPerSecond: 900,
        fullRetrain: { settingsFrom: 'runs/a', epochs: 2 },
      });
      expect(m.tune).toMatchObject({ tuneId: 't1', trial: 3, rung: 0 });
      expect(m.blend).toMatchObject({ method: 'mean', weightsFrom: 'equal' });
      expect(m.sagemaker).toEqual({ modelDataUrl: 's3://b/model.tar.gz' });
      // Keys no version gave a typed home stay where they were.
      expect((m as unknown as { extra: unknown }).extra).toEqual({ note: 'kept' });
      expect(trainingStopOf(m)).toEqual({
        epochsRun: 2,
        maxEpochs: 15,
        epochKept: 2,
        stoppedEarly: true,
        interrupted: false,
      });
      expect(historyOf(m)).toEqual(epochs);
    });
  });

  it('drops recorded epochs without an epoch number and an extra left empty', async () => {
    await withRun(legacyManifest({ local: { epochs: [{ loss: 1 }, null, epochs[0]] } }), async (dir) => {
      const m = await readManifest(dir);
      expect(m.local?.epochs).toEqual([epochs[0]]);
      expect('extra' in m).toBe(false);
    });
  });

  it('reads the typed fields as written today, and a manifest with no history as having none', async () => {
    const { extra: _, ...today } = legacyManifest({});
    await withRun({ ...today, local: { epochs, bestEpoch: 1 } }, async (dir) => {
      const m = await readManifest(dir);
      expect(m.local?.bestEpoch).toBe(1);
      expect(trainingStopOf(m)?.epochKept).toBe(1);
    });
    await withRun(today, async (dir) => {
      const m = await readManifest(dir);
      expect(m.local).toBeUndefined();
      expect(trainingStopOf(m)).toBeUndefined();
      expect(historyOf(m)).toBeUndefined();
    });
  });
});
