/**
 * Seeded image augmentation of local training: every training image of every epoch is a fresh
 * random variant of the original, drawn from the 'augment' seed stream (domain/seeds.ts), so the
 * same seed gives the same variants. Images are [h, w, 1] in a flat Float32Array; zero is the
 * background value after the CNN's /255 scaling, so uncovered pixels are zero-filled.
 */
import type { Rng } from '../../../domain/random.js';

/** How far augmentation may move an image; all zero = off. */
export interface AugmentOptions {
  /** Translation of up to this many pixels in each direction. */
  shift: number;
  /** Rotation of up to this many degrees either way. */
  rotate: number;
  /** Zoom by a factor in [1 - zoom, 1 + zoom]. */
  zoom: number;
}

/** Whether `opts` changes images at all. */
export function augments(opts: AugmentOptions): boolean {
  return opts.shift > 0 || opts.rotate > 0 || opts.zoom > 0;
}

/**
 * Copies one image translated by a random whole-pixel (dy, dx) in [-shift, shift], zero-filled.
 * This is the whole augmentation when only a shift is asked for (the CNN's behaviour before
 * rotation and zoom existed, kept draw for draw).
 */
export function shiftedCopy(
  src: Float32Array,
  from: number,
  dst: Float32Array,
  to: number,
  shape: number[],
  shift: number,
  rng: Rng,
): void {
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

/**
 * Copies one image under a random affine map about its centre: rotation by an angle drawn in
 * [-rotate, rotate] degrees, zoom by a factor in [1 - zoom, 1 + zoom], then a translation drawn
 * in [-shift, shift] pixels per axis; bilinear sampling, zero outside the source. Four draws per
 * image (angle, zoom, dy, dx), always in that order.
 */
export function affineCopy(
  src: Float32Array,
  from: number,
  dst: Float32Array,
  to: number,
  shape: number[],
  opts: AugmentOptions,
  rng: Rng,
): void {
  const [h, w] = shape;
  const angle = ((rng() * 2 - 1) * opts.rotate * Math.PI) / 180;
  const scale = 1 + (rng() * 2 - 1) * opts.zoom;
  const ty = (rng() * 2 - 1) * opts.shift;
  const tx = (rng() * 2 - 1) * opts.shift;
  warp(src, from, dst, to, h, w, angle, scale, ty, tx);
}

/** dst(p) = src(c + R(-angle) (p - c - t) / scale), bilinear, zero outside. */
export function warp(
  src: Float32Array,
  from: number,
  dst: Float32Array,
  to: number,
  h: number,
  w: number,
  angle: number,
  scale: number,
  ty: number,
  tx: number,
): void {
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  for (let y = 0; y < h; y++) {
    const py = y - cy - ty;
    for (let x = 0; x < w; x++) {
      const px = x - cx - tx;
      // inverse rotation of (py, px)
      const sy = cy + cos * py - sin * px;
      const sx = cx + sin * py + cos * px;
      const y0 = Math.floor(sy);
      const x0 = Math.floor(sx);
      const fy = sy - y0;
      const fx = sx - x0;
      let v = 0;
      if (y0 >= -1 && y0 < h && x0 >= -1 && x0 < w) {
        const at = (yy: number, xx: number) => (yy >= 0 && yy < h && xx >= 0 && xx < w ? src[from + yy * w + xx] : 0);
        v =
          (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
          fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
      }
      dst[to + y * w + x] = v;
    }
  }
}
