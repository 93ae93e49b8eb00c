/**
 * CNN prediction on two threads must give exactly the probabilities of one thread (pieces of the
 * same 512 rows, same kernels), and leave no thread behind. Needs the built worker (npm test
 * builds first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKaggleCsvFile } from '../../../../../src/adapters/kaggle-csv-file.js';
import { selectBackend } from '../../../../../src/adapters/tfjs/runtime/backend.js';
import { LocalModel } from '../../../../../src/adapters/tfjs/model/local-model.js';
import {
  liveCnnPredictWorkers,
  TwoThreadCnnPredictor,
} from '../../../../../src/adapters/tfjs/predict/cnn-predict-pool.js';
import { fitLocalModel } from '../../../../../src/stages/local/train.js';
import { defaultDeps } from '../../../../../src/runtime/deps.js';
import { repoRoot } from '../../../../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'digitflow-cnn-pool-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TwoThreadCnnPredictor', () => {
  it('splits at 512-row pieces and returns exactly the one-thread probabilities', async () => {
    await selectBackend('wasm');
    const train = (await readKaggleCsvFile(join(repoRoot, 'data', 'sample', 'train.csv'))).dataset;
    const trained = await fitLocalModel(
      train,
      undefined,
      { model: 'cnn', epochs: 1, seed: 4, workers: 1 },
      defaultDeps(),
    );
    await trained.save(join(dir, 'model'));
    trained.dispose();
    // 1,300 rows: three 512-row pieces (the last one short), built from the sample images.
    const rows = 1300;
    const pixels = new Uint8Array(rows * 784);
    for (let r = 0; r < rows; r++)
      pixels.set(train.pixels.subarray((r % train.rows) * 784, ((r % train.rows) + 1) * 784), r * 784);

    const one = await LocalModel.load(join(dir, 'model'));
    const expected = await one.predictProbabilities(pixels, rows);
    one.dispose();

    const two = new TwoThreadCnnPredictor(await LocalModel.load(join(dir, 'model')), join(dir, 'model'), 'wasm');
    try {
      expect(await two.warm()).toBe(true);
      expect(liveCnnPredictWorkers()).toBe(1);
      const got = await two.predictProbabilities(pixels, rows);
      expect(got.length).toBe(rows * 10);
      expect(Buffer.from(got.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
      // Fewer rows than two pieces stay on this thread; same answers.
      const small = await two.predictProbabilities(pixels.subarray(0, 300 * 784), 300);
      expect(Array.from(small)).toEqual(Array.from(expected.subarray(0, 3000)));
    } finally {
      two.dispose();
      await two.close();
    }
    expect(liveCnnPredictWorkers()).toBe(0);
  });
});
