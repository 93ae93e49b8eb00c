/**
 * One optimisation step on an assembled batch, two ways: tfjs autodiff + Adam for any model, and
 * a JS-side softmax-regression step for the linear model (see linearStepper). `trainLoop` owns
 * shuffling, epochs, early stopping and reporting; a stepper only owns the weights' update.
 */
import type { LayersModel, Scalar, Tensor2D, Variable } from '@tensorflow/tfjs';
import type { TrainLoopOptions } from './train-loop.js';
import { requireTfjs } from './tfjs-modules.js';

const tf = requireTfjs();

/** Mean loss and hit count of one step's batch. */
export interface StepResult {
  loss: number;
  hits: number;
}

/** One optimisation step on a batch; `sync` writes the current weights into the model. */
export interface Stepper {
  step(x: Float32Array, y: Int32Array, n: number, lr: number): StepResult | Promise<StepResult>;
  sync(): void;
  dispose(): void | Promise<void>;
}

/** Any model: tfjs autodiff + Adam (optimizer.minimize), loss and hit count in the same tape. */
export function autodiffStepper(model: LayersModel, opts: TrainLoopOptions): Stepper {
  const optimizer = tf.train.adam(opts.learningRate);
  const kernels = model.trainableWeights.filter((w) => w.name.includes('kernel')).map((w) => w.read());
  const vars = model.trainableWeights.map((w) => w.read() as Variable);
  return {
    step(x, y, n, lr) {
      // Adam reads its learningRate field on every step, so a schedule is one assignment.
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      let hits: Scalar | undefined;
      const loss = tf.tidy(() => {
        const xb = tf.tensor(x, [n, ...opts.inputShape]);
        const yb = tf.tensor1d(y, 'int32');
        return optimizer.minimize(
          () => {
            const logits = model.apply(xb, { training: true }) as Tensor2D;
            hits = tf.keep(tf.equal(tf.argMax(logits, 1), yb).sum()) as Scalar;
            let l = tf.losses.softmaxCrossEntropy(tf.oneHot(yb, opts.numClasses), logits) as Scalar;
            if (opts.l2 > 0) for (const k of kernels) l = l.add(tf.mul(opts.l2, tf.sum(tf.square(k))));
            return l;
          },
          true,
          vars,
        ) as Scalar;
      });
      const out = { loss: loss.dataSync()[0], hits: hits ? hits.dataSync()[0] : 0 };
      loss.dispose();
      hits?.dispose();
      return out;
    },
    sync: () => undefined,
    dispose: () => optimizer.dispose(),
  };
}

/**
 * Softmax regression: the two matrix products run on the backend, everything on the small
 * [n, classes] and [features, classes] arrays (softmax, loss, gradient, L2, Adam) runs in JS.
 * Two kernel calls per step instead of ~80 makes a step ~5x cheaper and spares most of the JIT
 * warm-up that dominates the first epoch. Same maths as tfjs Adam (epsilon 1e-7).
 */
export function linearStepper(model: LayersModel, opts: TrainLoopOptions): Stepper {
  const [wT, bT] = model.getWeights();
  const W = wT.dataSync().slice() as Float32Array;
  const b = bT.dataSync().slice() as Float32Array;
  const [F, K] = wT.shape;
  const mW = new Float32Array(W.length);
  const vW = new Float32Array(W.length);
  const mb = new Float32Array(K);
  const vb = new Float32Array(K);
  const b1 = 0.9;
  const b2 = 0.999;
  const eps = 1e-7;
  let t = 0;
  let wTensor = tf.tensor2d(W, [F, K]);
  const adam = (p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number) => {
    const c1 = 1 - Math.pow(b1, t);
    const c2 = 1 - Math.pow(b2, t);
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
    }
  };
  const gb = new Float32Array(K);
  return {
    step(x, y, n, lr) {
      t++;
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
      const gW = gWT.dataSync() as Float32Array;
      tf.dispose([xb, gT, gWT]);
      let l2 = 0;
      if (opts.l2 > 0) {
        for (let i = 0; i < W.length; i++) {
          l2 += W[i] * W[i];
          gW[i] += 2 * opts.l2 * W[i];
        }
      }
      adam(W, gW, mW, vW, lr);
      adam(b, gb, mb, vb, lr);
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

