/**
 * The gradient stepper (registry stepper 'gradient'): the gradients of the batch (the tape-free
 * direct program of direct-program.ts on wasm where the model's layers allow, else tfjs autodiff),
 * then the shared Adam (optimizer.ts) on flat weights. With one thread it is a plain step. The wasm
 * backend is single-threaded in Node, so one tfjs engine uses one core; with `threads` > 1 the
 * batch is cut into fixed contiguous slices, the main thread computes the gradients of slice 0
 * while each worker thread (its own engine and wasm backend, see gradient-worker.ts) computes those of
 * its slice, and Adam sums them weighted by slice size, in slice order. That is the maths of one
 * step on the whole batch, up to float rounding, and it is deterministic for a given seed and
 * thread count. Weights, gradients and inputs live in SharedArrayBuffers, so a step's messages
 * carry only the slice size and the loss/hit count.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LayersModel } from '@tensorflow/tfjs';
import type { BackendName } from '../runtime/backend.js';
import type { AdamRequest, CnnWorkerData, GradientRequest } from './gradient-worker.js';
import { deriveSeed } from '../../../domain/seeds.js';
import type { GradOptions } from './grad-program.js';
import { trainingGradProgram } from './direct-program.js';
import type { LocalModelKind } from '../model/model-specs.js';
import { adam, adamRange } from './optimizer.js';
import type { StepResult, Stepper } from './train-options.js';
import { requireTfjs } from '../runtime/tfjs-modules.js';

const tf = requireTfjs();

/** The built worker script (dist/adapters/tfjs/train/gradient-worker.js), also when running from src (tests). */
export function cnnWorkerScript(): URL | undefined {
  const candidates = [
    new URL('./gradient-worker.js', import.meta.url),
    new URL('../../../../dist/adapters/tfjs/train/gradient-worker.js', import.meta.url),
  ];
  return candidates.find((u) => existsSync(fileURLToPath(u)));
}

/** The backend a worker should load to match this thread's tfjs engine (undefined: do not use workers). */
export function workerBackend(): BackendName | undefined {
  const name = tf.getBackend();
  // tfjs-node is multi-threaded already; only the single-threaded backends gain from workers.
  return name === 'wasm' ? 'wasm' : name === 'cpu' ? 'cpu' : undefined;
}

/** Slice boundaries of n examples over t threads: slice i is [b[i], b[i+1]). */
export function sliceBounds(n: number, t: number): number[] {
  return Array.from({ length: t + 1 }, (_, i) => Math.floor((n * i) / t));
}

/** A Stepper whose gradients are computed by `threads` threads (the main one included). */
export interface ParallelStepper extends Stepper {
  /**
   * Loss, hits and averaged gradients of a batch (the step without the Adam update), with the
   * dropout masks of step `step` when given (none otherwise).
   */
  gradients(x: Float32Array, y: Int32Array, n: number, step?: number): Promise<StepResult & { grad: Float32Array }>;
}

let live = 0;

/** Gradient worker threads started and not yet exited (0 after every stepper is disposed). */
export function liveCnnWorkers(): number {
  return live;
}

interface Reply {
  loss: number;
  hits: number;
  ready?: boolean;
  error?: string;
}

class WorkerLink {
  private pending?: { resolve: (r: Reply) => void; reject: (e: Error) => void };
  private dead?: Error;
  constructor(readonly worker: Worker) {
    live++;
    worker.once('exit', () => live--);
    worker.on('message', (m: Reply) => {
      const p = this.pending;
      this.pending = undefined;
      if (m.error) p?.reject(new Error(`CNN gradient worker failed: ${m.error}`));
      else p?.resolve(m);
    });
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`CNN gradient worker exited (code ${code})`)));
  }
  private fail(e: Error): void {
    this.dead ??= e;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(this.dead);
  }
  /** The next reply (the 'ready' one first), after posting `msg` if given. */
  next(msg?: GradientRequest | AdamRequest): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    const p = new Promise<Reply>((resolve, reject) => (this.pending = { resolve, reject }));
    p.catch(() => undefined); // a step abandoned by an exception must not become an unhandled rejection
    if (msg) this.worker.postMessage(msg);
    return p;
  }
  terminate(): Promise<unknown> {
    this.pending = undefined;
    this.dead ??= new Error('terminated');
    return this.worker.terminate().catch(() => undefined);
  }
}

/** What the gradient stepper needs besides the model. */
export type GradientStepperOptions = Omit<GradOptions, 'dropoutSeed'> & {
  kind: LocalModelKind;
  seed: number;
  batchSize: number;
  /** The model's dropout rate (workers build the same model); 0 or absent = none. */
  dropout?: number;
};

/**
 * Starts `threads - 1` workers (none for one thread) and returns the stepper; undefined when
 * workers are asked for but the worker script is not built (the caller falls back to one
 * thread). Workers are terminated by `dispose`, and also here if start-up fails.
 */
export async function gradientStepper(
  model: LayersModel,
  opts: GradientStepperOptions,
  threads: number,
  backend?: BackendName,
): Promise<ParallelStepper | undefined> {
  const script = threads > 1 ? cnnWorkerScript() : undefined;
  if (threads > 1 && (!script || !backend)) return undefined;
  threads = Math.max(1, threads);
  const grad: GradOptions = {
    inputShape: opts.inputShape,
    numClasses: opts.numClasses,
    l2: opts.l2,
    dropoutSeed: deriveSeed(opts.seed, 'dropout'),
  };
  const program = trainingGradProgram(model, grad);
  const P = program.layout.total;
  const F = opts.inputShape.reduce((a, b) => a * b, 1);
  const params = new Float32Array(new SharedArrayBuffer(P * 4));
  program.getWeights(params);
  // Shared: the workers read every thread's gradients and Adam's moments for their range of the update.
  const shared = () => new Float32Array(new SharedArrayBuffer(P * 4));
  const mainGrad = shared();
  const moments = { m: shared(), v: shared() };
  const optimizer = adam(P, {}, moments);
  const workerGrads = Array.from({ length: threads - 1 }, () => new SharedArrayBuffer(P * 4));
  const parts: { link: WorkerLink; grads: Float32Array; x: Float32Array; y: Int32Array; cap: number }[] = [];
  const ensureCapacity = (part: (typeof parts)[number], rows: number) => {
    if (rows > part.cap) throw new Error(`batch slice of ${rows} rows exceeds the worker buffer (${part.cap})`);
  };
  // Inputs are sized for the largest slice of the configured batch; larger batches are refused.
  const cap = Math.ceil(opts.batchSize / threads) + 1;
  try {
    for (let i = 1; i < threads; i++) {
      const data: CnnWorkerData = {
        backend: backend!,
        kind: opts.kind,
        numClasses: opts.numClasses,
        seed: opts.seed,
        dropout: opts.dropout ?? 0,
        grad,
        total: P,
        warmupRows: Math.ceil(opts.batchSize / threads),
        params: params.buffer as SharedArrayBuffer,
        grads: workerGrads[i - 1],
        x: new SharedArrayBuffer(cap * F * 4),
        y: new SharedArrayBuffer(cap * 4),
        adam: {
          m: moments.m.buffer as SharedArrayBuffer,
          v: moments.v.buffer as SharedArrayBuffer,
          grads: [mainGrad.buffer as SharedArrayBuffer, ...workerGrads],
          config: optimizer.config,
        },
      };
      const link = new WorkerLink(new Worker(script!, { workerData: data }));
      parts.push({
        link,
        grads: new Float32Array(data.grads),
        x: new Float32Array(data.x),
        y: new Int32Array(data.y),
        cap,
      });
    }
    const ready = Promise.all(parts.map((p) => p.link.next()));
    // Warm this thread for its slice shape too (the workers do the same at start-up): a new batch
    // shape costs the first steps 2-3x (kernel set-up, JIT). Gradients only; no weight changes.
    const own = sliceBounds(opts.batchSize, threads)[1];
    for (let i = 0; threads > 1 && own > 0 && i < 2; i++)
      program.gradients(new Float32Array(own * F), new Int32Array(own), own, mainGrad);
    await ready;
  } catch (e) {
    await Promise.all(parts.map((p) => p.link.terminate()));
    throw e;
  }

  const grad32 = new Float32Array(P); // gradients(): the averaged gradient, for tests and callers
  let steps = 0;
  /** Adam's ranges: thread i (0 = this one) updates weights [r[i], r[i+1]). */
  const adamBounds = sliceBounds(P, threads);

  /**
   * Runs every slice (this thread's while the workers run theirs); the per-slice gradients stay
   * where they were written.
   */
  const computeSlices = async (x: Float32Array, y: Int32Array, n: number, step: number | undefined) => {
    const b = sliceBounds(n, threads);
    const replies = parts.map((part, j) => {
      const lo = b[j + 1];
      const rows = b[j + 2] - lo;
      if (rows === 0) return undefined;
      ensureCapacity(part, rows);
      part.x.set(x.subarray(lo * F, (lo + rows) * F));
      part.y.set(y.subarray(lo, lo + rows));
      return part.link.next({ n: rows, step, offset: lo });
    });
    const noise = step === undefined ? undefined : { step, offset: 0 };
    const own = b[1] > 0 ? program.gradients(x, y, b[1], mainGrad, noise) : { loss: 0, hits: 0 };
    const outs = await Promise.all(replies);
    // Slice order, weighted by slice size: the mean over the whole batch.
    const slices = [
      { index: 0, grad: mainGrad, weight: b[1] / n, r: own },
      ...parts.map((part, j) => ({
        index: j + 1,
        grad: part.grads,
        weight: (b[j + 2] - b[j + 1]) / n,
        r: outs[j] ?? { loss: 0, hits: 0 },
      })),
    ].filter((s) => s.weight > 0);
    let loss = 0;
    let hits = 0;
    for (const s of slices) {
      loss += s.weight * s.r.loss;
      hits += s.r.hits;
    }
    return { loss, hits, slices };
  };

  const gradients = async (x: Float32Array, y: Int32Array, n: number, step?: number) => {
    const { loss, hits, slices } = await computeSlices(x, y, n, step);
    grad32.fill(0);
    for (const { grad, weight } of slices) for (let k = 0; k < P; k++) grad32[k] += weight * grad[k];
    return { loss, hits, grad: grad32 };
  };

  return {
    threads,
    gradients,
    async step(x, y, n, lr) {
      // Each step draws its own dropout masks: steps are numbered from 0 in the order they run.
      const { loss, hits, slices } = await computeSlices(x, y, n, steps++);
      // Averaging and Adam in one pass over the weights, split over the threads: each updates its
      // own range (elementwise, so the weights are exactly those of one whole pass).
      const t = optimizer.begin();
      const weights = slices.map((s) => ({ index: s.index, weight: s.weight }));
      const done = parts.map((part, j) =>
        part.link.next({ adam: { lr, t, lo: adamBounds[j + 1], hi: adamBounds[j + 2], parts: weights } }),
      );
      adamRange({ params, parts: slices, lr, t, moments, config: optimizer.config, lo: 0, hi: adamBounds[1] });
      await Promise.all(done);
      program.setWeights(params); // the workers read `params` at their next step
      return { loss, hits };
    },
    sync: () => program.writeModel(),
    async dispose() {
      await Promise.all(parts.map((p) => p.link.terminate()));
    },
  };
}
