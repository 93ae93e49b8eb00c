import { describe, expect, it } from 'vitest';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { selectRows } from '../../../../../src/domain/dataset.js';
import { selectBackend } from '../../../../../src/adapters/tfjs/runtime/backend.js';
import { requireTfjs } from '../../../../../src/adapters/tfjs/runtime/tfjs-modules.js';
import { MODEL_SPECS } from '../../../../../src/adapters/tfjs/model/model-specs.js';
import { computeNormalization, normalizePixels } from '../../../../../src/adapters/tfjs/model/model-inputs.js';
import { gradProgram, type GradNoise, type GradProgram } from '../../../../../src/adapters/tfjs/train/grad-program.js';
import {
  directGradProgram,
  directPlan,
  trainingGradProgram,
} from '../../../../../src/adapters/tfjs/train/direct-program.js';
import { digitsSplit } from '../../../../helpers/tfjs-fixtures.js';

const tf = requireTfjs();
const { train } = digitsSplit(300, 10, 5);

function batch(n: number) {
  const rows = selectRows(
    train,
    Array.from({ length: n }, (_, i) => i),
  );
  const x = normalizePixels(rows.pixels, n, computeNormalization('scale', rows.pixels, n));
  return { x, y: Int32Array.from(rows.labels!) };
}

/** Largest |a - b| relative to the largest |a|, per weight, and that scale. */
function compare(ref: GradProgram, a: Float32Array, b: Float32Array) {
  const { offsets, sizes } = ref.layout;
  return offsets.map((o, i) => {
    let scale = 0;
    let diff = 0;
    for (let k = o; k < o + sizes[i]; k++) {
      scale = Math.max(scale, Math.abs(a[k]));
      diff = Math.max(diff, Math.abs(a[k] - b[k]));
    }
    return { scale, rel: diff / Math.max(scale, 1e-30) };
  });
}

async function expectSameGradients(
  model: LayersModel,
  shape: number[],
  x: Float32Array,
  y: Int32Array,
  n: number,
  noise?: GradNoise,
) {
  const opts = { inputShape: shape, numClasses: 10, l2: 0.003, dropoutSeed: 99 };
  const auto = gradProgram(model, opts);
  const direct = directGradProgram(model, opts);
  expect(direct).toBeDefined();
  const ga = new Float32Array(auto.layout.total);
  const gd = new Float32Array(auto.layout.total).fill(Number.NaN); // every entry must be written
  const ra = auto.gradients(x, y, n, ga, noise);
  const rd = direct!.gradients(x, y, n, gd, noise);
  expect(rd.hits).toBe(ra.hits);
  expect(Math.abs(rd.loss - ra.loss) / ra.loss).toBeLessThan(5e-5); // float64 vs float32 sums
  const per = compare(auto, ga, gd);
  expect(per.map((p) => p.scale > 0)).toEqual(per.map(() => true)); // no trivially zero gradient
  expect(Math.max(...per.map((p) => p.rel))).toBeLessThan(1e-4);
  return { auto, direct: direct! };
}

describe('direct (tape-free) CNN gradients on wasm', () => {
  it('the CNN is supported; gradients, loss, hits equal autodiff (with L2), also after a weight change', async () => {
    await selectBackend('wasm');
    const model = await MODEL_SPECS.cnn.build(10, 3);
    expect(directPlan(model)).not.toBeTypeOf('string');
    const n = 13;
    const { x, y } = batch(n);
    const { auto, direct } = await expectSameGradients(model, [28, 28, 1], x, y, n);
    // New weights through setWeights: both programs follow them.
    const w = new Float32Array(auto.layout.total);
    direct.getWeights(w);
    for (let k = 0; k < w.length; k++) w[k] += 0.01 * Math.sin(k);
    direct.setWeights(w);
    auto.setWeights(w);
    const ga = new Float32Array(w.length);
    const gd = new Float32Array(w.length);
    const ra = auto.gradients(x, y, n, ga);
    const rd = direct.gradients(x, y, n, gd);
    expect(Math.abs(rd.loss - ra.loss) / ra.loss).toBeLessThan(5e-5);
    expect(Math.max(...compare(auto, ga, gd).map((p) => p.rel))).toBeLessThan(1e-4);
    model.dispose();
  });

  it('with dropout: the masks autodiff draws, new ones per step, a split batch draws as one thread', async () => {
    await selectBackend('wasm');
    const model = await MODEL_SPECS.cnn.build(10, 3, 0.5);
    expect(model.layers.map((l) => l.getClassName())).toContain('Dropout');
    expect(directPlan(model)).not.toBeTypeOf('string');
    const n = 12;
    const { x, y } = batch(n);
    const { direct } = await expectSameGradients(model, [28, 28, 1], x, y, n, { step: 5, offset: 0 });
    const P = direct.layout.total;
    const grads = (noise: GradNoise | undefined, lo = 0, hi = n) => {
      const g = new Float32Array(P);
      const f = 28 * 28;
      const r = direct.gradients(x.subarray(lo * f, hi * f), y.subarray(lo, hi), hi - lo, g, noise);
      return { g, ...r };
    };
    const whole = grads({ step: 5, offset: 0 });
    const plain = grads(undefined);
    const next = grads({ step: 6, offset: 0 });
    const rel = (a: Float32Array, b: Float32Array) => Math.max(...compare(direct, a, b).map((p) => p.rel));
    expect(rel(whole.g, plain.g)).toBeGreaterThan(0.05); // the masks change the gradient...
    expect(rel(whole.g, next.g)).toBeGreaterThan(0.05); // ...and every step draws new ones
    expect(rel(whole.g, grads({ step: 5, offset: 0 }).g)).toBe(0); // deterministic
    // Two slices of 5 and 7 rows at their offsets, weighted by size: the whole batch's gradient.
    const a = grads({ step: 5, offset: 0 }, 0, 5);
    const b = grads({ step: 5, offset: 5 }, 5, n);
    const mixed = a.g.map((v, k) => (5 / n) * v + (7 / n) * b.g[k]);
    expect(rel(whole.g, mixed)).toBeLessThan(1e-4);
    expect(Math.abs((5 * a.loss + 7 * b.loss) / n - whole.loss)).toBeLessThan(1e-5);
    // Prediction ignores dropout: the model's output is the plain forward pass.
    const out = tf.tidy(() => Array.from((model.predict(tf.tensor(x, [n, 28, 28, 1])) as Tensor).dataSync()));
    const again = tf.tidy(() => Array.from((model.predict(tf.tensor(x, [n, 28, 28, 1])) as Tensor).dataSync()));
    expect(out).toEqual(again);
    model.dispose();
  });

  it('writeModel puts the weights given to setWeights into the model', async () => {
    await selectBackend('wasm');
    const model = await MODEL_SPECS.cnn.build(10, 3);
    const direct = directGradProgram(model, { inputShape: [28, 28, 1], numClasses: 10, l2: 0 })!;
    const w = new Float32Array(direct.layout.total).map((_, k) => Math.cos(k) * 0.1);
    direct.setWeights(w);
    expect(model.trainableWeights[0].read().dataSync()[1]).not.toBeCloseTo(w[1], 6); // not written yet
    direct.writeModel();
    const back = new Float32Array(w.length);
    model.trainableWeights.forEach((v, i) => back.set(v.read().dataSync() as Float32Array, direct.layout.offsets[i]));
    expect(back).toEqual(w);
    model.dispose();
  });

  it('odd pooled sizes, a linear conv and a one-dense-layer head also match autodiff', async () => {
    await selectBackend('wasm');
    // 28 -> conv 4x4 -> 25 (odd: the generic pool gradient) -> pool 12 -> conv 3x3 linear -> 10 -> pool 5.
    const model = tf.sequential();
    model.add(
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 4,
        kernelSize: 4,
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: 1 }),
      }),
    );
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    model.add(
      tf.layers.conv2d({ filters: 6, kernelSize: 3, kernelInitializer: tf.initializers.heNormal({ seed: 2 }) }),
    );
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
    const n = 7;
    const { x, y } = batch(n);
    await expectSameGradients(model, [28, 28, 1], x, y, n);
    model.dispose();
  });

  it('a linear first conv (sparse filter gradient, no ReLU) and a ReLU dense hidden layer match autodiff', async () => {
    await selectBackend('wasm');
    const model = tf.sequential();
    model.add(
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 3,
        kernelSize: 3,
        kernelInitializer: tf.initializers.heNormal({ seed: 4 }),
      }),
    );
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tf.layers.flatten());
    model.add(
      tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: 5 }) }),
    );
    model.add(tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }));
    const n = 9;
    const { x, y } = batch(n);
    await expectSameGradients(model, [28, 28, 1], x, y, n);
    model.dispose();
  });

  it('a model with a layer it does not support keeps autodiff (training still works)', async () => {
    await selectBackend('wasm');
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 3 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.batchNormalization());
    model.add(tf.layers.dense({ units: 10 }));
    expect(directPlan(model)).toMatch(/BatchNormalization/);
    const opts = { inputShape: [28, 28, 1], numClasses: 10, l2: 0 };
    expect(directGradProgram(model, opts)).toBeUndefined();
    const p = trainingGradProgram(model, opts);
    const { x, y } = batch(4);
    const g = new Float32Array(p.layout.total);
    expect(Number.isFinite(p.gradients(x, y, 4, g).loss)).toBe(true);
    model.dispose();
  });
});
