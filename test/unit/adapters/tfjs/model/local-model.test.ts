/**
 * The linear model predicts with the normalisation folded into its weights (one matmul on raw
 * pixels). It must give the same probabilities as the plain path: normalise, apply, softmax.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProbabilityModel, LocalModel, ttaViews } from '../../../../../src/adapters/tfjs/model/local-model.js';
import { MODEL_SPECS } from '../../../../../src/adapters/tfjs/model/model-specs.js';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION } from '../../../../../src/adapters/tfjs/model/model-store.js';
import { LinearScorer } from '../../../../../src/adapters/tfjs/predict/linear-scorer.js';
import { fitLocalModel } from '../../../../../src/stages/local/train.js';
import { readKaggleCsvFile } from '../../../../../src/adapters/kaggle-csv-file.js';
import { normalizePixels } from '../../../../../src/adapters/tfjs/model/model-inputs.js';
import { selectBackend } from '../../../../../src/adapters/tfjs/runtime/backend.js';
import { defaultDeps } from '../../../../../src/runtime/deps.js';
import { repoRoot } from '../../../../helpers/cli.js';

describe('LocalModel.predictProbabilities (linear)', () => {
  it('folded weights give the probabilities of normalise → apply → softmax', async () => {
    await selectBackend('auto');
    const train = (await readKaggleCsvFile(join(repoRoot, 'data', 'sample', 'train.csv'))).dataset;
    const test = (await readKaggleCsvFile(join(repoRoot, 'data', 'sample', 'test.csv'))).dataset;
    const model = await fitLocalModel(train, undefined, { model: 'linear', epochs: 2, seed: 3 }, defaultDeps());
    try {
      const fast = await model.predictProbabilities(test.pixels, test.rows);
      const x = normalizePixels(test.pixels, test.rows, model.metadata.normalization);
      const plain = tf.tidy(() =>
        tf.softmax(model.network.apply(tf.tensor2d(x, [test.rows, 784])) as tf.Tensor2D).dataSync(),
      );
      expect(fast.length).toBe(test.rows * 10);
      let maxDiff = 0;
      for (let i = 0; i < fast.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fast[i] - plain[i]));
      expect(maxDiff).toBeLessThan(1e-5);
      // And the model really learned something (the comparison is not between two constant outputs).
      expect(new Set(Array.from(fast.subarray(0, 50)).map((v) => v.toFixed(3))).size).toBeGreaterThan(10);
    } finally {
      model.dispose();
    }
  });
});

describe('loadProbabilityModel (prediction straight from the files)', () => {
  it('a saved linear model loads as the tfjs-core scorer and predicts what the layers model predicts', async () => {
    await selectBackend('auto');
    const train = (await readKaggleCsvFile(join(repoRoot, 'data', 'sample', 'train.csv'))).dataset;
    const test = (await readKaggleCsvFile(join(repoRoot, 'data', 'sample', 'test.csv'))).dataset;
    const dir = mkdtempSync(join(tmpdir(), 'digitflow-scorer-'));
    const model = await fitLocalModel(train, undefined, { model: 'linear', epochs: 2, seed: 5 }, defaultDeps());
    try {
      await model.save(dir);
      const scorer = await loadProbabilityModel(dir);
      expect(scorer).toBeInstanceOf(LinearScorer);
      const loaded = await LocalModel.load(dir);
      const fromFiles = await scorer.predictProbabilities(test.pixels, test.rows);
      const x = normalizePixels(test.pixels, test.rows, loaded.metadata.normalization);
      const plain = tf.tidy(() =>
        tf.softmax(loaded.network.apply(tf.tensor2d(x, [test.rows, 784])) as tf.Tensor2D).dataSync(),
      );
      let maxDiff = 0;
      for (let i = 0; i < plain.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fromFiles[i] - plain[i]));
      expect(fromFiles.length).toBe(test.rows * 10);
      expect(maxDiff).toBeLessThan(1e-5);
      scorer.dispose();
      loaded.dispose();

      // A truncated weights file is a clear MODEL_INVALID, not a garbage prediction.
      const weights = readFileSync(join(dir, 'weights.bin'));
      writeFileSync(join(dir, 'weights.bin'), weights.subarray(0, weights.length - 40));
      const err = await loadProbabilityModel(dir).catch((e) => e);
      expect(err.code).toBe('MODEL_INVALID');
      expect(err.message).toMatch(/weight files hold \d+ bytes, model.json describes \d+/);
    } finally {
      model.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a linear metadata file over weights of the wrong shape', async () => {
    await selectBackend('auto');
    const train = (await readKaggleCsvFile(join(repoRoot, 'data', 'sample', 'train.csv'))).dataset;
    const dir = mkdtempSync(join(tmpdir(), 'digitflow-scorer-'));
    const model = await fitLocalModel(train, undefined, { model: 'linear', epochs: 1, seed: 5 }, defaultDeps());
    try {
      await model.save(dir);
      const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8'));
      writeFileSync(
        join(dir, 'metadata.json'),
        JSON.stringify({ ...meta, numClasses: 12, classes: Array.from({ length: 12 }, (_, i) => String(i)) }),
      );
      const err = await loadProbabilityModel(dir).catch((e) => e);
      expect(err.code).toBe('MODEL_INVALID');
      expect(err.message).toContain('does not hold a linear model of 784 inputs and 12 classes');
      // Classes that do not match numClasses are refused before the weights are read.
      writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ ...meta, numClasses: 12 }));
      expect((await loadProbabilityModel(dir).catch((e) => e)).message).toContain('classes must list 12 class names');
    } finally {
      model.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('test-time augmentation (ttaShift)', () => {
  it('ttaViews lists the image itself first, then every other shift row by row', () => {
    expect(ttaViews(0)).toEqual([[0, 0]]);
    const nine = ttaViews(1);
    expect(nine).toHaveLength(9);
    expect(nine[0]).toEqual([0, 0]);
    expect(new Set(nine.map((v) => v.join(','))).size).toBe(9);
    expect(ttaViews(2)).toHaveLength(25);
  });

  it('a CNN with ttaShift 1 predicts the mean softmax over the 9 shifted images (zero-filled edges)', async () => {
    await selectBackend('wasm');
    const test = (await readKaggleCsvFile(join(repoRoot, 'data', 'sample', 'test.csv'))).dataset;
    const n = 6;
    const pixels = test.pixels.subarray(0, n * 784);
    const network = await MODEL_SPECS.cnn.build(10, 4);
    const meta = {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      model: 'cnn' as const,
      numClasses: 10,
      classes: Array.from({ length: 10 }, (_, k) => String(k)),
      inputShape: [28, 28, 1],
      output: 'logits' as const,
      normalization: { kind: 'scale' as const, scale: 255 },
      backend: 'wasm',
      seed: 4,
      hyperparameters: {},
      versions: {},
      createdAt: '2026-11-28T00:00:00.000Z',
    };
    const plain = new LocalModel(network, meta);
    const tta = new LocalModel(network, { ...meta, ttaShift: 1 });
    const shifted = (dy: number, dx: number) => {
      const o = new Uint8Array(pixels.length);
      for (let r = 0; r < n; r++)
        for (let y = 0; y < 28; y++)
          for (let x = 0; x < 28; x++) {
            const sy = y - dy;
            const sx = x - dx;
            if (sy >= 0 && sy < 28 && sx >= 0 && sx < 28) o[r * 784 + y * 28 + x] = pixels[r * 784 + sy * 28 + sx];
          }
      return o;
    };
    const mean = new Float64Array(n * 10);
    for (const [dy, dx] of ttaViews(1)) {
      const p = await plain.predictProbabilities(shifted(dy, dx), n);
      for (let i = 0; i < mean.length; i++) mean[i] += p[i] / 9;
    }
    const got = await tta.predictProbabilities(pixels, n);
    const alone = await plain.predictProbabilities(pixels, n);
    let diff = 0;
    let moved = 0;
    for (let i = 0; i < mean.length; i++) {
      diff = Math.max(diff, Math.abs(got[i] - mean[i]));
      moved = Math.max(moved, Math.abs(got[i] - alone[i]));
    }
    expect(diff).toBeLessThan(1e-5);
    expect(moved).toBeGreaterThan(1e-4); // the views do change the prediction
    for (let r = 0; r < n; r++) expect(got.subarray(r * 10, r * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    network.dispose();
  });

  it('a saved model asking for a test-time shift out of range, or on the linear model, is MODEL_INVALID', async () => {
    await selectBackend('auto');
    const train = (await readKaggleCsvFile(join(repoRoot, 'data', 'sample', 'train.csv'))).dataset;
    const dir = mkdtempSync(join(tmpdir(), 'digitflow-tta-'));
    const model = await fitLocalModel(train, undefined, { model: 'linear', epochs: 1, seed: 5 }, defaultDeps());
    try {
      await model.save(dir);
      const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8'));
      writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ ...meta, ttaShift: 1 }));
      const linear = await loadProbabilityModel(dir).catch((e) => e);
      expect(linear.code).toBe('MODEL_INVALID');
      expect(linear.message).toContain('ttaShift applies to image models only');
      writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ ...meta, ttaShift: 9 }));
      expect((await loadProbabilityModel(dir).catch((e) => e)).message).toContain(
        'ttaShift must be a whole number 0-4',
      );
    } finally {
      model.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
