/**
 * The gradient half of a training step, shared by the main thread and the CNN gradient workers:
 * mean softmax cross-entropy (+ L2 on kernels) of a batch, its hit count, and the gradients of
 * every trainable weight written into one flat Float32Array (weights in `trainableWeights` order).
 * The same code on both sides keeps the split-batch maths identical to the one-thread path.
 * Training takes the faster direct program where it applies (direct-program.ts,
 * `trainingGradProgram`); this autodiff one is the fallback and the reference of its tests.
 */
import type { LayersModel, Scalar, Tensor, Tensor2D, Variable } from '@tensorflow/tfjs';
import { dropoutMask } from '../../../domain/dropout-mask.js';
import { requireTfjs } from '../runtime/tfjs-modules.js';

const tf = requireTfjs();

/** Flat layout of a model's trainable weights: shapes, sizes and offsets in one Float32Array. */
export interface WeightLayout {
  shapes: number[][];
  sizes: number[];
  offsets: number[];
  total: number;
}

/** The flat layout of `model.trainableWeights`. */
export function weightLayout(model: LayersModel): WeightLayout {
  const shapes = model.trainableWeights.map((w) => w.shape.map((d) => d as number));
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const offsets: number[] = [];
  let total = 0;
  for (const s of sizes) {
    offsets.push(total);
    total += s;
  }
  return { shapes, sizes, offsets, total };
}

/** Options the gradient needs (a subset of TrainLoopOptions, so it can cross a thread boundary). */
export interface GradOptions {
  inputShape: number[];
  numClasses: number;
  l2: number;
  /** Seed of the dropout masks (deriveSeed(seed, 'dropout')); models without dropout ignore it. */
  dropoutSeed?: number;
}

/**
 * Which dropout masks a call draws: those of optimisation step `step` for the examples at `offset`
 * .. offset + n - 1 of the whole batch (a thread's slice starts at its offset). Without it dropout
 * layers pass values through.
 */
export interface GradNoise {
  step: number;
  offset: number;
}

/** Computes loss, hits and flat gradients of one batch; a model's weights can be set from a flat array. */
export interface GradProgram {
  layout: WeightLayout;
  /** Mean loss and hit count of the n examples; gradients of the mean loss go into `out`. */
  gradients(
    x: Float32Array,
    y: Int32Array,
    n: number,
    out: Float32Array,
    noise?: GradNoise,
  ): { loss: number; hits: number };
  /** Copies flat weights into the model's variables. */
  setWeights(flat: Float32Array): void;
  /** Copies the program's current weights into a flat array. */
  getWeights(out: Float32Array): void;
  /** Writes the weights last given to setWeights into the model's variables (if not done already). */
  writeModel(): void;
}

/** The tfjs autodiff gradient program over `model`'s trainable weights (any model, any backend). */
export function gradProgram(model: LayersModel, opts: GradOptions): GradProgram {
  const layout = weightLayout(model);
  const features = opts.inputShape.reduce((a, b) => a * b, 1);
  const vars = model.trainableWeights.map((w) => w.read() as Variable);
  const kernels = model.trainableWeights.filter((w) => w.name.includes('kernel')).map((w) => w.read());
  const hasDropout = model.layers.some((l) => l.getClassName() === 'Dropout');
  /**
   * The model layer by layer, each Dropout layer multiplying by the masks of domain/dropout-mask.ts
   * (tfjs's own dropout draws unseeded noise): the masks the direct program draws.
   */
  const forwardWithMasks = (xb: Tensor, n: number, noise: GradNoise | undefined): Tensor => {
    let h = xb;
    let site = 0;
    for (const layer of model.layers) {
      if (layer.getClassName() !== 'Dropout') {
        h = layer.apply(h, { training: true }) as Tensor;
        continue;
      }
      const rate = (layer.getConfig() as { rate: number }).rate;
      const here = site++;
      if (!noise || rate === 0) continue;
      const units = h.shape.slice(1).reduce((a, b) => a * b, 1);
      const mask = new Float32Array(n * units);
      const draw = { seed: opts.dropoutSeed ?? 0, step: noise.step };
      for (let i = 0; i < n; i++) dropoutMask(draw, noise.offset + i, here, rate, units, mask, i * units);
      h = tf.mul(h, tf.tensor(mask, h.shape));
    }
    return h;
  };
  return {
    layout,
    gradients(x, y, n, out, noise) {
      let hits: Scalar | undefined;
      const loss = tf.tidy(() => {
        const xb = tf.tensor(x.subarray(0, n * features), [n, ...opts.inputShape]);
        const yb = tf.tensor1d(y.subarray(0, n), 'int32');
        const { value, grads } = tf.variableGrads(() => {
          const logits = (
            hasDropout ? forwardWithMasks(xb, n, noise) : model.apply(xb, { training: true })
          ) as Tensor2D;
          hits = tf.keep(tf.equal(tf.argMax(logits, 1), yb).sum()) as Scalar;
          let l = tf.losses.softmaxCrossEntropy(tf.oneHot(yb, opts.numClasses), logits) as Scalar;
          if (opts.l2 > 0) for (const k of kernels) l = l.add(tf.mul(opts.l2, tf.sum(tf.square(k))));
          return l;
        }, vars);
        vars.forEach((v, i) => out.set(grads[v.name].dataSync() as Float32Array, layout.offsets[i]));
        return tf.keep(value);
      });
      const res = { loss: loss.dataSync()[0], hits: hits ? hits.dataSync()[0] : 0 };
      loss.dispose();
      hits?.dispose();
      return res;
    },
    setWeights(flat) {
      vars.forEach((v, i) => {
        const t = tf.tensor(flat.subarray(layout.offsets[i], layout.offsets[i] + layout.sizes[i]), layout.shapes[i]);
        v.assign(t);
        t.dispose();
      });
    },
    getWeights(out) {
      vars.forEach((v, i) => out.set(v.dataSync() as Float32Array, layout.offsets[i]));
    },
    writeModel: () => undefined, // setWeights writes the variables
  };
}
