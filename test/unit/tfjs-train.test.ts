import { beforeAll, describe, expect, it } from 'vitest';
import { fitLocalModel, type LocalModel } from '../../src/stages/train-local.js';
import { LocalModel as LoadedModel } from '../../src/adapters/tfjs/local-model.js';
import { collectingReporter, systemClock, type StageDeps } from '../../src/stages/deps.js';
import { PIXELS, selectRows } from '../../src/domain/dataset.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digitsSplit } from './tfjs-fixtures.js';

const { train, test } = digitsSplit(1200, 400);
const deps = (): StageDeps & { reporter: ReturnType<typeof collectingReporter> } => ({ reporter: collectingReporter(), clock: systemClock });
const opts = { model: 'linear' as const, epochs: 4, seed: 7, backend: 'wasm' as const };
const holdout = selectRows(test, Array.from({ length: 200 }, (_, i) => i));

function accuracy(probs: Float32Array, labels: Uint8Array): number {
  let hit = 0;
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (probs[r * 10 + k] > probs[r * 10 + best]) best = k;
    if (best === labels[r]) hit++;
  }
  return hit / labels.length;
}

describe('local linear model', () => {
  let model: LocalModel;
  let probs: Float32Array;
  beforeAll(async () => {
    model = await fitLocalModel(train, holdout, opts, deps());
    probs = await model.predictProbabilities(test.pixels, test.rows);
  });

  it('converges on a small slice: loss falls, accuracy far above chance', () => {
    const h = model.training!.history;
    expect(h).toHaveLength(4);
    expect(h[3].loss).toBeLessThan(h[0].loss * 0.7);
    expect(h.every((e) => e.valAccuracy !== undefined)).toBe(true);
    expect(accuracy(probs, test.labels!)).toBeGreaterThan(0.8);
    expect(model.metadata.backend).toBe('wasm');
    expect(model.metadata.normalization.kind).toBe('standardize');
  });

  it('probability rows sum to 1 and follow input order', async () => {
    for (let r = 0; r < test.rows; r++) {
      let s = 0;
      for (let k = 0; k < 10; k++) s += probs[r * 10 + k];
      expect(Math.abs(s - 1)).toBeLessThan(1e-5);
    }
    const reversed = selectRows(test, Array.from({ length: test.rows }, (_, i) => test.rows - 1 - i));
    const rp = await model.predictProbabilities(reversed.pixels, reversed.rows);
    for (const r of [0, 17, 399]) {
      expect(Array.from(rp.subarray((test.rows - 1 - r) * 10, (test.rows - r) * 10))).toEqual(Array.from(probs.subarray(r * 10, r * 10 + 10)));
    }
    // One row alone gives the same numbers as within a batch.
    const one = await model.predictProbabilities(test.pixels.subarray(5 * PIXELS, 6 * PIXELS), 1);
    expect(Array.from(one)).toEqual(Array.from(probs.subarray(50, 60)));
  });

  it('save/load round trip gives identical predictions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'digitflow-model-'));
    await model.save(dir);
    await expect(model.save(dir)).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    const loaded = await LoadedModel.load(dir);
    const again = await loaded.predictProbabilities(test.pixels, test.rows);
    expect(Array.from(again)).toEqual(Array.from(probs));
    expect(loaded.metadata.seed).toBe(7);
    expect(loaded.metadata.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    loaded.dispose();
  });

  it('same seed on the same backend gives the same metrics and weights; another seed does not', async () => {
    const again = await fitLocalModel(train, holdout, opts, deps());
    expect(again.training!.history.map(({ seconds, ...m }) => m)).toEqual(model.training!.history.map(({ seconds, ...m }) => m));
    expect(Array.from(await again.predictProbabilities(test.pixels, 50))).toEqual(Array.from(probs.subarray(0, 500)));
    again.dispose();
    const other = await fitLocalModel(train, holdout, { ...opts, seed: 8, epochs: 1 }, deps());
    expect(other.training!.history[0].loss).not.toBe(model.training!.history[0].loss);
    other.dispose();
  });

  it('stops on an aborted signal and keeps the best weights so far', async () => {
    const ac = new AbortController();
    const d = deps();
    const emit = d.reporter.emit;
    d.reporter.emit = (e) => {
      emit(e);
      if (e.kind === 'epoch' && e.epoch === 2) ac.abort();
    };
    const m = await fitLocalModel(train, holdout, { ...opts, epochs: 20 }, { ...d, signal: ac.signal });
    const t = m.training!;
    expect(t.interrupted).toBe(true);
    expect(t.history).toHaveLength(2);
    expect([1, 2]).toContain(t.bestEpoch);
    const best = t.history[t.bestEpoch! - 1];
    const p = await m.predictProbabilities(holdout.pixels, holdout.rows);
    expect(accuracy(p, holdout.labels!)).toBeCloseTo(best.valAccuracy!, 6);
    m.dispose();
  });

  it('emits epoch events with examples/s and ETA', () => {
    // The first fit's reporter is gone; fit one epoch and look at the events.
    return (async () => {
      const d = deps();
      const m = await fitLocalModel(train, undefined, { ...opts, epochs: 2 }, d);
      const epochs = d.reporter.events.filter((e) => e.kind === 'epoch');
      expect(epochs).toHaveLength(2);
      expect(epochs[0]).toMatchObject({ epoch: 1, epochs: 2 });
      expect((epochs[0] as { examplesPerSecond: number }).examplesPerSecond).toBeGreaterThan(0);
      expect(d.reporter.events.some((e) => e.kind === 'info' && e.message.startsWith('tfjs backend: wasm'))).toBe(true);
      expect(m.training!.bestEpoch).toBeUndefined();
      m.dispose();
    })();
  });
});

describe('local CNN', () => {
  it('trains on wasm (needs the registered Conv2DBackpropFilter) and predicts', async () => {
    const small = selectRows(train, Array.from({ length: 192 }, (_, i) => i));
    const m = await fitLocalModel(small, undefined, { model: 'cnn', epochs: 1, batchSize: 64, seed: 3, backend: 'wasm' }, deps());
    expect(m.training!.history[0].loss).toBeGreaterThan(0);
    const p = await m.predictProbabilities(test.pixels, 3);
    expect(p).toHaveLength(30);
    expect(m.metadata.normalization).toEqual({ kind: 'scale', scale: 1 / 255 });
    m.dispose();
  });
});
