import { describe, expect, it } from 'vitest';
import { adam, adamRange } from '../../../../../src/adapters/tfjs/train/optimizer.js';
import { requireTfjs } from '../../../../../src/adapters/tfjs/runtime/tfjs-modules.js';
import { selectBackend } from '../../../../../src/adapters/tfjs/runtime/backend.js';
import { mulberry32 } from '../../../../../src/domain/random.js';

const tf = requireTfjs();

describe('the one Adam (optimizer.ts)', () => {
  it('matches tf.train.adam step for step, with a changing learning rate', async () => {
    await selectBackend('wasm');
    const rng = mulberry32(3);
    const size = 50;
    const init = Float32Array.from({ length: size }, () => rng() * 2 - 1);
    const grads = Array.from({ length: 6 }, () => Float32Array.from({ length: size }, () => rng() * 4 - 2));
    const lrs = [0.1, 0.05, 0.05, 0.02, 0.01, 0.3];
    const ours = init.slice();
    const opt = adam(size);
    const ref = tf.variable(tf.tensor1d(init));
    const tfAdam = tf.train.adam(0.1);
    grads.forEach((g, i) => {
      opt.applyGradients(ours, [{ grad: g, weight: 1 }], lrs[i]);
      (tfAdam as unknown as { learningRate: number }).learningRate = lrs[i];
      const gt = tf.tensor1d(g);
      tfAdam.applyGradients({ [ref.name]: gt });
      gt.dispose();
    });
    const theirs = ref.dataSync();
    let diff = 0;
    let moved = 0;
    for (let k = 0; k < size; k++) {
      diff = Math.max(diff, Math.abs(theirs[k] - ours[k]));
      moved = Math.max(moved, Math.abs(init[k] - ours[k]));
    }
    expect(moved).toBeGreaterThan(0.1);
    expect(diff).toBeLessThan(1e-5);
    ref.dispose();
    tfAdam.dispose();
  });

  it('sums weighted gradient parts in one pass: two halves equal their mean', () => {
    const size = 8;
    const a = Float32Array.from({ length: size }, (_, k) => k - 3);
    const b = Float32Array.from({ length: size }, (_, k) => 2 * k + 1);
    const mean = Float32Array.from({ length: size }, (_, k) => 0.25 * a[k] + 0.75 * b[k]);
    const p1 = new Float32Array(size).fill(1);
    const p2 = p1.slice();
    const o1 = adam(size);
    const o2 = adam(size);
    for (let i = 0; i < 3; i++) {
      o1.applyGradients(
        p1,
        [
          { grad: a, weight: 0.25 },
          { grad: b, weight: 0.75 },
        ],
        0.01,
      );
      o2.applyGradients(p2, [{ grad: mean, weight: 1 }], 0.01);
    }
    for (let k = 0; k < size; k++) expect(p1[k]).toBeCloseTo(p2[k], 6);
    expect(p1[1]).not.toBe(1);
  });

  it('ranges of a step updated separately (as threads do) give exactly the whole pass', () => {
    const rng = mulberry32(9);
    const size = 1001;
    const init = Float32Array.from({ length: size }, () => rng() * 2 - 1);
    const g = [0, 1, 2].map(() => Float32Array.from({ length: size }, () => rng() - 0.5));
    const parts = g.map((grad, i) => ({ grad, weight: [0.25, 0.35, 0.4][i] }));
    const whole = init.slice();
    const split = init.slice();
    const a = adam(size);
    const b = adam(size, {}, { m: new Float32Array(size), v: new Float32Array(size) });
    for (const lr of [0.1, 0.03, 0.2]) {
      a.applyGradients(whole, parts, lr);
      const t = b.begin();
      for (const [lo, hi] of [
        [667, 1001],
        [0, 334],
        [334, 667],
      ])
        adamRange({ params: split, parts, lr, t, moments: b.moments, config: b.config, lo, hi });
    }
    expect(Buffer.from(split.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
    expect(whole[500]).not.toBe(init[500]);
    expect(() => adam(3, {}, { m: new Float32Array(3), v: new Float32Array(2) })).toThrow(/moments/);
  });

  it('refuses weights of another size', () => {
    expect(() => adam(3).applyGradients(new Float32Array(4), [{ grad: new Float32Array(4), weight: 1 }], 0.1)).toThrow(
      /3 weights/,
    );
  });
});
