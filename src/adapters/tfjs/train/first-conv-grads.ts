/**
 * The bias and filter gradients of a FIRST-layer conv with few input channels, straight from
 * dL/d(pool output) of the 2x2/stride-2 VALID max pool above it: after the pool (and the ReLU) at
 * most one position in four of the conv's output has a gradient, so dW = sum over those positions
 * of gradient x input patch is a quarter of the dense product's multiply-adds, needs no patch
 * matrix, and the conv's full-size gradient is never written (the first layer needs no input
 * gradient). Sums are in float64, each weight's terms added in (example, row, column) order.
 *
 * `firstConvGrads` picks the 3x3 single-channel fast path (the digit CNN's first layer: nine
 * running sums in locals instead of a float64 array, no copy of the input region) or the general
 * loop; both add the same terms in the same order, so they agree to the bit (differential test:
 * test/unit/adapters/tfjs/train/first-conv-grads.test.ts).
 */

export interface FirstConvGradsInput {
  /** The conv's output (after its activation), NHWC [B, H, W, C]. */
  a: Float32Array;
  aShape: readonly number[];
  /** dL/d(pool output), [B, H >> 1, W >> 1, C]. */
  g: Float32Array;
  /** The conv's input, NHWC [B, IH, IW, CI]. */
  x: Float32Array;
  xShape: readonly number[];
  /** The conv has a ReLU: positions whose pooled value is not above 0 get no gradient. */
  relu: boolean;
  kh: number;
  kw: number;
  /** Gradients are written into `out`: the filter [kh, kw, CI, C] at wOffset, the bias [C] at bOffset. */
  out: Float32Array;
  wOffset: number;
  bOffset: number;
}

export function firstConvGrads(p: FirstConvGradsInput): void {
  if (p.kh === 3 && p.kw === 3 && p.xShape[3] === 1) firstConvGrads3x3(p);
  else firstConvGradsGeneral(p);
}

/** Any kernel size and input channel count. */
export function firstConvGradsGeneral(p: FirstConvGradsInput): void {
  const { a: av, g, x: xv, relu, kh, kw, out, wOffset, bOffset } = p;
  const [B, H, W, C] = p.aShape;
  const [, IH, IW, CI] = p.xShape;
  const OH = H >> 1;
  const OW = W >> 1;
  const acc = new Float64Array(C);
  const KK = kh * kw * CI;
  const dw = new Float64Array(C * KK); // channel-major while summing: one channel's terms are adjacent
  const RW = (kw + 1) * CI;
  const region = new Float64Array((kh + 1) * RW); // the input under a window's 4 patches
  const row = W * C;
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        for (let i = 0; i <= kh; i++) {
          const xs = ((b * IH + 2 * oy + i) * IW + 2 * ox) * CI;
          for (let j = 0; j < RW; j++) region[i * RW + j] = xv[xs + j];
        }
        const o00 = ((b * H + 2 * oy) * W + 2 * ox) * C;
        const go = ((b * OH + oy) * OW + ox) * C;
        for (let c = 0; c < C; c++) {
          const gv0 = g[go + c];
          if (gv0 === 0) continue;
          let best = 0;
          let v = av[o00 + c];
          if (av[o00 + C + c] > v) {
            v = av[o00 + C + c];
            best = 1;
          }
          if (av[o00 + row + c] > v) {
            v = av[o00 + row + c];
            best = 2;
          }
          if (av[o00 + row + C + c] > v) {
            v = av[o00 + row + C + c];
            best = 3;
          }
          if (relu && !(v > 0)) continue;
          acc[c] += gv0;
          // The patch under output position (2oy + best>>1, 2ox + best&1), from the region.
          const base = (best >> 1) * RW + (best & 1) * CI;
          let k = c * KK;
          for (let i = 0; i < kh; i++) {
            const r = base + i * RW;
            for (let j = 0; j < kw * CI; j++) dw[k++] += gv0 * region[r + j];
          }
        }
      }
    }
  }
  for (let c = 0; c < C; c++) out[bOffset + c] = acc[c];
  for (let c = 0; c < C; c++) for (let k = 0; k < KK; k++) out[wOffset + k * C + c] = dw[c * KK + k];
}

/**
 * 3x3 kernel, one input channel. Loops run example, window row, channel, window column, so each
 * channel's nine sums stay in locals across a row of windows (the conv output rows under it are a
 * few KB: they stay in cache across the channels) and take their terms in the general loop's order.
 */
export function firstConvGrads3x3(p: FirstConvGradsInput): void {
  const { a: av, g, x: xv, relu, out, wOffset, bOffset } = p;
  const [B, H, W, C] = p.aShape;
  const [, IH, IW] = p.xShape;
  const OH = H >> 1;
  const OW = W >> 1;
  const acc = new Float64Array(C);
  const dw = new Float64Array(C * 9);
  const row = W * C;
  const C2 = 2 * C;
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < OH; oy++) {
      const xRow = (b * IH + 2 * oy) * IW; // the window row's input starts here
      const aRow = (b * H + 2 * oy) * W * C;
      const gRow = (b * OH + oy) * OW * C;
      for (let c = 0; c < C; c++) {
        let s = acc[c];
        const k = c * 9;
        let d0 = dw[k];
        let d1 = dw[k + 1];
        let d2 = dw[k + 2];
        let d3 = dw[k + 3];
        let d4 = dw[k + 4];
        let d5 = dw[k + 5];
        let d6 = dw[k + 6];
        let d7 = dw[k + 7];
        let d8 = dw[k + 8];
        for (let ox = 0, o00 = aRow + c, go = gRow + c, xs0 = xRow; ox < OW; ox++, o00 += C2, go += C, xs0 += 2) {
          const gv0 = g[go];
          if (gv0 === 0) continue;
          let v = av[o00];
          let xs = xs0;
          const v01 = av[o00 + C];
          if (v01 > v) {
            v = v01;
            xs = xs0 + 1;
          }
          const v10 = av[o00 + row];
          if (v10 > v) {
            v = v10;
            xs = xs0 + IW;
          }
          const v11 = av[o00 + row + C];
          if (v11 > v) {
            v = v11;
            xs = xs0 + IW + 1;
          }
          if (relu && !(v > 0)) continue;
          s += gv0;
          d0 += gv0 * xv[xs];
          d1 += gv0 * xv[xs + 1];
          d2 += gv0 * xv[xs + 2];
          d3 += gv0 * xv[xs + IW];
          d4 += gv0 * xv[xs + IW + 1];
          d5 += gv0 * xv[xs + IW + 2];
          d6 += gv0 * xv[xs + 2 * IW];
          d7 += gv0 * xv[xs + 2 * IW + 1];
          d8 += gv0 * xv[xs + 2 * IW + 2];
        }
        acc[c] = s;
        dw[k] = d0;
        dw[k + 1] = d1;
        dw[k + 2] = d2;
        dw[k + 3] = d3;
        dw[k + 4] = d4;
        dw[k + 5] = d5;
        dw[k + 6] = d6;
        dw[k + 7] = d7;
        dw[k + 8] = d8;
      }
    }
  }
  for (let c = 0; c < C; c++) out[bOffset + c] = acc[c];
  for (let c = 0; c < C; c++) for (let k = 0; k < 9; k++) out[wOffset + k * C + c] = dw[c * 9 + k];
}
