/**
 * Convolution gradient kernels built from kernels the backend already has.
 *
 * tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter`, so a CNN cannot train on wasm out of the box,
 * and its `Conv2DBackpropInput` is a naive loop (~500 ms per batch for our second conv layer).
 * The cpu backend's filter gradient is pathologically slow too (41 s of a 44 s batch). For stride 1,
 * VALID padding, dilation 1 and NHWC both gradients are plain convolutions:
 *   dW = transpose(conv2d(transpose(x,[3,1,2,0]), transpose(dy,[1,2,0,3])), [1,2,0,3])
 *   dx = conv2d(pad(dy, k-1), transpose(reverse(W,[0,1]), [0,1,3,2]))
 * (measured: dW max rel diff 4.2e-6, dx 2.4e-6 against cpu; see local-training-measurements.md).
 * On wasm, a filter gradient with few input channels (the first layer: 1) is instead one matrix
 * product dW = patches^T · dy, with the transposed patch matrix written in JS straight onto the
 * wasm heap: the batch-as-channels convolution above has a single input channel there and ran at
 * a quarter of the speed (first-layer dW, batch 64: 10.8 ms -> 2.9 ms).
 */
import { tfCore as tf } from './tfjs-modules.js';
import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { InternalError } from '../../../errors/index.js';

type Backend = KernelBackend & { disposeData(dataId: object, force?: boolean): boolean };
/** What the wasm backend offers kernels written in JS. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

/** Input channels up to which the patch-matrix product beats the batch-as-channels convolution. */
const PATCH_MATMUL_MAX_CHANNELS = 4;
type Attrs = Record<string, unknown>;

/** Why a conv configuration cannot use the shim, or undefined when it can. */
export function unsupportedConvReason(attrs: Attrs): string | undefined {
  const strides = attrs.strides as number | [number, number];
  const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
  if (sh !== 1 || sw !== 1) return `stride ${sh}x${sw} (only stride 1 is supported)`;
  const pad = attrs.pad;
  if (!(pad === 'valid' || pad === 0)) return `padding ${JSON.stringify(pad)} (only VALID padding is supported)`;
  const dil = attrs.dilations as number | [number, number] | undefined;
  if (dil !== undefined) {
    const [dh, dw] = typeof dil === 'number' ? [dil, dil] : dil;
    if (dh !== 1 || dw !== 1) return `dilation ${dh}x${dw} (only dilation 1 is supported)`;
  }
  const fmt = attrs.dataFormat ?? 'NHWC';
  if (fmt !== 'NHWC' && fmt !== 'channelsLast') return `data format ${String(fmt)} (only NHWC is supported)`;
  return undefined;
}

/** Runs another kernel of the same backend directly (no tape, no engine bookkeeping). */
function runner(backendName: string) {
  return (name: string, backend: Backend, inputs: Record<string, TensorInfo>, attrs: Attrs = {}): TensorInfo => {
    const k = tf.getKernel(name, backendName);
    if (!k) throw new InternalError('KERNEL_MISSING', `tfjs backend '${backendName}' has no '${name}' kernel`);
    // The shims only call kernels that return a single TensorInfo.
    return k.kernelFunc({ inputs, backend, attrs } as never) as TensorInfo;
  };
}

function conv(run: ReturnType<typeof runner>, backend: Backend, x: TensorInfo, filter: TensorInfo): TensorInfo {
  return run(
    'Conv2D',
    backend,
    { x, filter },
    {
      strides: [1, 1],
      pad: 'valid',
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: undefined,
    },
  );
}

/**
 * The transposed patch matrix of x for a KHxKW stride-1 VALID convolution, on the wasm heap:
 * row k = (kh*KW + kw)*C + c, column r = (b*OH + oy)*OW + ox, value x[b, oy+kh, ox+kw, c].
 */
function patchesTransposed(heap: WasmHeap, x: TensorInfo, kh: number, kw: number): TensorInfo {
  const [B, H, W, C] = x.shape;
  const OH = H - kh + 1;
  const OW = W - kw + 1;
  const R = B * OH * OW;
  // Allocate before taking heap views: allocation may grow (and detach) the wasm memory.
  const out = heap.makeOutput([kh * kw * C, R], 'float32');
  const src = heap.typedArrayFromHeap(x);
  const dst = heap.typedArrayFromHeap(out);
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < OH; oy++) {
      const r0 = (b * OH + oy) * OW;
      for (let i = 0; i < kh; i++) {
        const row = (b * H + oy + i) * W * C;
        for (let j = 0; j < kw; j++) {
          for (let c = 0; c < C; c++) {
            const o = ((i * kw + j) * C + c) * R + r0;
            let s = row + j * C + c;
            for (let ox = 0; ox < OW; ox++, s += C) dst[o + ox] = src[s];
          }
        }
      }
    }
  }
  return out;
}

/** dW = patches^T · dy as one BatchMatMul (wasm; few input channels). */
function filterGradByPatches(
  run: ReturnType<typeof runner>,
  b: Backend,
  x: TensorInfo,
  dy: TensorInfo,
  filterShape: number[],
): TensorInfo {
  const [kh, kw] = filterShape;
  const [B, OH, OW, CO] = dy.shape;
  const pt = patchesTransposed(b as unknown as WasmHeap, x, kh, kw);
  const rows = B * OH * OW;
  const prod = run(
    'BatchMatMul',
    b,
    { a: { ...pt, shape: [1, pt.shape[0], rows] }, b: { ...dy, shape: [1, rows, CO] } },
    {
      transposeA: false,
      transposeB: false,
    },
  );
  b.disposeData(pt.dataId);
  return { ...prod, shape: [...filterShape] };
}

/** dW for stride 1 / VALID: a convolution of x (batch as channels) with dy (batch as in-channels). */
function filterGradKernel(backendName: string): KernelFunc {
  const run = runner(backendName);
  return ({ inputs, backend, attrs }) => {
    const reason = unsupportedConvReason(attrs as Attrs);
    if (reason) {
      throw new InternalError(
        'CONV_GRAD_UNSUPPORTED',
        `Conv2DBackpropFilter on the ${backendName} backend supports only ` +
          `stride 1, VALID padding, dilation 1, NHWC; got ${reason}`,
        { hint: 'use --backend cpu for other convolution shapes' },
      );
    }
    const b = backend as Backend;
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const filterShape = (attrs as Attrs).filterShape as number[];
    if (
      backendName === 'wasm' &&
      x.dtype === 'float32' &&
      dy.dtype === 'float32' &&
      x.shape[3] <= PATCH_MATMUL_MAX_CHANNELS
    ) {
      return filterGradByPatches(run, b, x, dy, filterShape);
    }
    const xt = run('Transpose', b, { x }, { perm: [3, 1, 2, 0] });
    const dyt = run('Transpose', b, { x: dy }, { perm: [1, 2, 0, 3] });
    const c = conv(run, b, xt, dyt);
    const out = run('Transpose', b, { x: c }, { perm: [1, 2, 0, 3] });
    for (const t of [xt, dyt, c]) b.disposeData(t.dataId);
    return out;
  };
}

/** transpose(reverse(W, [0, 1]), [0, 1, 3, 2]) with the backend's kernels. */
function flipSwapByKernels(run: ReturnType<typeof runner>, b: Backend, filter: TensorInfo): TensorInfo {
  const flipped = run('Reverse', b, { x: filter }, { dims: [0, 1] });
  const swapped = run('Transpose', b, { x: flipped }, { perm: [0, 1, 3, 2] });
  b.disposeData(flipped.dataId);
  return swapped;
}

/**
 * The same on the wasm heap in one JS pass: out[i, j, o, c] = W[kh-1-i, kw-1-j, c, o]. The wasm
 * Reverse kernel took 0.6 ms for a 3x3x32x64 filter, 2-3% of a CNN gradient step; this is a copy.
 */
function flipSwapOnHeap(b: Backend & WasmHeap, filter: TensorInfo): TensorInfo {
  const [kh, kw, ci, co] = filter.shape;
  const out = b.makeOutput([kh, kw, co, ci], 'float32'); // allocate before taking views
  const w = b.typedArrayFromHeap(filter);
  const o = b.typedArrayFromHeap(out);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) {
      const src = ((kh - 1 - i) * kw + (kw - 1 - j)) * ci * co;
      const dst = (i * kw + j) * co * ci;
      for (let c = 0; c < ci; c++) for (let k = 0; k < co; k++) o[dst + k * ci + c] = w[src + c * co + k];
    }
  return out;
}

/** dx for stride 1 / VALID: a full convolution of dy with the flipped, in/out-swapped filter. */
function inputGradKernel(backendName: string, fallback: KernelFunc | undefined): KernelFunc {
  const run = runner(backendName);
  return (args) => {
    const { inputs, backend, attrs } = args;
    const reason = unsupportedConvReason(attrs as Attrs);
    if (reason) {
      if (fallback) return fallback(args);
      throw new InternalError('CONV_GRAD_UNSUPPORTED', `Conv2DBackpropInput on ${backendName}: ${reason}`);
    }
    const b = backend as Backend;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const [kh, kw] = filter.shape;
    const padded = run(
      'PadV2',
      b,
      { x: dy },
      {
        paddings: [
          [0, 0],
          [kh - 1, kh - 1],
          [kw - 1, kw - 1],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
    const swapped =
      backendName === 'wasm' && filter.dtype === 'float32'
        ? flipSwapOnHeap(b as Backend & WasmHeap, filter)
        : flipSwapByKernels(run, b, filter);
    const out = conv(run, b, padded, swapped);
    for (const t of [padded, swapped]) b.disposeData(t.dataId);
    return out;
  };
}

const registered = new Set<string>();

/**
 * Registers the shims for `backendName` ('wasm' or 'cpu'; idempotent). Call after the backend is
 * initialised. On wasm both kernels are replaced; on cpu only the filter gradient (cpu's own input
 * gradient is faster than the shim there). Unsupported configurations: the filter kernel throws
 * CONV_GRAD_UNSUPPORTED; the input kernel falls back to the backend's original kernel.
 */
export function registerConvGradKernels(backendName: string): void {
  if (registered.has(backendName)) return;
  registered.add(backendName);
  const replace = (kernelName: string, make: (original: KernelFunc | undefined) => KernelFunc) => {
    const original = tf.getKernel(kernelName, backendName);
    if (original) tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({ kernelName, backendName, kernelFunc: make(original?.kernelFunc) });
  };
  replace('Conv2DBackpropFilter', () => filterGradKernel(backendName));
  if (backendName === 'wasm') replace('Conv2DBackpropInput', (orig) => inputGradKernel(backendName, orig));
}
