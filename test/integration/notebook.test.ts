/**
 * The notebook's pieces that can be checked without Jupyter (a few seconds): the rendering
 * helpers in notebooks/views.ts, the committed notebook's shape (tslab kernel, cell ids, no
 * outputs), and scripts/strip-notebook-outputs.mjs. Executing the notebook itself takes ~40 s
 * under Jupyter and needs Debian packages, so CI runs it with `bash scripts/run-notebooks.sh`.
 * Needs dist/ (views.ts imports the built library, as the notebook does): npm test builds first.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';
import {
  compareTableHtml,
  confusionSvg,
  crc32,
  digitGridHtml,
  grayPng,
  htmlTable,
  rowArgmax,
} from '../../notebooks/views.js';
import type { CompareResult, Dataset } from '../../src/index.js';

const run = promisify(execFile);
const NOTEBOOK = 'notebooks/explore-and-compare.ipynb';
const STRIP = 'scripts/strip-notebook-outputs.mjs';

/** Parses a PNG into its chunks, checking each CRC against zlib's independent implementation. */
function pngChunks(png: Uint8Array): { type: string; data: Buffer }[] {
  const b = Buffer.from(png);
  expect([...b.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: { type: string; data: Buffer }[] = [];
  let at = 8;
  while (at < b.length) {
    const len = b.readUInt32BE(at);
    const type = b.toString('latin1', at + 4, at + 8);
    const data = b.subarray(at + 8, at + 8 + len);
    expect(b.readUInt32BE(at + 8 + len)).toBe(zlibCrc32(b.subarray(at + 4, at + 8 + len)));
    chunks.push({ type, data });
    at += 12 + len;
  }
  return chunks;
}

function dataset(rows: number, fill: (row: number, px: number) => number, labels?: number[]): Dataset {
  const pixels = new Uint8Array(rows * 784);
  for (let r = 0; r < rows; r++) for (let p = 0; p < 784; p++) pixels[r * 784 + p] = fill(r, p);
  return { pixels, labels: labels ? Uint8Array.from(labels) : undefined, rows, numClasses: 10 };
}

describe('notebooks/views.ts', () => {
  it('crc32 gives the standard check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('grayPng encodes the pixels exactly (inverted on request)', () => {
    const pixels = Uint8Array.from({ length: 5 * 3 }, (_, i) => (i * 37) % 256);
    for (const invert of [false, true]) {
      const chunks = pngChunks(grayPng(pixels, 5, 3, { invert }));
      expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
      const ihdr = chunks[0].data;
      expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]]).toEqual([5, 3, 8, 0]);
      const raw = inflateSync(chunks[1].data);
      expect(raw.length).toBe(3 * 6);
      for (let y = 0; y < 3; y++) {
        expect(raw[y * 6]).toBe(0); // filter byte
        for (let x = 0; x < 5; x++) {
          const v = pixels[y * 5 + x];
          expect(raw[y * 6 + 1 + x]).toBe(invert ? 255 - v : v);
        }
      }
    }
    expect(() => grayPng(pixels, 4, 4)).toThrow(/15 bytes for a 4x4/);
  });

  it('digitGridHtml shows one image per row asked for, each from that row, captions escaped', () => {
    const ds = dataset(3, (r) => r * 100);
    const html = digitGridHtml(ds, [2, 0], { captions: ['<b>2</b>', '0'], perRow: 2 });
    const srcs = [...html.matchAll(/data:image\/png;base64,([A-Za-z0-9+/=]+)/g)].map((m) => m[1]);
    expect(srcs).toHaveLength(2);
    const firstPixel = (b64: string) => inflateSync(pngChunks(Buffer.from(b64, 'base64'))[1].data)[1];
    expect(srcs.map(firstPixel)).toEqual([255 - 200, 255 - 0]);
    expect(html).toContain('&lt;b&gt;2&lt;/b&gt;');
    expect(html).not.toContain('<b>2</b>');
    expect(html).toContain('repeat(2,max-content)');
    expect(() => digitGridHtml(ds, [3])).toThrow(/outside 0..2/);
  });

  it('confusionSvg draws k*k cells with the counts and per-row recall', () => {
    const confusion = [
      [8, 2, 0],
      [0, 5, 0],
      [1, 0, 0],
    ];
    const svg = confusionSvg(confusion, { title: 'a < b' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect /g)).toHaveLength(9);
    expect(svg).toContain('a &lt; b');
    expect(svg).toContain('true 0, predicted 1: 2 (20.0% of true 0)');
    expect(svg).toContain('>80.0%<');
    expect(svg).toContain('>100.0%<');
    expect(svg).toContain('>0.0%<'); // row 2: support 1, none right
  });

  it('htmlTable and compareTableHtml mark the rows whose values differ', () => {
    expect(htmlTable(['a'], [['x&y']])).toContain('<td style="padding:2px 8px">x&amp;y</td>');
    const result: CompareResult = {
      runs: [
        { dir: 'A', runId: 'A', hasTestMetrics: true },
        { dir: 'B', runId: 'B', hasTestMetrics: true },
      ],
      rows: [
        { key: 'model', label: 'model', values: ['linear', 'linear'], differs: false },
        { key: 'test.accuracy', label: 'test accuracy', values: [0.9, 0.925], differs: true },
      ],
      diffOnly: false,
      heldOut: { sameValidationRows: true, sameTestInput: true, validationRowCounts: [1, 1], messages: [] },
    };
    const html = compareTableHtml(result);
    expect(html).toContain('<th style="text-align:left;padding:2px 8px">B</th>');
    expect(html).toContain('90.00%');
    expect(html).toContain('92.50%');
    expect(html.match(/background:#fff3c4/g)).toHaveLength(1);
  });

  it('rowArgmax picks the highest score of each row', () => {
    expect([...rowArgmax(Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.2, 0.3]), 3)]).toEqual([1, 0]);
  });
});

describe('the committed notebook', () => {
  it('uses the tslab kernel, gives every cell an id, imports the built library, holds no outputs', async () => {
    const nb = JSON.parse(await readFile(NOTEBOOK, 'utf8'));
    expect(nb.metadata.kernelspec.name).toBe('tslab');
    const ids = nb.cells.map((c: { id?: string }) => c.id);
    expect(ids.every((id: unknown) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === 'code');
    for (const c of code) expect(c.outputs).toEqual([]);
    expect(code.map((c: { source: string[] }) => c.source.join('')).join('\n')).toContain("from '../dist/index.js'");
    const { stdout } = await run(process.execPath, [STRIP, '--check', NOTEBOOK]);
    expect(stdout).toBe('');
  });
});

describe('scripts/strip-notebook-outputs.mjs', () => {
  it('--check fails on outputs; stripping removes outputs, counts and timing metadata, adds missing ids', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'digitflow-strip-'));
    try {
      const file = join(dir, 'nb.ipynb');
      const executed = {
        cells: [
          { cell_type: 'markdown', id: 'md', metadata: {}, source: ['# hi'] },
          {
            cell_type: 'code',
            execution_count: 3,
            metadata: { execution: { 'iopub.status.busy': 'x' }, tags: ['keep'] },
            outputs: [{ name: 'stdout', output_type: 'stream', text: ['1\n'] }],
            source: ['console.log(1)'],
          },
        ],
        metadata: { kernelspec: { name: 'tslab' } },
        nbformat: 4,
        nbformat_minor: 5,
      };
      await writeFile(file, JSON.stringify(executed));
      const check = await run(process.execPath, [STRIP, '--check', file]).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );
      expect(check.code).toBe(1);
      expect(check.stderr).toMatch(/not stripped .*1 output\(s\)/);

      await run(process.execPath, [STRIP, file]);
      const stripped = JSON.parse(await readFile(file, 'utf8'));
      const cell = stripped.cells[1];
      expect(cell.outputs).toEqual([]);
      expect(cell.execution_count).toBeNull();
      expect(cell.metadata).toEqual({ tags: ['keep'] });
      expect(cell.id).toMatch(/^[0-9a-f]{8}$/);
      expect(stripped.cells[0].id).toBe('md');
      // Saved as Jupyter saves: sorted keys, so a later save by Jupyter does not reorder the file.
      expect(Object.keys(cell)).toEqual(['cell_type', 'execution_count', 'id', 'metadata', 'outputs', 'source']);
      await run(process.execPath, [STRIP, '--check', file]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
