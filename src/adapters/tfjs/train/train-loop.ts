/**
 * A hand-written training loop instead of `model.fit`: tfjs pays a fixed cost of several ms per
 * step, so the loop assembles batches in JS and leaves the update to a stepper (steppers.ts for
 * softmax regression, gradient-stepper.ts for autodiff models; loss + accuracy in the same tape).
 * Shuffling uses the seeded mulberry32 PRNG, so the same seed on the same backend gives the same
 * weights. Early stopping watches the validation loss and restores the best epoch's weights;
 * an aborted signal stops between steps and also keeps the best weights.
 */
import type { LayersModel, Tensor, Tensor2D } from '@tensorflow/tfjs';
import { mulberry32, permutation } from '../../../domain/random.js';
import { deriveSeed } from '../../../domain/seeds.js';
import type { StageDeps } from '../../../runtime/deps.js';
import { linearStepper } from './steppers.js';
import { affineCopy, augments, shiftedCopy, type AugmentOptions } from './augment.js';
import { gradientStepper, workerBackend } from './gradient-stepper.js';
import { learningRateAt } from './lr-schedule.js';
import type { EpochRecord, Stepper, TrainArrays, TrainLoopOptions, TrainLoopResult } from './train-options.js';
import { requireTfjs } from '../runtime/tfjs-modules.js';

const tf = requireTfjs();

const FEATURES = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Loss (mean softmax cross-entropy) and accuracy of `model` on a dataset, in chunks. */
export function evaluateArrays(
  model: LayersModel,
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
      const x = tf.tensor(data.x!.subarray(s * f, e * f), [e - s, ...shape]);
      const y = tf.tensor1d(data.labels.subarray(s, e), 'int32');
      const logits = model.apply(x) as Tensor2D;
      const loss = tf.losses.softmaxCrossEntropy(
        tf.oneHot(y, numClasses),
        logits,
        undefined,
        undefined,
        tf.Reduction.SUM,
      );
      const hits = tf.equal(tf.argMax(logits, 1), y).sum();
      return [loss.dataSync()[0], hits.dataSync()[0]];
    });
    lossSum += l;
    correct += c;
  }
  return { loss: lossSum / Math.max(1, data.rows), accuracy: correct / Math.max(1, data.rows) };
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/** Trains `model` in place and returns the per-epoch history. */
export async function trainLoop(
  model: LayersModel,
  train: TrainArrays,
  validation: TrainArrays | undefined,
  opts: TrainLoopOptions,
  deps: StageDeps,
): Promise<TrainLoopResult> {
  const { clock, reporter, signal } = deps;
  const rng = mulberry32(deriveSeed(opts.seed, 'batch-order'));
  const batch = Math.max(1, Math.min(opts.batchSize, train.rows));
  const stepper =
    opts.stepper === 'softmax-regression'
      ? linearStepper(model, opts, train)
      : await gradientSteps(model, opts, batch, deps);
  const workers = stepper.threads;
  const f = FEATURES(opts.inputShape);
  // Batches are assembled in JS and uploaded: wasm's GatherV2 costs ~37 us per 784-float row.
  const xBuf = new Float32Array(stepper.stepRows ? 0 : batch * f);
  const image = opts.inputShape.length === 3;
  const aug: AugmentOptions = {
    shift: image ? (opts.augmentShift ?? 0) : 0,
    rotate: image ? (opts.augmentRotate ?? 0) : 0,
    zoom: image ? (opts.augmentZoom ?? 0) : 0,
  };
  const onlyShift = aug.rotate === 0 && aug.zoom === 0;
  const augRng = mulberry32(deriveSeed(opts.seed, 'augment'));
  const yBuf = new Int32Array(batch);
  const schedule = {
    schedule: opts.lrSchedule ?? 'decay',
    learningRate: opts.learningRate,
    lrDecay: opts.lrDecay ?? 0,
    epochs: opts.epochs,
    stepsPerEpoch: Math.ceil(train.rows / batch),
  } as const;

  const history: EpochRecord[] = [];
  let best: { loss: number; epoch: number; weights: Tensor[] } | undefined;
  let wait = 0;
  let stoppedEarly = false;
  let interrupted = false;
  let trainMs = 0;
  let examplesSeen = 0;
  const task = 'train';
  try {
    for (let epoch = 1; epoch <= opts.epochs && !interrupted; epoch++) {
      const order = permutation(train.rows, rng);
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
        const lr = learningRateAt(schedule, epoch, s / batch);
        let out;
        if (stepper.stepRows) {
          out = stepper.stepRows(order.subarray(s, e), lr);
        } else {
          const x = train.x!;
          for (let i = 0; i < n; i++) {
            const r = order[s + i];
            if (!augments(aug)) xBuf.set(x.subarray(r * f, (r + 1) * f), i * f);
            else if (onlyShift) shiftedCopy(x, r * f, xBuf, i * f, opts.inputShape, aug.shift, augRng);
            else affineCopy(x, r * f, xBuf, i * f, opts.inputShape, aug, augRng);
            yBuf[i] = train.labels[r];
          }
          out = await stepper.step(xBuf.subarray(0, n * f), yBuf.subarray(0, n), n, lr);
        }
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
        opts.onValidated?.(epoch, wait === 0);
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
    await stepper.dispose();
    best?.weights.forEach((w) => w.dispose());
  }
  return {
    history,
    bestEpoch: best?.epoch,
    stoppedEarly,
    interrupted,
    trainSeconds: trainMs / 1000,
    examplesSeen,
    workers,
  };
}

/**
 * The gradient stepper, on `opts.workers` threads when more than one is asked for and possible
 * (wasm/cpu backends). A worker that cannot start (script not built, backend fails to load in the
 * thread) is not fatal: training continues on one thread and says so.
 */
async function gradientSteps(
  model: LayersModel,
  opts: TrainLoopOptions,
  batch: number,
  deps: StageDeps,
): Promise<Stepper> {
  const threads = Math.min(opts.workers ?? 1, batch);
  const backend = workerBackend();
  const stepOpts = { ...opts, batchSize: batch };
  if (threads >= 2 && backend) {
    try {
      const stepper = await gradientStepper(model, stepOpts, threads, backend);
      if (stepper) return stepper;
      deps.reporter.emit({
        kind: 'info',
        message: 'CNN gradient worker script not found (build with npx tsc): training on one thread',
      });
    } catch (e) {
      const why = String((e as Error)?.message ?? e).split('\n')[0];
      deps.reporter.emit({
        kind: 'info',
        message: `CNN gradient workers could not start (${why}): training on one thread`,
      });
    }
  }
  return (await gradientStepper(model, stepOpts, 1))!;
}
