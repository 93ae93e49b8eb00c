/**
 * Digits drawn as text: a 28x28 image becomes 14 lines of 28 characters, two pixel rows per line.
 * `blocks` uses Unicode half blocks (▀ ▄ █) for a terminal; `ascii` uses a 10-step intensity ramp
 * that survives any pipe, log file or e-mail. Pure functions, no terminal access.
 */
import { IMAGE_SIDE } from './dataset.js';

export type ArtStyle = 'blocks' | 'ascii';

/** Pixel value from which a half block is drawn (MNIST strokes are ~255, their soft edges lower). */
export const INK_THRESHOLD = 96;
const RAMP = ' .:-=+*#%@';

/** The 14 text lines of one 28x28 image (`pixels` row-major, 0 = background). */
export function digitArt(pixels: ArrayLike<number>, style: ArtStyle, side = IMAGE_SIDE): string[] {
  const lines: string[] = [];
  for (let r = 0; r < side; r += 2) {
    let line = '';
    for (let c = 0; c < side; c++) {
      const top = pixels[r * side + c] ?? 0;
      const bottom = r + 1 < side ? (pixels[(r + 1) * side + c] ?? 0) : 0;
      if (style === 'blocks') {
        const t = top >= INK_THRESHOLD;
        const b = bottom >= INK_THRESHOLD;
        line += t && b ? '█' : t ? '▀' : b ? '▄' : ' ';
      } else {
        const v = (top + bottom) / 2;
        line += RAMP[Math.min(RAMP.length - 1, Math.floor((v / 256) * RAMP.length))];
      }
    }
    lines.push(line);
  }
  return lines;
}

export interface ArtPanel {
  lines: string[];
  caption: string;
}

/**
 * Panels side by side, as many per band as fit in `width` columns (at least one), each caption
 * under its digit, cut to the digit's width. Returns the text without a trailing newline.
 */
export function layoutPanels(panels: ArtPanel[], width: number, gap = 2): string {
  if (!panels.length) return '';
  const w = Math.max(...panels.map((p) => Math.max(...p.lines.map((l) => [...l].length))));
  const perBand = Math.max(1, Math.floor((width + gap) / (w + gap)));
  const bands: string[] = [];
  for (let i = 0; i < panels.length; i += perBand) {
    const band = panels.slice(i, i + perBand);
    const height = Math.max(...band.map((p) => p.lines.length));
    const out: string[] = [];
    const pad = (s: string) => s + ' '.repeat(Math.max(0, w - [...s].length));
    for (let r = 0; r < height; r++)
      out.push(
        band
          .map((p) => pad(p.lines[r] ?? ''))
          .join(' '.repeat(gap))
          .trimEnd(),
      );
    out.push(
      band
        .map((p) => pad([...p.caption].slice(0, w).join('')))
        .join(' '.repeat(gap))
        .trimEnd(),
    );
    bands.push(out.join('\n'));
  }
  return bands.join('\n\n');
}

/** Parses `--rows 1-20` / `--rows 7` (1-based, inclusive). */
export function parseRowRange(text: string): { start: number; end: number } | undefined {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(text);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] !== undefined ? Number(m[2]) : start;
  return start >= 1 && end >= start ? { start, end } : undefined;
}

/** Parses `--ids 12,40` (1-based ImageIds / data rows). */
export function parseIdList(text: string): number[] | undefined {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!parts.length || !parts.every((p) => /^\d+$/.test(p) && Number(p) >= 1)) return undefined;
  return [...new Set(parts.map(Number))].sort((a, b) => a - b);
}
