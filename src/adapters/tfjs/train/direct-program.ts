/**
 * A hand-written forward and backward pass of a plain sequential CNN on the wasm backend: the same
 * maths as tfjs autodiff (grad-program.ts), but the wasm kernels are called directly on the wasm
 * heap, with no tape, no engine bookkeeping and no tensors. Autodiff spends about a quarter of a
 * CNN step outside arithmetic (Identity/Add/Cast/Step/Multiply kernels of the gradient graph,
 * tensor creation, tidy, dataSync copies); here a step is the convolutions, the matrix products,
 * pooling and a few JS loops (ReLU masks, bias sums, the softmax cross-entropy).
 *
 * Supported layers (anything else: `directGradProgram` returns undefined and the caller keeps
 * autodiff): Conv2D (stride 1, VALID, dilation 1, channels-last, ReLU or linear, with bias),
 * MaxPooling2D (2x2, stride 2, VALID), Flatten, Dense (ReLU or linear, with bias), Dropout (no noise
 * shape; masks from domain/dropout-mask.ts, the same autodiff draws).
 * Differential test against autodiff: test/unit/adapters/tfjs/train/direct-program.test.ts.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { dropoutMask } from '../../../domain/dropout-mask.js';
import { InternalError } from '../../../errors/index.js';
import { firstConvGrads } from './first-conv-grads.js';
import { gradProgram, weightLayout, type GradNoise, type GradOptions, type GradProgram } from './grad-program.js';
import { requireTfjs } from '../runtime/tfjs-modules.js';

const tf = requireTfjs();

/** What the wasm backend offers code that works on its heap. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number, values?: Float32Array): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

type Act = 'relu' | 'linear';
type Op =
  | { kind: 'conv'; act: Act; kh: number; kw: number; w: number; b: number }
  | { kind: 'pool' }
  | { kind: 'flatten' }
  | { kind: 'dense'; act: Act; w: number; b: number }
  | { kind: 'dropout'; rate: number; site: number };

/** Input channels up to which a first conv's filter gradient is summed sparsely (firstConvGrads). */
const FIRST_CONV_MAX_CHANNELS = 4;

const pairOf = (v: unknown): [number, number] =>
  Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number];

/** The model as a list of supported ops (weight indices into `trainableWeights`), or why not. */
export function directPlan(model: LayersModel): Op[] | string {
  const ops: Op[] = [];
  let wi = 0;
  let sites = 0;
  const names = model.trainableWeights.map((w) => w.name);
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Record<string, unknown>;
    const act = cfg.activation as string | undefined;
    if (act !== undefined && act !== 'relu' && act !== 'linear') return `${layer.name}: activation ${act}`;
    const owns = layer.trainableWeights.map((w) => w.name);
    if (cls === 'Conv2D' || cls === 'Dense') {
      if (!cfg.useBias) return `${layer.name}: no bias`;
      if (owns.length !== 2 || names[wi] !== owns[0] || names[wi + 1] !== owns[1])
        return `${layer.name}: unexpected weights`;
      if (cls === 'Conv2D') {
        const [sh, sw] = pairOf(cfg.strides);
        const [dh, dw] = pairOf(cfg.dilationRate);
        if (
          sh !== 1 ||
          sw !== 1 ||
          dh !== 1 ||
          dw !== 1 ||
          cfg.padding !== 'valid' ||
          cfg.dataFormat !== 'channelsLast'
        )
          return `${layer.name}: only stride 1, dilation 1, VALID, channels-last convolutions`;
        const [kh, kw] = pairOf(cfg.kernelSize);
        ops.push({ kind: 'conv', act: act as Act, kh, kw, w: wi, b: wi + 1 });
      } else {
        ops.push({ kind: 'dense', act: act as Act, w: wi, b: wi + 1 });
      }
      wi += 2;
    } else if (cls === 'MaxPooling2D') {
      const [ph, pw] = pairOf(cfg.poolSize);
      const [sh, sw] = pairOf(cfg.strides ?? cfg.poolSize);
      if (ph !== 2 || pw !== 2 || sh !== 2 || sw !== 2 || cfg.padding !== 'valid' || cfg.dataFormat !== 'channelsLast')
        return `${layer.name}: only 2x2 stride-2 VALID pooling`;
      ops.push({ kind: 'pool' });
    } else if (cls === 'Flatten') {
      ops.push({ kind: 'flatten' });
    } else if (cls === 'Dropout') {
      if (cfg.noiseShape != null) return `${layer.name}: dropout with a noise shape`;
      ops.push({ kind: 'dropout', rate: cfg.rate as number, site: sites++ });
    } else {
      return `${layer.name}: layer ${cls}`;
    }
    if (owns.length > 0 && cls !== 'Conv2D' && cls !== 'Dense') return `${layer.name}: unexpected weights`;
  }
  if (wi !== names.length) return 'weights outside the supported layers';
  return ops;
}

/**
 * The direct gradient program of `model`, or undefined when the active backend is not wasm or
 * the model has a layer it does not support.
 */
export function directGradProgram(model: LayersModel, opts: GradOptions): GradProgram | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const plan = directPlan(model);
  if (typeof plan === 'string') return undefined;
  const layout = weightLayout(model);
  const backend = tf.backend() as unknown as WasmHeap & KernelBackend;
  const kernelOf = (name: string) => {
    const k = tf.getKernel(name, 'wasm');
    if (!k) throw new InternalError('KERNEL_MISSING', `tfjs backend 'wasm' has no '${name}' kernel`);
    return k.kernelFunc;
  };
  const K = {
    conv: kernelOf('FusedConv2D'),
    matmul: kernelOf('_FusedMatMul'),
    batchMatMul: kernelOf('BatchMatMul'),
    pool: kernelOf('MaxPool'),
    poolGrad: kernelOf('MaxPoolGrad'),
    filterGrad: kernelOf('Conv2DBackpropFilter'),
    inputGrad: kernelOf('Conv2DBackpropInput'),
  };
  const run = (k: (typeof K)[keyof typeof K], inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>) =>
    k({ inputs, backend, attrs } as never) as TensorInfo;
  const kernelIdx = model.trainableWeights.flatMap((w, i) => (w.name.includes('kernel') ? [i] : []));
  const features = opts.inputShape.reduce((a, b) => a * b, 1);
  const w = new Float32Array(layout.total);
  const syncFromModel = () =>
    model.trainableWeights.forEach((v, i) => w.set(v.read().dataSync() as Float32Array, layout.offsets[i]));
  syncFromModel();
  const convAttrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] };
  const poolAttrs = { filterSize: [2, 2], strides: [2, 2], pad: 'valid' };
  const view = (t: TensorInfo) => backend.typedArrayFromHeap(t);
  const upload = (shape: number[], values: Float32Array) => backend.makeOutput(shape, 'float32', undefined, values);

  /** dy * (a > 0), in place on dy (a is the ReLU's output: a > 0 exactly where its input was). */
  const reluMask = (dy: TensorInfo, a: TensorInfo) => {
    const g = view(dy);
    const v = view(a);
    for (let i = 0; i < g.length; i++) if (!(v[i] > 0)) g[i] = 0;
  };
  /** Sum of dy over every axis but the last (a bias gradient), into out at offset. */
  const biasGrad = (dy: TensorInfo, out: Float32Array, offset: number) => {
    const g = view(dy);
    const c = dy.shape[dy.shape.length - 1];
    const acc = new Float64Array(c);
    for (let i = 0; i < g.length; i += c) for (let j = 0; j < c; j++) acc[j] += g[i + j];
    for (let j = 0; j < c; j++) out[offset + j] = acc[j];
  };

  /**
   * dL/d(conv output) from dL/d(pool output) for a 2x2/stride-2 VALID max pool over a conv's
   * output `a` (an odd last row or column is in no window: zero gradient). Each window's gradient
   * goes to its first maximum (as tfjs's MaxPoolGrad does), times the ReLU's mask (a > 0) when
   * `relu`; the masked gradient's sum per channel is the conv's bias gradient, written into out at
   * `biasOffset`. Every output element is written once (no mask or bias pass).
   */
  const poolGradReluBias = (dy: TensorInfo, a: TensorInfo, relu: boolean, out: Float32Array, biasOffset: number) => {
    const [B, H, W, C] = a.shape;
    const OH = H >> 1;
    const OW = W >> 1;
    const dx = backend.makeOutput([B, H, W, C], 'float32'); // allocate before taking views
    const av = view(a);
    const g = view(dy);
    const d = view(dx);
    if (H % 2 === 1 || W % 2 === 1) d.fill(0); // the last row/column is in no window
    const acc = new Float64Array(C);
    const row = W * C;
    for (let b = 0; b < B; b++) {
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          const o00 = ((b * H + 2 * oy) * W + 2 * ox) * C;
          const o01 = o00 + C;
          const o10 = o00 + row;
          const o11 = o10 + C;
          const go = ((b * OH + oy) * OW + ox) * C;
          for (let c = 0; c < C; c++) {
            const v00 = av[o00 + c];
            const v01 = av[o01 + c];
            const v10 = av[o10 + c];
            const v11 = av[o11 + c];
            let best = 0;
            let v = v00;
            if (v01 > v) {
              v = v01;
              best = 1;
            }
            if (v10 > v) {
              v = v10;
              best = 2;
            }
            if (v11 > v) {
              v = v11;
              best = 3;
            }
            const gv = relu && !(v > 0) ? 0 : g[go + c];
            acc[c] += gv;
            d[o00 + c] = best === 0 ? gv : 0;
            d[o01 + c] = best === 1 ? gv : 0;
            d[o10 + c] = best === 2 ? gv : 0;
            d[o11 + c] = best === 3 ? gv : 0;
          }
        }
      }
    }
    for (let c = 0; c < C; c++) out[biasOffset + c] = acc[c];
    return dx;
  };

  /** [r, c] -> [c, r] from one heap tensor into a new one. */
  const transpose2 = (t: TensorInfo, shape: number[]) => {
    const [r, c] = t.shape.slice(-2);
    const o = backend.makeOutput(shape, 'float32'); // allocate before taking views
    const src = view(t);
    const dst = view(o);
    for (let i = 0; i < r; i++) for (let j = 0, s = i * c; j < c; j++) dst[j * r + i] = src[s + j];
    return o;
  };
  /**
   * dx = dy · W^T of a dense layer as (W · dy^T)^T: only the small dy and dx are transposed, never
   * the large W (the transposed-operand product transposes and repacks all of W every step).
   */
  const denseInputGrad = (dy: TensorInfo, wk: TensorInfo) => {
    const [n, outF] = dy.shape;
    const inF = wk.shape[0];
    const dyT = transpose2(dy, [1, outF, n]);
    const prod = run(
      K.batchMatMul,
      { a: { ...wk, shape: [1, inF, outF] }, b: dyT },
      { transposeA: false, transposeB: false },
    );
    const dx = transpose2({ ...prod, shape: [inF, n] }, [n, inF]);
    backend.disposeData(dyT.dataId);
    backend.disposeData(prod.dataId);
    return dx;
  };

  /**
   * a * mask of a dropout op (a new heap tensor), the masks of this step's examples (`noise.offset`
   * + i in the whole batch) kept in `masks` for the backward pass.
   */
  const dropoutForward = (a: TensorInfo, op: Op & { kind: 'dropout' }, n: number, noise: GradNoise) => {
    const units = a.shape.slice(1).reduce((p, q) => p * q, 1);
    const mask = new Float32Array(n * units);
    const draw = { seed: opts.dropoutSeed ?? 0, step: noise.step };
    for (let i = 0; i < n; i++) dropoutMask(draw, noise.offset + i, op.site, op.rate, units, mask, i * units);
    const o = backend.makeOutput([...a.shape], 'float32'); // allocate before taking views
    const av = view(a);
    const ov = view(o);
    for (let i = 0; i < mask.length; i++) ov[i] = av[i] * mask[i];
    return { o, mask };
  };

  return {
    layout,
    gradients(x, y, n, out, noise) {
      const owned: TensorInfo[] = [];
      const keep = (t: TensorInfo) => (owned.push(t), t);
      const masks: (Float32Array | undefined)[] = [];
      try {
        // Weights: fresh heap tensors every step (XNNPACK packs a filter when its operator is made
        // and caches the operator per tensor, so weights must never change in place).
        const wt = layout.shapes.map((s, i) =>
          keep(upload(s, w.subarray(layout.offsets[i], layout.offsets[i] + layout.sizes[i]))),
        );
        // Forward: keep every op's input and output for the backward pass.
        const acts: TensorInfo[] = [keep(upload([n, ...opts.inputShape], x.subarray(0, n * features)))];
        for (const op of plan) {
          const a = acts[acts.length - 1];
          if (op.kind === 'conv') {
            acts.push(
              keep(run(K.conv, { x: a, filter: wt[op.w], bias: wt[op.b] }, { ...convAttrs, activation: op.act })),
            );
          } else if (op.kind === 'pool') {
            acts.push(keep(run(K.pool, { x: a }, poolAttrs)));
          } else if (op.kind === 'flatten') {
            acts.push({ ...a, shape: [n, a.shape.slice(1).reduce((p, q) => p * q, 1)] }); // same data
          } else if (op.kind === 'dropout') {
            // Without noise (warm-up, tests of the plain maths) a dropout layer passes values through.
            if (!noise || op.rate === 0) acts.push(a);
            else {
              const { o, mask } = dropoutForward(a, op, n, noise);
              masks[acts.length - 1] = mask;
              acts.push(keep(o));
            }
          } else {
            // The wasm kernel takes rank-3 operands (tfjs-core's fused.matMul reshapes them so).
            const [, inF] = a.shape;
            const outF = layout.shapes[op.w][1];
            const prod = keep(
              run(
                K.matmul,
                { a: { ...a, shape: [1, n, inF] }, b: { ...wt[op.w], shape: [1, inF, outF] }, bias: wt[op.b] },
                { transposeA: false, transposeB: false, activation: op.act },
              ),
            );
            acts.push({ ...prod, shape: [n, outF] });
          }
        }
        // Softmax cross-entropy, its hits and dL/dlogits = (softmax - onehot) / n, in JS.
        const logits = acts[acts.length - 1];
        const C = logits.shape[1];
        if (C !== opts.numClasses)
          throw new InternalError('BUG', `the model has ${C} outputs, expected ${opts.numClasses}`);
        let dy = keep(backend.makeOutput([n, C], 'float32'));
        const z = view(logits);
        const d = view(dy);
        let loss = 0;
        let hits = 0;
        for (let i = 0; i < n; i++) {
          const o = i * C;
          let max = -Infinity;
          let arg = 0;
          for (let k = 0; k < C; k++) if (z[o + k] > max) max = z[o + (arg = k)];
          let sum = 0;
          for (let k = 0; k < C; k++) sum += Math.exp(z[o + k] - max);
          const label = y[i];
          loss += Math.log(sum) - (z[o + label] - max);
          if (arg === label) hits++;
          for (let k = 0; k < C; k++) d[o + k] = (Math.exp(z[o + k] - max) / sum - (k === label ? 1 : 0)) / n;
        }
        loss /= n;
        // Backward, last op first.
        let convDone = false; // the pool below a conv already applied its ReLU mask and bias gradient
        for (let li = plan.length - 1; li >= 0; li--) {
          const op = plan[li];
          const input = acts[li];
          const output = acts[li + 1];
          const needDx = li > 0;
          if (op.kind === 'dense') {
            if (op.act === 'relu') reluMask(dy, output);
            const dW = run(K.batchMatMul, { a: input, b: dy }, { transposeA: true, transposeB: false });
            out.set(view(dW), layout.offsets[op.w]);
            backend.disposeData(dW.dataId);
            biasGrad(dy, out, layout.offsets[op.b]);
            if (needDx) dy = keep(denseInputGrad(dy, wt[op.w]));
          } else if (op.kind === 'flatten') {
            dy = { ...dy, shape: [...input.shape] };
          } else if (op.kind === 'dropout') {
            const mask = masks[li];
            if (mask) {
              const g = view(dy); // dy is this step's own tensor: scaled in place
              for (let i = 0; i < mask.length; i++) g[i] *= mask[i];
            }
          } else if (op.kind === 'pool') {
            const prev = plan[li - 1];
            if (prev?.kind === 'conv' && li === 1 && acts[0].shape[3] <= FIRST_CONV_MAX_CHANNELS) {
              const [ko, bo] = [layout.offsets[prev.w], layout.offsets[prev.b]];
              firstConvGrads({
                a: view(input),
                aShape: input.shape,
                g: view(dy),
                x: view(acts[0]),
                xShape: acts[0].shape,
                relu: prev.act === 'relu',
                kh: prev.kh,
                kw: prev.kw,
                out,
                wOffset: ko,
                bOffset: bo,
              });
              break; // the first conv is done: no gradient flows into the input
            }
            if (prev?.kind === 'conv') {
              // Pool gradient, the conv's ReLU mask and its bias gradient in one pass.
              dy = keep(poolGradReluBias(dy, input, prev.act === 'relu', out, layout.offsets[prev.b]));
              convDone = true;
            } else {
              dy = keep(run(K.poolGrad, { dy, input, output }, poolAttrs));
            }
          } else {
            if (!convDone) {
              if (op.act === 'relu') reluMask(dy, output);
              biasGrad(dy, out, layout.offsets[op.b]);
            }
            convDone = false;
            const filterShape = layout.shapes[op.w];
            const dW = run(K.filterGrad, { x: input, dy }, { ...convAttrs, filterShape });
            out.set(view(dW), layout.offsets[op.w]);
            backend.disposeData(dW.dataId);
            if (needDx)
              dy = keep(run(K.inputGrad, { dy, filter: wt[op.w] }, { ...convAttrs, inputShape: [...input.shape] }));
          }
        }
        if (opts.l2 > 0) {
          for (const i of kernelIdx) {
            const o = layout.offsets[i];
            let s = 0;
            for (let k = o; k < o + layout.sizes[i]; k++) {
              s += w[k] * w[k];
              out[k] += 2 * opts.l2 * w[k];
            }
            loss += opts.l2 * s;
          }
        }
        return { loss, hits };
      } finally {
        for (const t of owned) backend.disposeData(t.dataId);
      }
    },
    setWeights(flat) {
      w.set(flat.subarray(0, layout.total));
    },
    getWeights(outFlat) {
      outFlat.set(w);
    },
    writeModel() {
      model.trainableWeights.forEach((v, i) => {
        const t = tf.tensor(w.subarray(layout.offsets[i], layout.offsets[i] + layout.sizes[i]), layout.shapes[i]);
        v.write(t);
        t.dispose();
      });
    },
  };
}

/** The program training uses: the direct one where it applies, else tfjs autodiff. */
export function trainingGradProgram(model: LayersModel, opts: GradOptions): GradProgram {
  return directGradProgram(model, opts) ?? gradProgram(model, opts);
}
