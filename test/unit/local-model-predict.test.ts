/**
 * The linear model predicts with the normalisation folded into its weights (one matmul on raw
 * pixels). It must give the same probabilities as the plain path: normalise, apply, softmax.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { fitLocalModel } from '../../src/stages/train-local.js';
import { readKaggleCsvFile } from '../../src/adapters/kaggle-csv-file.js';
import { normalizePixels } from '../../src/adapters/tfjs/models.js';
import { selectBackend } from '../../src/adapters/tfjs/backend.js';
import { defaultDeps } from '../../src/stages/deps.js';
import { repoRoot } from '../helpers/cli.js';

describe('LocalModel.predictProbabilities (linear)', () => {
  it('folded weights give the probabilities of normalise → apply → softmax', async () => {
    await selectBackend('auto');
    const train = (await readKaggleCsvFile(join(repoRoot, 'data', 'sample', 'train.csv'))).dataset;
    const test = (await readKaggleCsvFile(join(repoRoot, 'data', 'sample', 'test.csv'))).dataset;
    const model = await fitLocalModel(train, undefined, { model: 'linear', epochs: 2, seed: 3 }, defaultDeps());
    try {
      const fast = await model.predictProbabilities(test.pixels, test.rows);
      const x = normalizePixels(test.pixels, test.rows, model.metadata.normalization);
      const plain = tf.tidy(() => tf.softmax(model.network.apply(tf.tensor2d(x, [test.rows, 784])) as tf.Tensor2D).dataSync());
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
