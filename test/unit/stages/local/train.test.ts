import { beforeAll, describe, expect, it } from 'vitest';
import { fitLocalModel, type LocalModel } from '../../../../src/stages/local/train.js';
import { LocalModel as LoadedModel } from '../../../../src/adapters/tfjs/model/local-model.js';
import { collectingReporter, systemClock, type StageDeps } from '../../../../src/runtime/deps.js';
import { PIXELS, selectRows } from '../../../../src/domain/dataset.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digitsSplit } from '../../../helpers/tfjs-fixtures.js';

const { train, test } = digitsSplit(1200, 400);
const deps = (): StageDeps & { reporter: ReturnType<typeof collectingReporter> } => ({
  reporter: collectingReporter(),
  clock: systemClock,
});
const opts = { model: 'linear' as const, epochs: 4, seed: 7, backend: 'wasm' as const };
const holdout = selectRows(
  test,
  Array.from({ length: 200 }, (_, i) => i),
);

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
    expect(model.metadata.normalization.kind).toBe('scale');
  });

  it('probability rows sum to 1 and follow input order', async () => {
    for (let r = 0; r < test.rows; r++) {
      let s = 0;
      for (let k = 0; k < 10; k++) s += probs[r * 10 + k];
      expect(Math.abs(s - 1)).toBeLessThan(1e-5);
    }
    const reversed = selectRows(
      test,
      Array.from({ length: test.rows }, (_, i) => test.rows - 1 - i),
    );
    const rp = await model.predictProbabilities(reversed.pixels, reversed.rows);
    for (const r of [0, 17, 399]) {
      expect(Array.from(rp.subarray((test.rows - 1 - r) * 10, (test.rows - r) * 10))).toEqual(
        Array.from(probs.subarray(r * 10, r * 10 + 10)),
      );
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
    expect(again.training!.history.map(({ seconds: _seconds, ...m }) => m)).toEqual(
      model.training!.history.map(({ seconds: _seconds, ...m }) => m),
    );
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
    const small = selectRows(
      train,
      Array.from({ length: 192 }, (_, i) => i),
    );
    const m = await fitLocalModel(
      small,
      undefined,
      { model: 'cnn', epochs: 1, batchSize: 64, seed: 3, backend: 'wasm' },
      deps(),
    );
    expect(m.training!.history[0].loss).toBeGreaterThan(0);
    const p = await m.predictProbabilities(test.pixels, 3);
    expect(p).toHaveLength(30);
    expect(m.metadata.normalization).toEqual({ kind: 'scale', scale: 1 / 255 });
    m.dispose();
  });
});

describe('shift augmentation', () => {
  it('translates an image by the drawn offset and zero-fills the border', async () => {
    const { shiftedCopy } = await import('../../../../src/adapters/tfjs/train/augment.js');
    const src = new Float32Array(2 * 784);
    src[784 + 10 * 28 + 12] = 1; // image 1: one lit pixel at (10, 12)
    src[784 + 0] = 0.5; // and one at (0, 0), which a positive shift keeps, a negative one drops
    const seen = new Set<string>();
    const draws = [0.0, 0.99, 0.5, 0.3, 0.7];
    for (let t = 0; t < 20; t++) {
      let k = t;
      const rng = () => draws[k++ % draws.length];
      const dst = new Float32Array(784).fill(9);
      shiftedCopy(src, 784, dst, 0, [28, 28, 1], 2, rng);
      const lit = [...dst.keys()].filter((i) => dst[i] === 1);
      expect(lit).toHaveLength(1);
      const [y, x] = [Math.floor(lit[0] / 28), lit[0] % 28];
      expect(Math.abs(y - 10)).toBeLessThanOrEqual(2);
      expect(Math.abs(x - 12)).toBeLessThanOrEqual(2);
      expect(dst.filter((v) => v !== 0 && v !== 1 && v !== 0.5)).toHaveLength(0); // no stale values
      const half = [...dst.keys()].filter((i) => dst[i] === 0.5);
      if (y - 10 >= 0 && x - 12 >= 0) expect(half).toEqual([(y - 10) * 28 + (x - 12)]);
      else expect(half).toEqual([]);
      seen.add(`${y - 10},${x - 12}`);
    }
    expect(seen.size).toBeGreaterThan(3);
  });
});

describe('linear fast step', () => {
  it('matches the tfjs autodiff gradient stepper (losses, accuracies, weights) including L2 and LR decay', async () => {
    const { trainLoop } = await import('../../../../src/adapters/tfjs/train/train-loop.js');
    const { MODEL_SPECS } = await import('../../../../src/adapters/tfjs/model/model-specs.js');
    const { computeNormalization, normalizePixels } =
      await import('../../../../src/adapters/tfjs/model/model-inputs.js');
    const { selectBackend } = await import('../../../../src/adapters/tfjs/runtime/backend.js');
    await selectBackend('wasm');
    const slice = selectRows(
      train,
      Array.from({ length: 600 }, (_, i) => i),
    );
    const norm = computeNormalization('standardize', slice.pixels, slice.rows);
    const data = {
      x: normalizePixels(slice.pixels, slice.rows, norm),
      pixels: slice.pixels,
      normalization: norm,
      labels: slice.labels!,
      rows: slice.rows,
    };
    const run = async (stepper: 'softmax-regression' | 'gradient') => {
      const m = await MODEL_SPECS.linear.build(10, 5);
      const r = await trainLoop(
        m,
        data,
        undefined,
        {
          epochs: 3,
          batchSize: 100,
          learningRate: 0.01,
          lrDecay: 1,
          l2: 0.001,
          patience: 0,
          seed: 5,
          inputShape: [784],
          numClasses: 10,
          kind: 'linear',
          stepper,
        },
        deps(),
      );
      const w = m.getWeights().map((t) => Array.from(t.dataSync()));
      m.dispose();
      return { r, w };
    };
    const fast = await run('softmax-regression');
    const ref = await run('gradient');
    fast.r.history.forEach((h, i) => {
      expect(h.loss).toBeCloseTo(ref.r.history[i].loss, 4);
      expect(h.accuracy).toBe(ref.r.history[i].accuracy);
    });
    const maxDiff = Math.max(...fast.w[0].map((v, i) => Math.abs(v - ref.w[0][i])));
    expect(maxDiff).toBeLessThan(1e-3);
  });
});

describe('sparse rows of the linear stepper', () => {
  it("lists each row's non-zero pixels in order, on the 4-pixel-word path and the byte path", async () => {
    const { sparseRows } = await import('../../../../src/adapters/tfjs/train/steppers.js');
    const rows = 5;
    const px = new Uint8Array(rows * 784);
    for (let i = 0; i < px.length; i += 1 + (i % 13)) px[i] = (i * 7) % 256;
    px.fill(0, 784, 2 * 784); // a blank row
    const expected = Array.from({ length: rows }, (_, r) =>
      [...px.subarray(r * 784, (r + 1) * 784)].flatMap((v, j) => (v ? [[j, v]] : [])),
    );
    const unaligned = new Uint8Array(px.length + 1).fill(9);
    unaligned.set(px, 1);
    for (const view of [px, unaligned.subarray(1)]) {
      const s = sparseRows(view, rows, 784);
      const got = Array.from({ length: rows }, (_, r) =>
        Array.from({ length: s.start[r + 1] - s.start[r] }, (_, k) => [s.col[s.start[r] + k], s.val[s.start[r] + k]]),
      );
      expect(got).toEqual(expected);
    }
    expect(expected[1]).toEqual([]);
  });

  it('the word path equals the byte path, on selected rows read in place and on every row', async () => {
    const { sparseRows, sparseRowsBytes } = await import('../../../../src/adapters/tfjs/train/steppers.js');
    const rows = 300;
    const px = new Uint8Array(rows * 784);
    // Digits-like rows (runs of ink) plus every byte value in every position of a word.
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < 784; j++) if (rnd() < (r % 7) / 10) px[r * 784 + j] = 1 + Math.floor(rnd() * 255);
    }
    for (let v = 0; v < 256; v++) px[(v % rows) * 784 + ((v * 5) % 784)] = v;
    px.fill(0, 3 * 784, 4 * 784);
    px.fill(255, 5 * 784, 6 * 784);
    const picked = Uint32Array.from({ length: rows }, (_, i) => i).filter((i) => i % 3 !== 1);
    for (const indices of [undefined, picked, Uint32Array.of(5, 3, 0, rows - 1)]) {
      const n = indices ? indices.length : rows;
      const fast = sparseRows(px, n, 784, indices);
      const ref = sparseRowsBytes(px, n, 784, indices);
      expect(fast.start).toEqual(ref.start);
      expect(fast.col).toEqual(ref.col);
      expect(fast.val).toEqual(ref.val);
      // And the same as copying the rows first.
      const copied = indices ? selectRows({ pixels: px, rows, numClasses: 10 }, indices).pixels : px;
      const old = sparseRowsBytes(copied, n, 784);
      expect(fast.col).toEqual(old.col);
      expect(fast.start).toEqual(old.start);
    }
  });
});

describe('fitLocalModel on selected rows (trainRows)', () => {
  it("trains the same weights reading the linear model's rows in place as on a copy of them", async () => {
    const picked = Uint32Array.from({ length: train.rows }, (_, i) => i).filter((i) => i % 4 !== 2);
    const o = { ...opts, epochs: 2 };
    const inPlace = await fitLocalModel(train, holdout, { ...o, trainRows: picked }, deps());
    const copied = await fitLocalModel(selectRows(train, picked), holdout, o, deps());
    try {
      const [a, b] = [inPlace, copied].map((m) => m.network.getWeights().map((w) => Array.from(w.dataSync())));
      expect(a).toEqual(b);
      expect(inPlace.training!.history).toEqual(
        copied.training!.history.map((h, i) => ({ ...h, seconds: inPlace.training!.history[i].seconds })),
      );
      expect(inPlace.metadata.data.trainRows).toBe(picked.length);
    } finally {
      inPlace.dispose();
      copied.dispose();
    }
  });
});
