/**
 * The softmax-regression step of the one-layer linear model (registry stepper
 * 'softmax-regression'); every other model takes the gradient stepper (gradient-stepper.ts, tfjs
 * autodiff on one or more threads). `trainLoop` owns shuffling, epochs, early stopping and
 * reporting; a stepper only owns the weights' update, which the shared Adam (optimizer.ts) makes.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { adam } from './optimizer.js';
import type { Stepper, TrainLoopOptions } from './train-options.js';
import { requireTfjs } from '../runtime/tfjs-modules.js';

const tf = requireTfjs();

/**
 * Softmax regression: the two matrix products run on the backend, everything on the small
 * [n, classes] and [features, classes] arrays (softmax, loss, gradient, L2) runs in JS, and Adam
 * updates the flat [W, b] weights. Two kernel calls per step instead of ~80 makes a step ~5x
 * cheaper and spares most of the JIT warm-up that dominates the first epoch.
 */
export function linearStepper(model: LayersModel, opts: Pick<TrainLoopOptions, 'l2'>): Stepper {
  const [wT, bT] = model.getWeights();
  const [F, K] = wT.shape;
  const params = new Float32Array(F * K + K); // [W (F x K), b (K)]
  params.set(wT.dataSync() as Float32Array, 0);
  params.set(bT.dataSync() as Float32Array, F * K);
  const W = params.subarray(0, F * K);
  const b = params.subarray(F * K);
  const grad = new Float32Array(params.length);
  const gW = grad.subarray(0, F * K);
  const gb = grad.subarray(F * K);
  const optimizer = adam(params.length);
  const parts = [{ grad, weight: 1 }];
  let wTensor = tf.tensor2d(W, [F, K]);
  return {
    threads: 1,
    step(x, y, n, lr) {
      const xb = tf.tensor2d(x, [n, F]);
      const logitsT = tf.matMul(xb, wTensor);
      const z = logitsT.dataSync() as Float32Array;
      logitsT.dispose();
      // softmax, loss, hits and dL/dlogits = (p - onehot) / n, in place
      let loss = 0;
      let hits = 0;
      gb.fill(0);
      for (let r = 0; r < n; r++) {
        const o = r * K;
        let max = -Infinity;
        let arg = 0;
        for (let k = 0; k < K; k++) if (z[o + k] + b[k] > max) max = z[o + (arg = k)] + b[k];
        let sum = 0;
        for (let k = 0; k < K; k++) sum += Math.exp(z[o + k] + b[k] - max);
        const label = y[r];
        loss += Math.log(sum) - (z[o + label] + b[label] - max);
        if (arg === label) hits++;
        for (let k = 0; k < K; k++) {
          const g = (Math.exp(z[o + k] + b[k] - max) / sum - (k === label ? 1 : 0)) / n;
          z[o + k] = g;
          gb[k] += g;
        }
      }
      const gT = tf.tensor2d(z, [n, K]);
      const gWT = tf.matMul(xb, gT, true, false);
      gW.set(gWT.dataSync() as Float32Array);
      tf.dispose([xb, gT, gWT]);
      let l2 = 0;
      if (opts.l2 > 0) {
        for (let i = 0; i < W.length; i++) {
          l2 += W[i] * W[i];
          gW[i] += 2 * opts.l2 * W[i];
        }
      }
      optimizer.applyGradients(params, parts, lr);
      wTensor.dispose();
      wTensor = tf.tensor2d(W, [F, K]);
      return { loss: loss / n + opts.l2 * l2, hits };
    },
    sync() {
      const bias = tf.tensor1d(b);
      model.setWeights([wTensor, bias]); // copies into the model's own variables
      bias.dispose();
    },
    dispose() {
      wTensor.dispose(); // wT and bT are the model's variables: not ours to dispose
    },
  };
}
