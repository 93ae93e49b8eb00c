/**
 * Two more wasm training hot spots, rewritten as plain loops over the wasm heap:
 * - `MaxPoolGrad` for 2x2 windows, stride 2, VALID (~100 ms per CNN batch in wasm's kernel);
 * - `Sum` over the leading axes (bias gradients: [128,26,26,32] -> [32]), which wasm implements
 *   as a full transpose followed by a reduction (~40 ms per batch).
 * Anything else goes to wasm's original kernel.
 */
import { tfCore as tf } from './tfjs-modules.js';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}
type Args = { inputs: Record<string, TensorInfo>; attrs: Record<string, unknown>; backend: WasmBackend };

const pair = (v: unknown): [number, number] => (typeof v === 'number' ? [v, v] : (v as [number, number]));

/** dx of a 2x2/stride-2/VALID max pool: dy goes to the first maximum of each window (as cpu does). */
function maxPoolGrad2x2(backend: WasmBackend, dy: TensorInfo, input: TensorInfo): TensorInfo {
  const [B, H, W, C] = input.shape;
  const [, OH, OW] = dy.shape;
  // Allocate before taking heap views: allocation may grow (and detach) the wasm memory.
  const out = backend.makeOutput([...input.shape], 'float32');
  const x = backend.typedArrayFromHeap(input);
  const g = backend.typedArrayFromHeap(dy);
  const dx = backend.typedArrayFromHeap(out);
  dx.fill(0);
  const rowStride = W * C;
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const o00 = ((b * H + 2 * oy) * W + 2 * ox) * C;
        const o01 = o00 + C;
        const o10 = o00 + rowStride;
        const o11 = o10 + C;
        const go = ((b * OH + oy) * OW + ox) * C;
        for (let c = 0; c < C; c++) {
          let best = o00 + c;
          let v = x[best];
          if (x[o01 + c] > v) v = x[(best = o01 + c)];
          if (x[o10 + c] > v) v = x[(best = o10 + c)];
          if (x[o11 + c] > v) best = o11 + c;
          dx[best] += g[go + c];
        }
      }
    }
  }
  return out;
}

/** Sum of x over its first `k` axes: out[j] = sum_i x[i * inner + j]. */
function sumLeading(backend: WasmBackend, x: TensorInfo, k: number, keepDims: boolean): TensorInfo {
  const outer = x.shape.slice(0, k).reduce((a, b) => a * b, 1);
  const rest = x.shape.slice(k);
  const inner = rest.reduce((a, b) => a * b, 1);
  const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, k).map(() => 1), ...rest] : rest, 'float32');
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  // Float64 accumulators, four rows per pass: ~2x faster than one row at a time, and more exact.
  const acc = new Float64Array(inner);
  const i4 = outer - (outer % 4);
  for (let i = 0; i < i4; i += 4) {
    const o = i * inner;
    for (let j = 0; j < inner; j++)
      acc[j] += src[o + j] + src[o + inner + j] + src[o + 2 * inner + j] + src[o + 3 * inner + j];
  }
  for (let i = i4; i < outer; i++) {
    const o = i * inner;
    for (let j = 0; j < inner; j++) acc[j] += src[o + j];
  }
  dst.set(acc);
  return out;
}

let registered = false;

/** Replaces wasm's MaxPoolGrad and Sum with the fast paths above (idempotent). */
export function registerWasmPoolSumKernels(): void {
  if (registered) return;
  const pool = tf.getKernel('MaxPoolGrad', 'wasm');
  const sum = tf.getKernel('Sum', 'wasm');
  if (!pool || !sum) return;
  registered = true;
  const replace = (name: string, orig: KernelFunc, fast: (a: Args) => TensorInfo | undefined) => {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: (args) => fast(args as unknown as Args) ?? (orig(args) as TensorInfo),
    });
  };
  replace('MaxPoolGrad', pool.kernelFunc, ({ inputs, attrs, backend }) => {
    const { dy, input } = inputs;
    const [fh, fw] = pair(attrs.filterSize);
    const [sh, sw] = pair(attrs.strides);
    const ok = fh === 2 && fw === 2 && sh === 2 && sw === 2 && (attrs.pad === 'valid' || attrs.pad === 0);
    if (!ok || input.shape.length !== 4 || input.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
    return maxPoolGrad2x2(backend, dy, input);
  });
  replace('Sum', sum.kernelFunc, ({ inputs, attrs, backend }) => {
    const { x } = inputs;
    if (x.dtype !== 'float32' || x.shape.length < 2) return undefined;
    const rank = x.shape.length;
    if (attrs.axis === null || attrs.axis === undefined) return undefined; // all axes
    const axes = (Array.isArray(attrs.axis) ? attrs.axis : [attrs.axis])
      .map((a) => ((a as number) + rank) % rank)
      .sort((a, b) => a - b);
    const k = axes.length;
    if (k === 0 || k >= rank || axes.some((a, i) => a !== i)) return undefined;
    return sumLeading(backend, x, k, Boolean(attrs.keepDims));
  });
}
