/**
 * The first conv's sparse filter and bias gradients: the 3x3 single-channel fast path against the
 * general loop, to the bit, on random activations (ties, zeros, negatives), odd and even sizes, with
 * and without a ReLU; and both against a plain dense reference (conv-output gradient routed through
 * the max pool, then summed over every position).
 */
import { describe, expect, it } from 'vitest';
import {
  firstConvGrads,
  firstConvGrads3x3,
  firstConvGradsGeneral,
  type FirstConvGradsInput,
} from '../../../../../src/adapters/tfjs/train/first-conv-grads.js';
import { mulberry32 } from '../../../../../src/domain/random.js';

function case_(seed: number, B: number, IH: number, IW: number, C: number, relu: boolean, kh = 3, kw = 3, CI = 1) {
  const rnd = mulberry32(seed);
  const H = IH - kh + 1;
  const W = IW - kw + 1;
  // Activations on a coarse grid so that ties inside a pooling window happen; a quarter exact zeros.
  const a = Float32Array.from({ length: B * H * W * C }, () => (rnd() < 0.25 ? 0 : Math.round((rnd() - 0.4) * 8) / 4));
  const g = Float32Array.from({ length: B * (H >> 1) * (W >> 1) * C }, () => (rnd() < 0.1 ? 0 : rnd() - 0.5));
  const x = Float32Array.from({ length: B * IH * IW * CI }, () => (rnd() < 0.5 ? 0 : rnd()));
  const P = kh * kw * CI * C + C;
  const input = (out: Float32Array): FirstConvGradsInput => ({
    a,
    aShape: [B, H, W, C],
    g,
    x,
    xShape: [B, IH, IW, CI],
    relu,
    kh,
    kw,
    out,
    wOffset: 0,
    bOffset: kh * kw * CI * C,
  });
  return { input, P, a, g, x, H, W };
}

/** Dense reference: the conv-output gradient (pool routing to the first maximum, ReLU mask), summed. */
function reference(c: ReturnType<typeof case_>, B: number, IW: number, C: number, relu: boolean, IH: number) {
  const { a, g, x, H, W } = c;
  const OH = H >> 1;
  const OW = W >> 1;
  const dw = new Float64Array(9 * C);
  const db = new Float64Array(C);
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let ch = 0; ch < C; ch++) {
          let best = [0, 0];
          let v = -Infinity;
          for (const [dy, dx] of [
            [0, 0],
            [0, 1],
            [1, 0],
            [1, 1],
          ]) {
            const av = a[((b * H + 2 * oy + dy) * W + 2 * ox + dx) * C + ch];
            if (av > v) [v, best] = [av, [dy, dx]];
          }
          const gv = g[((b * OH + oy) * OW + ox) * C + ch];
          if (relu && !(v > 0)) continue;
          db[ch] += gv;
          for (let i = 0; i < 3; i++)
            for (let j = 0; j < 3; j++)
              dw[(i * 3 + j) * C + ch] += gv * x[(b * IH + 2 * oy + best[0] + i) * IW + 2 * ox + best[1] + j];
        }
  return [...dw, ...db];
}

describe('first conv gradients', () => {
  it('the 3x3 fast path equals the general loop to the bit, and a dense reference to float32', () => {
    let n = 0;
    for (const [B, IH, IW, C] of [
      [4, 28, 28, 32],
      [3, 27, 29, 5],
      [1, 6, 7, 1],
      [2, 9, 8, 3],
    ])
      for (const relu of [true, false]) {
        const c = case_(1000 + n++, B, IH, IW, C, relu);
        const fast = new Float32Array(c.P);
        const general = new Float32Array(c.P);
        const viaDispatch = new Float32Array(c.P);
        firstConvGrads3x3(c.input(fast));
        firstConvGradsGeneral(c.input(general));
        firstConvGrads(c.input(viaDispatch));
        expect(Buffer.from(fast.buffer).equals(Buffer.from(general.buffer))).toBe(true);
        expect(Buffer.from(viaDispatch.buffer).equals(Buffer.from(general.buffer))).toBe(true);
        const ref = reference(c, B, IW, C, relu, IH);
        expect(Math.max(...ref.map((r, i) => Math.abs(r - fast[i])))).toBeLessThan(1e-5);
        expect(fast.some((v) => v !== 0)).toBe(true);
      }
  });

  it('other kernel sizes and channel counts take the general loop', () => {
    const c = case_(7, 2, 10, 10, 4, true, 5, 5, 2);
    const viaDispatch = new Float32Array(c.P);
    const general = new Float32Array(c.P);
    firstConvGrads(c.input(viaDispatch));
    firstConvGradsGeneral(c.input(general));
    expect(Buffer.from(viaDispatch.buffer).equals(Buffer.from(general.buffer))).toBe(true);
  });
});
