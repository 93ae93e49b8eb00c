import { describe, expect, it } from 'vitest';
import { LOCAL_MODEL_KINDS, MODEL_SPECS, modelSpec } from '../../../../../src/adapters/tfjs/model/model-specs.js';
import { selectBackend } from '../../../../../src/adapters/tfjs/runtime/backend.js';
import { fitLocalModel } from '../../../../../src/stages/local/train.js';
import { collectingReporter, systemClock } from '../../../../../src/runtime/deps.js';
import { digitsSplit } from '../../../../helpers/tfjs-fixtures.js';

describe('the local model registry', () => {
  it('lists every kind once, each entry naming itself, and offers them to the CLI', () => {
    expect(LOCAL_MODEL_KINDS).toEqual(['linear', 'cnn']);
    for (const kind of LOCAL_MODEL_KINDS) expect(MODEL_SPECS[kind].kind).toBe(kind);
    expect(modelSpec('cnn')?.stepper).toBe('gradient');
    expect(modelSpec('linear')?.stepper).toBe('softmax-regression');
    expect(modelSpec('toString')).toBeUndefined(); // not fooled by Object.prototype
  });

  it('builds each model with the input shape its entry declares and seeded weights', async () => {
    await selectBackend('wasm');
    for (const spec of Object.values(MODEL_SPECS)) {
      const a = await spec.build(10, 3);
      const b = await spec.build(10, 3);
      expect(a.inputs[0].shape.slice(1)).toEqual(spec.inputShape);
      expect(a.outputs[0].shape).toEqual([null, 10]);
      expect(Array.from(a.getWeights()[0].dataSync())).toEqual(Array.from(b.getWeights()[0].dataSync()));
      a.dispose();
      b.dispose();
    }
  });

  it('an unknown kind is a user error naming the registry kinds', async () => {
    const { train } = digitsSplit(20, 0, 1);
    const deps = { reporter: collectingReporter(), clock: systemClock };
    await expect(fitLocalModel(train, undefined, { model: 'mlp' as never, seed: 1 }, deps)).rejects.toMatchObject({
      code: 'MODEL_UNKNOWN',
      message: expect.stringContaining("'mlp'"),
    });
  });
});

describe('prediction path from the registry', () => {
  it('only the linear entry is scored by the folded tfjs-core scorer', async () => {
    const { scoresFolded } = await import('../../../../../src/adapters/tfjs/model/model-specs.js');
    expect(scoresFolded('linear')).toBe(true);
    expect(scoresFolded('cnn')).toBe(false);
    expect(scoresFolded('unknown')).toBe(false);
  });
});
