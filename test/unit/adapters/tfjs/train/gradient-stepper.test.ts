import { describe, expect, it } from 'vitest';
import { fitLocalModel } from '../../../../../src/stages/local/train.js';
import { collectingReporter, systemClock, type StageDeps } from '../../../../../src/runtime/deps.js';
import { selectRows } from '../../../../../src/domain/dataset.js';
import { selectBackend } from '../../../../../src/adapters/tfjs/runtime/backend.js';
import { MODEL_SPECS } from '../../../../../src/adapters/tfjs/model/model-specs.js';
import { computeNormalization, normalizePixels } from '../../../../../src/adapters/tfjs/model/model-inputs.js';
import { gradProgram } from '../../../../../src/adapters/tfjs/train/grad-program.js';
import { trainingGradProgram } from '../../../../../src/adapters/tfjs/train/direct-program.js';
import { adam } from '../../../../../src/adapters/tfjs/train/optimizer.js';
import {
  gradientStepper,
  cnnWorkerScript,
  liveCnnWorkers,
  sliceBounds,
} from '../../../../../src/adapters/tfjs/train/gradient-stepper.js';
import { deriveSeed } from '../../../../../src/domain/seeds.js';
import { digitsSplit } from '../../../../helpers/tfjs-fixtures.js';

// The worker script runs from dist/ (worker threads cannot load .ts): `npm test` builds first.
const { train } = digitsSplit(400, 10, 11);
const deps = (): StageDeps => ({ reporter: collectingReporter(), clock: systemClock });
const shape = [28, 28, 1];

describe('CNN data-parallel gradients (worker threads)', () => {
  it('finds the built worker script', () => {
    expect(cnnWorkerScript()).toBeDefined();
  });

  it('slices a batch into fixed contiguous parts', () => {
    expect(sliceBounds(64, 2)).toEqual([0, 32, 64]);
    expect(sliceBounds(5, 2)).toEqual([0, 2, 5]);
    expect(sliceBounds(1, 2)).toEqual([0, 0, 1]);
  });

  it('with dropout, 2 threads draw the masks one thread draws (each slice at its offset in the batch)', async () => {
    await selectBackend('wasm');
    const n = 11;
    const rows = selectRows(
      train,
      Array.from({ length: n }, (_, i) => i),
    );
    const x = normalizePixels(rows.pixels, n, computeNormalization('scale', rows.pixels, n));
    const y = Int32Array.from(rows.labels!);
    const seed = 8;
    const opts = { kind: 'cnn' as const, inputShape: shape, numClasses: 10, l2: 0, seed, batchSize: 16, dropout: 0.5 };
    const model = await MODEL_SPECS.cnn.build(10, seed, 0.5);
    const one = gradProgram(model, { ...opts, dropoutSeed: deriveSeed(seed, 'dropout') });
    const par = (await gradientStepper(model, opts, 2, 'wasm'))!;
    try {
      const rel = (a: Float32Array, b: Float32Array) => {
        let scale = 0;
        let diff = 0;
        for (let k = 0; k < a.length; k++) {
          scale = Math.max(scale, Math.abs(a[k]));
          diff = Math.max(diff, Math.abs(a[k] - b[k]));
        }
        return diff / scale;
      };
      const ref = new Float32Array(one.layout.total);
      const r1 = one.gradients(x, y, n, ref, { step: 3, offset: 0 });
      const r2 = await par.gradients(x, y, n, 3);
      expect(r2.hits).toBe(r1.hits);
      expect(rel(ref, r2.grad)).toBeLessThan(1e-4);
      const plain = new Float32Array(ref.length);
      one.gradients(x, y, n, plain);
      expect(rel(plain, r2.grad)).toBeGreaterThan(0.05); // the masks were applied
    } finally {
      await par.dispose();
      model.dispose();
    }
  });

  it('2 threads give the same loss, hits and gradients as 1 on a small batch, including L2', async () => {
    await selectBackend('wasm');
    const n = 13; // odd: unequal slices must be weighted by their sizes
    const rows = selectRows(
      train,
      Array.from({ length: n }, (_, i) => i),
    );
    const x = normalizePixels(rows.pixels, n, computeNormalization('scale', rows.pixels, n));
    const y = Int32Array.from(rows.labels!);
    const opts = { kind: 'cnn' as const, inputShape: shape, numClasses: 10, l2: 0.01, seed: 4, batchSize: 16 };
    const model = await MODEL_SPECS.cnn.build(10, 4);
    const one = gradProgram(model, opts);
    const ref = new Float32Array(one.layout.total);
    const r1 = one.gradients(x, y, n, ref);
    const par = (await gradientStepper(model, opts, 2, 'wasm'))!;
    expect(liveCnnWorkers()).toBe(1);
    try {
      const r2 = await par.gradients(x, y, n);
      expect(r2.hits).toBe(r1.hits);
      // The stepper runs the direct program (float64 loss sums), the reference is autodiff (float32).
      expect(Math.abs(r2.loss - r1.loss) / r1.loss).toBeLessThan(5e-5);
      let scale = 0;
      let diff = 0;
      for (let k = 0; k < ref.length; k++) {
        scale = Math.max(scale, Math.abs(ref[k]));
        diff = Math.max(diff, Math.abs(ref[k] - r2.grad[k]));
      }
      expect(scale).toBeGreaterThan(1e-3); // the gradients are not trivially zero
      expect(diff / scale).toBeLessThan(1e-4);
      // A step moves the worker's weights too: the next gradients still match one thread's.
      await par.step(x, y, n, 0.01);
      par.sync(); // the model's variables follow the stepper's weights when synced
      const after = new Float32Array(ref.length);
      one.gradients(x, y, n, after);
      const r3 = await par.gradients(x, y, n);
      let d3 = 0;
      for (let k = 0; k < ref.length; k++) d3 = Math.max(d3, Math.abs(after[k] - r3.grad[k]));
      expect(d3 / scale).toBeLessThan(1e-4);
      let moved = 0;
      for (let k = 0; k < ref.length; k++) moved = Math.max(moved, Math.abs(after[k] - ref[k]));
      expect(moved).toBeGreaterThan(1e-6); // the step did change the weights
    } finally {
      await par.dispose();
      model.dispose();
    }
    expect(liveCnnWorkers()).toBe(0);
  });

  it('3 threads split each Adam update by weight range: exactly the weights of one whole Adam pass', async () => {
    await selectBackend('wasm');
    const n = 14;
    const rows = selectRows(
      train,
      Array.from({ length: n }, (_, i) => 20 + i),
    );
    const x = normalizePixels(rows.pixels, n, computeNormalization('scale', rows.pixels, n));
    const y = Int32Array.from(rows.labels!);
    const opts = { kind: 'cnn' as const, inputShape: shape, numClasses: 10, l2: 0.001, seed: 6, batchSize: 16 };
    const model = await MODEL_SPECS.cnn.build(10, 6);
    // The reference: the same program on each slice in this thread, then one Adam pass over all weights.
    const refModel = await MODEL_SPECS.cnn.build(10, 6);
    const ref = trainingGradProgram(refModel, opts);
    const P = ref.layout.total;
    const w = new Float32Array(P);
    ref.getWeights(w);
    const refAdam = adam(P);
    const b = sliceBounds(n, 3);
    const sliceGrads = [0, 1, 2].map(() => new Float32Array(P));
    const par = (await gradientStepper(model, opts, 3, 'wasm'))!;
    try {
      for (const lr of [0.01, 0.005, 0.02]) {
        await par.step(x, y, n, lr);
        ref.setWeights(w);
        for (let i = 0; i < 3; i++) {
          const xs = x.subarray(b[i] * 784, b[i + 1] * 784);
          ref.gradients(xs, y.subarray(b[i], b[i + 1]), b[i + 1] - b[i], sliceGrads[i]);
        }
        const parts = [0, 1, 2].map((i) => ({ grad: sliceGrads[i], weight: (b[i + 1] - b[i]) / n }));
        refAdam.applyGradients(w, parts, lr);
      }
      par.sync();
      const got = new Float32Array(P);
      model.trainableWeights.forEach((v, i) => got.set(v.read().dataSync() as Float32Array, ref.layout.offsets[i]));
      let differ = 0;
      let moved = 0;
      const init = new Float32Array(P);
      trainingGradProgram(await MODEL_SPECS.cnn.build(10, 6), opts).getWeights(init);
      for (let k = 0; k < P; k++) {
        if (!Object.is(got[k], w[k])) differ++;
        if (got[k] !== init[k]) moved++;
      }
      expect(differ).toBe(0);
      expect(moved).toBeGreaterThan(P * 0.9); // every thread's range did move
    } finally {
      await par.dispose();
      model.dispose();
      refModel.dispose();
    }
    expect(liveCnnWorkers()).toBe(0);
  });

  it('a worker that fails to start rejects with its reason and leaves no thread behind', async () => {
    await selectBackend('wasm');
    const model = await MODEL_SPECS.cnn.build(10, 1);
    // tfjs-node is not installed here, so a worker asked to load it fails during start-up.
    await expect(
      gradientStepper(
        model,
        { kind: 'cnn', inputShape: shape, numClasses: 10, l2: 0, seed: 1, batchSize: 8 },
        2,
        'node',
      ),
    ).rejects.toThrow(/CNN gradient worker failed/);
    expect(liveCnnWorkers()).toBe(0);
    model.dispose();
  });

  it('training with 2 workers is deterministic, recorded, and terminates its workers (also on abort)', async () => {
    const small = selectRows(
      train,
      Array.from({ length: 160 }, (_, i) => i),
    );
    const val = selectRows(
      train,
      Array.from({ length: 64 }, (_, i) => 200 + i),
    );
    const o = { model: 'cnn' as const, epochs: 2, batchSize: 32, seed: 9, backend: 'wasm' as const, workers: 2 };
    const a = await fitLocalModel(small, val, o, deps());
    const b = await fitLocalModel(small, val, o, deps());
    expect(liveCnnWorkers()).toBe(0);
    const strip = (h: typeof a.training) => h!.history.map(({ seconds: _seconds, ...m }) => m);
    expect(strip(b.training)).toEqual(strip(a.training));
    expect(a.metadata.hyperparameters.workers).toBe(2);
    expect(a.training!.history[1].loss).toBeLessThan(a.training!.history[0].loss);
    const single = await fitLocalModel(small, val, { ...o, workers: 1 }, deps());
    expect(single.metadata.hyperparameters.workers).toBe(1);
    // Same maths up to float rounding: the first epoch's loss agrees closely.
    expect(single.training!.history[0].loss).toBeCloseTo(a.training!.history[0].loss, 2);
    [a, b, single].forEach((m) => m.dispose());

    const ac = new AbortController();
    const d = deps();
    const emit = d.reporter.emit;
    d.reporter.emit = (e) => {
      emit(e);
      if (e.kind === 'epoch' && e.epoch === 1) ac.abort();
    };
    const m = await fitLocalModel(small, val, { ...o, epochs: 10 }, { ...d, signal: ac.signal });
    expect(m.training!.interrupted).toBe(true);
    expect(m.training!.history).toHaveLength(1);
    expect(m.training!.bestEpoch).toBe(1);
    expect(liveCnnWorkers()).toBe(0);
    m.dispose();
  });
});
