/**
 * Notebook-only rendering helpers: digits as inline PNG images, HTML tables, and the confusion
 * matrix as an SVG heatmap. Pure string/byte builders (no I/O, no tslab import) so they run
 * the same in the tslab kernel and in plain Node; the notebook passes their output to
 * `tslab.display.html(...)`.
 *
 * This file is compiled by tslab's bundled TypeScript 5.0.4 (no `toSorted` & co.), and it lives
 * in notebooks/ because tslab cannot import TypeScript from outside the notebook's folder.
 * The library itself is imported from the BUILT output (`../dist/index.js`).
 */
import { deflateSync } from 'node:zlib';
import { IMAGE_SIDE, PIXELS, argmax, displayValue, type CompareResult, type Dataset } from '../dist/index.js';

// ---------------------------------------------------------------- PNG

const CRC_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 as used by PNG chunks (and zip/gzip). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encodes an 8-bit grayscale image (row-major, `width*height` bytes) as a PNG file.
 * `invert` draws ink dark on white, as digits look on paper.
 */
export function grayPng(
  pixels: Uint8Array,
  width: number,
  height: number,
  opts: { invert?: boolean } = {},
): Uint8Array {
  if (pixels.length !== width * height)
    throw new Error(`grayPng: ${pixels.length} bytes for a ${width}x${height} image`);
  // Each scanline starts with filter byte 0 (None).
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = pixels[y * width + x];
      raw[y * (width + 1) + 1 + x] = opts.invert ? 255 - v : v;
    }
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // colour type: grayscale
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', new Uint8Array(deflateSync(raw))),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The 28x28 pixels of one dataset row. */
export function digitPixels(ds: Dataset, row: number): Uint8Array {
  if (row < 0 || row >= ds.rows) throw new Error(`row ${row} is outside 0..${ds.rows - 1}`);
  return ds.pixels.subarray(row * PIXELS, (row + 1) * PIXELS);
}

// ---------------------------------------------------------------- HTML

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** One digit as an `<img>` with the PNG inline (scaled up without smoothing). */
export function digitImg(ds: Dataset, row: number, opts: { scale?: number; title?: string } = {}): string {
  const size = IMAGE_SIDE * (opts.scale ?? 2);
  const b64 = Buffer.from(grayPng(digitPixels(ds, row), IMAGE_SIDE, IMAGE_SIDE, { invert: true })).toString('base64');
  const title = opts.title ? ` title="${escapeHtml(opts.title)}"` : '';
  return (
    `<img src="data:image/png;base64,${b64}" width="${size}" height="${size}" ` +
    `style="image-rendering:pixelated;border:1px solid #ccc"${title}>`
  );
}

/** A wrapping grid of digits, each with an optional caption under it. */
export function digitGridHtml(
  ds: Dataset,
  rows: number[],
  opts: { captions?: string[]; scale?: number; title?: string; perRow?: number } = {},
): string {
  const cells = rows.map((r, i) => {
    const caption = opts.captions?.[i];
    const cap =
      caption === undefined ? '' : `<div style="font:11px monospace;text-align:center">${escapeHtml(caption)}</div>`;
    const img = digitImg(ds, r, { scale: opts.scale, title: `row ${r}` });
    return `<div class="digit" style="display:inline-block;margin:2px">${img}${cap}</div>`;
  });
  const title = opts.title ? `<div style="font-weight:bold;margin:4px 0">${escapeHtml(opts.title)}</div>` : '';
  const layout = opts.perRow
    ? `display:grid;grid-template-columns:repeat(${opts.perRow},max-content)`
    : 'display:flex;flex-wrap:wrap;max-width:760px';
  return `<div class="digit-grid">${title}<div style="${layout}">${cells.join('')}</div></div>`;
}

/** A plain HTML table; `highlight[i]` marks row i (e.g. the rows where runs differ). */
export function htmlTable(
  headers: string[],
  rows: (string | number)[][],
  opts: { highlight?: boolean[]; caption?: string } = {},
): string {
  const th = headers.map((h) => `<th style="text-align:left;padding:2px 8px">${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r, i) => {
    const style = opts.highlight?.[i] ? ' style="background:#fff3c4"' : '';
    return `<tr${style}>${r.map((c) => `<td style="padding:2px 8px">${escapeHtml(String(c))}</td>`).join('')}</tr>`;
  });
  const caption = opts.caption
    ? `<caption style="text-align:left;white-space:nowrap">${escapeHtml(opts.caption)}</caption>`
    : '';
  return `<table>${caption}<thead><tr>${th}</tr></thead><tbody>${trs.join('')}</tbody></table>`;
}

/** The `compare` result as a table, rows whose values differ highlighted (as the CLI shows them). */
export function compareTableHtml(result: CompareResult): string {
  const headers = ['', ...result.runs.map((r) => r.runId)];
  const rows = result.rows.map((row) => [row.label, ...row.values.map((v) => displayValue(v, row.key))]);
  return htmlTable(headers, rows, { highlight: result.rows.map((r) => r.differs) });
}

// ---------------------------------------------------------------- SVG

/**
 * `confusion[true][pred]` as an SVG heatmap (show it with `display.html`: inline SVG in HTML
 * renders in Jupyter and in nbconvert's HTML export, whose sanitiser empties `image/svg+xml` outputs).
 * Each cell is shaded by its share of the true class's rows (so a rare class's mistakes show as
 * clearly as a frequent one's): the diagonal in blue, mistakes in red. Counts are printed in every non-zero cell.
 */
export function confusionSvg(confusion: number[][], opts: { title?: string; cell?: number } = {}): string {
  const k = confusion.length;
  const cell = opts.cell ?? 34;
  const left = 44;
  const top = 48;
  const width = left + k * cell + 60;
  const height = top + k * cell + 20;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      'font-family="sans-serif" font-size="11">',
  );
  parts.push(
    `<text x="${left}" y="14" font-size="13" font-weight="bold">${escapeHtml(opts.title ?? 'confusion matrix')}</text>`,
  );
  parts.push(`<text x="${left + (k * cell) / 2}" y="30" text-anchor="middle">predicted</text>`);
  parts.push(
    `<text x="12" y="${top + (k * cell) / 2}" text-anchor="middle" ` +
      `transform="rotate(-90 12 ${top + (k * cell) / 2})">true</text>`,
  );
  for (let t = 0; t < k; t++) {
    const support = confusion[t].reduce((a, b) => a + b, 0);
    parts.push(`<text x="${left - 6}" y="${top + t * cell + cell / 2 + 4}" text-anchor="end">${t}</text>`);
    for (let p = 0; p < k; p++) {
      if (t === 0)
        parts.push(`<text x="${left + p * cell + cell / 2}" y="${top - 4}" text-anchor="middle">${p}</text>`);
      const c = confusion[t][p];
      const share = support > 0 ? c / support : 0;
      // Mistakes are rarely above ~20% of a row: stretch their scale so they stay visible.
      const alpha = t === p ? share : Math.min(1, share * 5);
      const rgb = t === p ? '33,102,172' : '202,0,32';
      const x = left + p * cell;
      const y = top + t * cell;
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" ` +
          `fill="rgba(${rgb},${alpha.toFixed(3)})" stroke="#ddd">` +
          `<title>true ${t}, predicted ${p}: ${c} (${(share * 100).toFixed(1)}% of true ${t})</title></rect>`,
      );
      if (c > 0) {
        const ink = alpha > 0.6 ? '#fff' : '#000';
        parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" fill="${ink}">${c}</text>`);
      }
    }
    const recall = support > 0 ? `${((confusion[t][t] / support) * 100).toFixed(1)}%` : '-';
    parts.push(`<text x="${left + k * cell + 6}" y="${top + t * cell + cell / 2 + 4}">${recall}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

// ---------------------------------------------------------------- predictions

/** Class index of the highest score in each row of a rows x k probability matrix. */
export function rowArgmax(probs: Float32Array, k: number): Uint8Array {
  const rows = probs.length / k;
  const out = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) out[r] = argmax(probs.subarray(r * k, (r + 1) * k));
  return out;
}
