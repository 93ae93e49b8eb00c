/**
 * A hand-written training loop (optimizer.minimize) instead of `model.fit`: tfjs pays a fixed cost
 * of several ms per step, so the loop keeps the kernel calls per step few (one gather per batch
 * from tensors that live on the backend for the whole run, loss + accuracy in the same tape).
 * Shuffling uses the seeded mulberry32 PRNG, so the same seed on the same backend gives the same
 * weights. Early stopping watches the validation loss and restores the best epoch's weights;
 * an aborted signal stops between steps and also keeps the best weights.
 */
import * as tf from '@tensorflow/tfjs';
import { mulberry32, permutation } from '../../domain/random.js';
import type { StageDeps } from '../../stages/deps.js';

export interface TrainLoopOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  l2: number;
  /** Learning rate of epoch e is learningRate / (1 + lrDecay * (e - 1)). */
  lrDecay?: number;
  /** Epochs without validation-loss improvement before stopping (0 = never stop early). */
  patience: number;
  seed: number;
  /**
   * Random translation of up to this many pixels per training example (images only; 0 = off).
   * Seeded like the shuffle; zero is the background value after the CNN's /255 scaling.
   */
  augmentShift?: number;
  /** 'auto' uses the JS-side softmax-regression step for the linear model; 'autodiff' forces tfjs gradients. */
  stepper?: 'auto' | 'autodiff';
  /** Example shape without the batch dimension, e.g. [784] or [28,28,1]. */
  inputShape: number[];
  numClasses: number;
}

/** Normalised examples (rows x features) with their labels. */
export interface TrainArrays {
  x: Float32Array;
  labels: Uint8Array;
  rows: number;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Training seconds of this epoch (validation scoring excluded). */
  seconds: number;
}

export interface TrainLoopResult {
  history: EpochRecord[];
  /** The epoch whose weights the model holds (1-based), when there was a validation split. */
  bestEpoch?: number;
  stoppedEarly: boolean;
  interrupted: boolean;
  trainSeconds: number;
  examplesSeen: number;
}

const FEATURES = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Loss (mean softmax cross-entropy) and accuracy of `model` on a dataset, in chunks. */
export function evaluateArrays(
  model: tf.LayersModel,
  data: TrainArrays,
  shape: number[],
  numClasses: number,
  chunk = 2048,
): { loss: number; accuracy: number } {
  const f = FEATURES(shape);
  let lossSum = 0;
  let correct = 0;
  for (let s = 0; s < data.rows; s += chunk) {
    const e = Math.min(data.rows, s + chunk);
    const [l, c] = tf.tidy(() => {
      const x = tf.tensor(data.x.subarray(s * f, e * f), [e - s, ...shape]);
      const y = tf.tensor1d(data.labels.subarray(s, e), 'int32');
      const logits = model.apply(x) as tf.Tensor2D;
      const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(y, numClasses), logits, undefined, undefined, tf.Reduction.SUM);
      const hits = tf.equal(tf.argMax(logits, 1), y).sum();
      return [loss.dataSync()[0], hits.dataSync()[0]];
    });
    lossSum += l;
    correct += c;
  }
  return { loss: lossSum / Math.max(1, data.rows), accuracy: correct / Math.max(1, data.rows) };
}

/** Copies one [h, w, 1] image translated by a random (dy, dx) in [-shift, shift], zero-filled. */
export function shiftedCopy(src: Float32Array, from: number, dst: Float32Array, to: number, shape: number[], shift: number, rng: () => number): void {
  const [h, w] = shape;
  const dy = Math.floor(rng() * (2 * shift + 1)) - shift;
  const dx = Math.floor(rng() * (2 * shift + 1)) - shift;
  dst.fill(0, to, to + h * w);
  const x0 = Math.max(0, dx);
  const x1 = Math.min(w, w + dx);
  for (let y = Math.max(0, dy); y < Math.min(h, h + dy); y++) {
    const s = from + (y - dy) * w - dx;
    dst.set(src.subarray(s + x0, s + x1), to + y * w + x0);
  }
}

/** One optimisation step on a batch; `sync` writes the current weights into the model. */
interface Stepper {
  step(x: Float32Array, y: Int32Array, n: number, lr: number): { loss: number; hits: number };
  sync(): void;
  dispose(): void;
}

/** Any model: tfjs autodiff + Adam (optimizer.minimize), loss and hit count in the same tape. */
function autodiffStepper(model: tf.LayersModel, opts: TrainLoopOptions): Stepper {
  const optimizer = tf.train.adam(opts.learningRate);
  const kernels = model.trainableWeights.filter((w) => w.name.includes('kernel')).map((w) => w.read());
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return {
    step(x, y, n, lr) {
      // Adam reads its learningRate field on every step, so a schedule is one assignment.
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      let hits: tf.Scalar | undefined;
      const loss = tf.tidy(() => {
        const xb = tf.tensor(x, [n, ...opts.inputShape]);
        const yb = tf.tensor1d(y, 'int32');
        return optimizer.minimize(
          () => {
            const logits = model.apply(xb, { training: true }) as tf.Tensor2D;
            hits = tf.keep(tf.equal(tf.argMax(logits, 1), yb).sum()) as tf.Scalar;
            let l = tf.losses.softmaxCrossEntropy(tf.oneHot(yb, opts.numClasses), logits) as tf.Scalar;
            if (opts.l2 > 0) for (const k of kernels) l = l.add(tf.mul(opts.l2, tf.sum(tf.square(k))));
            return l;
          },
          true,
          vars,
        ) as tf.Scalar;
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
function linearStepper(model: tf.LayersModel, opts: TrainLoopOptions): Stepper {
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

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/** Trains `model` in place and returns the per-epoch history. */
export async function trainLoop(
  model: tf.LayersModel,
  train: TrainArrays,
  validation: TrainArrays | undefined,
  opts: TrainLoopOptions,
  deps: StageDeps,
): Promise<TrainLoopResult> {
  const { clock, reporter, signal } = deps;
  const rng = mulberry32(opts.seed ^ 0x5eed);
  const linear = opts.stepper !== 'autodiff' && opts.inputShape.length === 1 && model.layers.length === 1;
  const stepper = linear ? linearStepper(model, opts) : autodiffStepper(model, opts);
  const batch = Math.max(1, Math.min(opts.batchSize, train.rows));
  const f = FEATURES(opts.inputShape);
  // Batches are assembled in JS and uploaded: wasm's GatherV2 costs ~37 us per 784-float row.
  const xBuf = new Float32Array(batch * f);
  const shift = opts.inputShape.length === 3 ? (opts.augmentShift ?? 0) : 0;
  const augRng = mulberry32(opts.seed ^ 0xa097);
  const yBuf = new Int32Array(batch);

  const history: EpochRecord[] = [];
  let best: { loss: number; epoch: number; weights: tf.Tensor[] } | undefined;
  let wait = 0;
  let stoppedEarly = false;
  let interrupted = false;
  let trainMs = 0;
  let examplesSeen = 0;
  const task = 'train';
  try {
    for (let epoch = 1; epoch <= opts.epochs && !interrupted; epoch++) {
      const order = permutation(train.rows, rng);
      const lr = opts.learningRate / (1 + (opts.lrDecay ?? 0) * (epoch - 1));
      const t0 = clock.now();
      let lastYield = t0;
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let s = 0; s < train.rows; s += batch) {
        if (signal?.aborted) {
          interrupted = true;
          break;
        }
        const e = Math.min(train.rows, s + batch);
        const n = e - s;
        for (let i = 0; i < n; i++) {
          const r = order[s + i];
          if (shift > 0) shiftedCopy(train.x, r * f, xBuf, i * f, opts.inputShape, shift, augRng);
          else xBuf.set(train.x.subarray(r * f, (r + 1) * f), i * f);
          yBuf[i] = train.labels[r];
        }
        const out = stepper.step(xBuf.subarray(0, n * f), yBuf.subarray(0, n), n, lr);
        lossSum += out.loss * n;
        correct += out.hits;
        seen += n;
        const now = clock.now();
        if (now - lastYield > 100) {
          // wasm is synchronous: give Ctrl-C and the progress renderer a chance to run.
          reporter.emit({
            kind: 'progress',
            task,
            label: `epoch ${epoch}/${opts.epochs}`,
            done: seen,
            total: train.rows,
            unit: 'examples',
            info: { loss: +(lossSum / seen).toFixed(4), acc: +(correct / seen).toFixed(4) },
          });
          await yieldToEventLoop();
          lastYield = clock.now();
        }
      }
      const ms = clock.now() - t0;
      trainMs += ms;
      examplesSeen += seen;
      reporter.emit({ kind: 'progress-end', task });
      if (seen < train.rows) break; // interrupted mid-epoch: that epoch is not recorded
      const rec: EpochRecord = { epoch, loss: lossSum / seen, accuracy: correct / seen, seconds: ms / 1000 };
      stepper.sync();
      if (validation && validation.rows > 0) {
        const v = evaluateArrays(model, validation, opts.inputShape, opts.numClasses);
        rec.valLoss = v.loss;
        rec.valAccuracy = v.accuracy;
        if (!best || v.loss < best.loss - 1e-6) {
          best?.weights.forEach((w) => w.dispose());
          best = { loss: v.loss, epoch, weights: model.getWeights().map((w) => w.clone()) };
          wait = 0;
        } else {
          wait++;
        }
      }
      history.push(rec);
      const meanEpoch = trainMs / 1000 / history.length;
      reporter.emit({
        kind: 'epoch',
        epoch,
        epochs: opts.epochs,
        loss: rec.loss,
        accuracy: rec.accuracy,
        valLoss: rec.valLoss,
        valAccuracy: rec.valAccuracy,
        examplesPerSecond: seen / Math.max(1e-9, ms / 1000),
        etaSeconds: meanEpoch * (opts.epochs - epoch),
      });
      if (opts.patience > 0 && wait >= opts.patience) {
        stoppedEarly = epoch < opts.epochs;
        break;
      }
      await yieldToEventLoop();
    }
    stepper.sync();
    if (best) model.setWeights(best.weights);
  } finally {
    stepper.dispose();
    best?.weights.forEach((w) => w.dispose());
  }
  return {
    history,
    bestEpoch: best?.epoch,
    stoppedEarly,
    interrupted,
    trainSeconds: trainMs / 1000,
    examplesSeen,
  };
}
