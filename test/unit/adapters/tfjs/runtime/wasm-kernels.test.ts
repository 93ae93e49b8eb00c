import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../../../../src/domain/random.js';

/** Seeded random values in [-1, 1). */
function rand(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / scale;
}

/** dx and dW of sum(conv2d(x, w) * dy), computed by the current backend's gradient kernels. */
function convGrads(x: Float32Array, w: Float32Array, dy: Float32Array, xs: number[], ws: number[], ys: number[]) {
  return tf.tidy(() => {
    const dyT = tf.tensor4d(dy, ys as [number, number, number, number]);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf
        .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid')
        .mul(dyT)
        .sum(),
    );
    const [dx, dw] = g([tf.tensor4d(x, xs as never), tf.tensor4d(w, ws as never)]);
    return [dx.dataSync() as Float32Array, dw.dataSync() as Float32Array];
  });
}

/** MaxPool (2x2/2, even and odd sizes, after ReLU so windows tie at 0) gradients and leading-axis sums. */
function poolSumCases(): { shape: number[]; values: Float32Array }[] {
  return tf.tidy(() => {
    const out: tf.Tensor[] = [];
    for (const [shape, seed] of [
      [[3, 6, 6, 4], 31],
      [[2, 7, 5, 3], 32],
    ] as [number[], number][]) {
      const x = tf.tensor(
        rand(
          shape.reduce((a, b) => a * b),
          seed,
        ),
        shape,
      );
      const f = (a: tf.Tensor) =>
        tf
          .maxPool(tf.relu(a) as tf.Tensor4D, 2, 2, 'valid')
          .mul(
            tf.tensor(rand(shape[0] * Math.floor(shape[1] / 2) * Math.floor(shape[2] / 2) * shape[3], seed + 1), [
              shape[0],
              Math.floor(shape[1] / 2),
              Math.floor(shape[2] / 2),
              shape[3],
            ]),
          )
          .sum();
      out.push(tf.grad(f)(x));
      out.push(tf.sum(x, [0, 1, 2]), tf.sum(x, 0), tf.sum(x, [0, 1], true), tf.sum(x, [1, 2]), tf.sum(x, -1));
    }
    return out.map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array }));
  });
}

const matmulCases: [number[], number[], boolean, boolean][] = [
  [[37, 19], [37, 5], true, false], // dense weight gradient x^T·dy (the shim's big-A path)
  [[5, 37], [5, 19], true, false], // small A: transposes A
  [[13, 7], [11, 7], false, true], // dense input gradient dy·W^T
  [[7, 13], [11, 7], true, true],
  [[3, 9, 4], [3, 9, 6], true, false], // batched
];

describe('wasm gradient kernels against the cpu backend', () => {
  // Input channels 1 and 4 take the wasm patch-matrix filter gradient, 6 the batch-as-channels conv.
  const convCases = [
    { xs: [3, 9, 8, 4], ws: [3, 3, 4, 5] },
    { xs: [4, 10, 10, 1], ws: [3, 3, 1, 6] },
    { xs: [2, 8, 9, 6], ws: [3, 2, 6, 3] },
  ].map(({ xs, ws }, i) => {
    const ys = [xs[0], xs[1] - ws[0] + 1, xs[2] - ws[1] + 1, ws[3]];
    const size = (s: number[]) => s.reduce((a, b) => a * b);
    return { xs, ws, ys, x: rand(size(xs), 1 + 10 * i), w: rand(size(ws), 2 + 10 * i), dy: rand(size(ys), 3 + 10 * i) };
  });

  it('conv filter/input gradients match cpu (rel diff < 1e-5); matmul, max-pool-grad, sum shims match', async () => {
    await tf.setBackend('cpu'); // stock cpu kernels: nothing registered yet in this file
    const cpuGrads = convCases.map((c) => convGrads(c.x, c.w, c.dy, c.xs, c.ws, c.ys));
    const mmCpu = matmulCases.map(([as, bs, ta, tb], i) =>
      tf.tidy(
        () =>
          tf
            .matMul(
              tf.tensor(
                rand(
                  as.reduce((p, q) => p * q),
                  10 + i,
                ),
                as,
              ),
              tf.tensor(
                rand(
                  bs.reduce((p, q) => p * q),
                  20 + i,
                ),
                bs,
              ),
              ta,
              tb,
            )
            .dataSync() as Float32Array,
      ),
    );
    const poolCpu = poolSumCases();
    const mmShapes = matmulCases.map(([as, bs, ta, tb]) =>
      tf.tidy(() => tf.matMul(tf.zeros(as), tf.zeros(bs), ta, tb).shape),
    );

    const { selectBackend } = await import('../../../../../src/adapters/tfjs/runtime/backend.js');
    await selectBackend('wasm');
    convCases.forEach((c, i) => {
      const before = tf.memory().numTensors;
      const [dxWasm, dwWasm] = convGrads(c.x, c.w, c.dy, c.xs, c.ws, c.ys);
      expect(tf.memory().numTensors).toBe(before); // intermediates freed
      const [dxCpu, dwCpu] = cpuGrads[i];
      expect(dwWasm.length).toBe(dwCpu.length);
      expect(maxRelDiff(dwWasm, dwCpu)).toBeLessThan(1e-5);
      expect(maxRelDiff(dxWasm, dxCpu)).toBeLessThan(1e-5);
    });

    const poolWasm = poolSumCases();
    poolWasm.forEach((t, i) => {
      expect(t.shape).toEqual(poolCpu[i].shape);
      expect(maxRelDiff(t.values, poolCpu[i].values)).toBeLessThan(1e-5);
    });

    matmulCases.forEach(([as, bs, ta, tb], i) => {
      const out = tf.tidy(() =>
        tf.matMul(
          tf.tensor(
            rand(
              as.reduce((p, q) => p * q),
              10 + i,
            ),
            as,
          ),
          tf.tensor(
            rand(
              bs.reduce((p, q) => p * q),
              20 + i,
            ),
            bs,
          ),
          ta,
          tb,
        ),
      );
      expect(out.shape).toEqual(mmShapes[i]);
      expect(maxRelDiff(out.dataSync() as Float32Array, mmCpu[i])).toBeLessThan(1e-5);
      out.dispose();
    });
  });

  it('refuses unsupported convolutions with a clear error', async () => {
    const { selectBackend } = await import('../../../../../src/adapters/tfjs/runtime/backend.js');
    await selectBackend('wasm');
    const { x, xs, w, ws, ys } = convCases[0];
    const xT = tf.tensor4d(x, xs as never);
    const dyT = tf.zeros([3, 4, 3, 5]);
    expect(() =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x: xT, dy: dyT },
          { strides: [2, 2], pad: 'valid', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: ws },
        ),
    ).toThrow(/supports only stride 1, VALID padding, dilation 1, NHWC; got stride 2x2/);
    expect(() =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x: xT, dy: tf.zeros(ys) },
          { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: ws },
        ),
    ).toThrow(/only VALID padding/);
    // The input gradient falls back to wasm's own kernel for shapes the shim does not cover.
    const dx = tf.tidy(() =>
      tf.grad((a: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, tf.tensor4d(w, ws as never), 2, 'valid').sum())(xT),
    );
    expect(dx.shape).toEqual(xs);
  });
});
