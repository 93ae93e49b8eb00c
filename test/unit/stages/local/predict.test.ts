import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localTrainStage } from '../../../../src/stages/local/train.js';
import { localPredictStage } from '../../../../src/stages/local/predict.js';
import { readManifest } from '../../../../src/adapters/run-store.js';
import { stratifiedSplit } from '../../../../src/domain/split.js';
import { collectingReporter, systemClock } from '../../../../src/runtime/deps.js';
import { formatProbability } from '../../../../src/adapters/tfjs/predict/probability-csv.js';
import { digitsSplit, toKaggleCsv } from '../../../helpers/tfjs-fixtures.js';

const deps = () => ({ reporter: collectingReporter(), clock: systemClock });

describe('formatProbability', () => {
  it('keeps 6 significant digits in the shortest form', () => {
    expect(formatProbability(0)).toBe('0');
    expect(formatProbability(1)).toBe('1');
    expect(formatProbability(0.5)).toBe('0.5');
    expect(formatProbability(0.123456789)).toBe('0.123457');
    expect(formatProbability(1.5e-9)).toBe('1.5e-9');
    expect(formatProbability(0.99999999)).toBe('1');
    for (const p of [0.3, 2.2e-7, 0.0001234567, 0.999])
      expect(Math.abs(Number(formatProbability(p)) - p) / p).toBeLessThan(1e-5);
  });
});

describe('localTrainStage + localPredictStage', () => {
  it('trains from a Kaggle CSV, records the split and writes probabilities in input order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'digitflow-stage-'));
    const { train, test } = digitsSplit(600, 50, 5);
    await writeFile(join(dir, 'train.csv'), toKaggleCsv(train, true));
    await writeFile(join(dir, 'test.csv'), toKaggleCsv(test, false));
    const runDir = join(dir, 'run');
    const out = await localTrainStage(
      {
        train: join(dir, 'train.csv'),
        outDir: runDir,
        model: 'linear',
        epochs: 3,
        seed: 11,
        backend: 'wasm',
        validationFraction: 0.2,
      },
      deps(),
    );

    const split = stratifiedSplit(train.labels!, 10, { seed: 11, secondFraction: 0.2 });
    expect(out.validationRows).toEqual(Array.from(split.second));
    expect(out.epochs).toHaveLength(3);
    expect(out.backend).toBe('wasm');
    const m = await readManifest(runDir);
    expect(m).toMatchObject({ engine: 'local', model: 'linear', backend: 'wasm', seed: 11 });
    expect(m.split).toMatchObject({
      seed: 11,
      validationFraction: 0.2,
      trainRows: 480,
      validationRows: out.validationRows,
    });
    expect(m.inputs[0]).toMatchObject({ role: 'train', rows: 600 });
    expect(m.inputs[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.outputs).toMatchObject({
      model: 'model',
      validationProbabilities: 'validation-probabilities.csv',
      validationLabels: 'validation-labels.csv',
    });
    expect(m.hyperparameters).toMatchObject({ epochs: 3, batchSize: 128, validationFraction: 0.2 });

    const labels = (await readFile(join(runDir, 'validation-labels.csv'), 'utf8')).trim().split('\n');
    expect(labels[0]).toBe('ImageId,Label');
    expect(labels).toHaveLength(121);
    expect(labels[1]).toBe(`1,${train.labels![split.second[0]]}`);
    const vp = (await readFile(join(runDir, 'validation-probabilities.csv'), 'utf8')).trim().split('\n');
    expect(vp).toHaveLength(121);

    // Refuses to overwrite without force.
    await expect(
      localTrainStage(
        { train: join(dir, 'train.csv'), outDir: runDir, model: 'linear', epochs: 1, seed: 11, backend: 'wasm' },
        deps(),
      ),
    ).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });

    const pred = await localPredictStage({ runDir, test: join(dir, 'test.csv'), chunkRows: 16 }, deps());
    expect(pred.rows).toBe(50);
    const lines = (await readFile(pred.output, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('ImageId,0,1,2,3,4,5,6,7,8,9');
    expect(lines).toHaveLength(51);
    lines.slice(1).forEach((line, i) => {
      const cells = line.split(',').map(Number);
      expect(cells[0]).toBe(i + 1);
      expect(Math.abs(cells.slice(1).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-4);
    });
    // Chunking does not change the numbers.
    const whole = await localPredictStage(
      { runDir, test: join(dir, 'test.csv'), output: join(dir, 'p2.csv'), recordInManifest: false },
      deps(),
    );
    expect(await readFile(whole.output, 'utf8')).toBe(await readFile(pred.output, 'utf8'));
    const m2 = await readManifest(runDir);
    expect(m2.outputs.probabilities).toBe('probabilities.csv');
    expect(m2.inputs.find((i) => i.role === 'test')).toMatchObject({ rows: 50 });
  });

  it('a bad test file leaves no output behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'digitflow-stage-'));
    const { train } = digitsSplit(100, 0, 5);
    await writeFile(join(dir, 'train.csv'), toKaggleCsv(train, true));
    const runDir = join(dir, 'run');
    await localTrainStage(
      {
        train: join(dir, 'train.csv'),
        outDir: runDir,
        model: 'linear',
        epochs: 1,
        seed: 1,
        backend: 'wasm',
        validationFraction: 0,
      },
      deps(),
    );
    await writeFile(join(dir, 'bad.csv'), toKaggleCsv(train, false).replace(/\n0,/, '\nx,'));
    await expect(localPredictStage({ runDir, test: join(dir, 'bad.csv') }, deps())).rejects.toMatchObject({
      exitCode: 2,
    });
    await expect(readFile(join(runDir, 'probabilities.csv'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(localPredictStage({ runDir: dir, test: join(dir, 'bad.csv') }, deps())).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
    });
  });
});
