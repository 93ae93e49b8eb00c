/**
 * `inspect --html`: the inspect scan plus the pictures a data scientist wants before training —
 * mean image and samples per class, blank and duplicate images, the pixel-value histogram —
 * collected in the same single pass and written as one self-contained page (atomically).
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { assertWritable, writeFileAtomic } from '../adapters/atomic-file.js';
import { PIXELS } from '../domain/dataset.js';
import { renderInspectHtml, type FilePictures } from '../report/inspect-page.js';
import { inspectStage, type InspectInput, type InspectOutput } from './inspect.js';
import type { StageDeps } from '../runtime/deps.js';

export interface InspectHtmlInput extends InspectInput {
  /** Where the page goes. */
  output: string;
  force?: boolean;
  /** Samples drawn per class (default 12; 60 for a test file's single group). */
  samplesPerClass?: number;
}

export interface InspectHtmlResult extends InspectOutput {
  html: string;
  bytes: number;
}

const MAX_LISTED = 24;

/**
 * `data/train.csv` → `train.inspect.html`, `digit-recognizer.zip` → `digit-recognizer.inspect.html`
 * (current folder).
 */
export function defaultInspectHtmlPath(input: string): string {
  const name = basename(input).replace(/(\.csv)?(\.gz|\.zip)?$/i, '') || 'data';
  return `${name}.inspect.html`;
}

class FileCollector {
  layout: 'train' | 'test' = 'test';
  sums: Float64Array[] = [];
  counts: number[] = [];
  samples = new Map<string, Array<{ row: number; pixels: Uint8Array }>>();
  blankRows: number[] = [];
  duplicates: FilePictures['duplicates'] = [];
  hist = new Array<number>(256).fill(0);
  private seen = new Map<string, number>();

  constructor(
    private numClasses: number,
    private perClass: number,
  ) {}

  add(chunk: {
    pixels: Uint8Array;
    labels?: Uint8Array;
    rows: number;
    firstRow: number;
    layout: 'train' | 'test';
  }): void {
    this.layout = chunk.layout;
    const groups = chunk.labels ? this.numClasses : 1;
    while (this.sums.length < groups) {
      this.sums.push(new Float64Array(PIXELS));
      this.counts.push(0);
    }
    for (let r = 0; r < chunk.rows; r++) {
      const px = chunk.pixels.subarray(r * PIXELS, (r + 1) * PIXELS);
      const row = chunk.firstRow + r + 1;
      const g = chunk.labels ? chunk.labels[r] : 0;
      const sum = this.sums[g];
      let max = 0;
      for (let j = 0; j < PIXELS; j++) {
        const v = px[j];
        sum[j] += v;
        this.hist[v]++;
        if (v > max) max = v;
      }
      this.counts[g]++;
      if (max === 0 && this.blankRows.length < MAX_LISTED) this.blankRows.push(row);
      const key = createHash('sha1').update(px).digest('base64');
      const first = this.seen.get(key);
      if (first !== undefined) {
        if (this.duplicates.length < MAX_LISTED) this.duplicates.push({ row, sameAs: first, pixels: px.slice() });
      } else this.seen.set(key, row);
      const name = chunk.labels ? String(g) : 'all';
      const list = this.samples.get(name) ?? [];
      if (list.length < (chunk.labels ? this.perClass : this.perClass * 5)) {
        list.push({ row, pixels: px.slice() });
        this.samples.set(name, list);
      }
    }
  }

  pictures(): Omit<FilePictures, 'insights'> {
    const labelled = this.layout === 'train';
    const means = this.sums.map((sum, g) => {
      const n = this.counts[g];
      const pixels = new Uint8Array(PIXELS);
      if (n) for (let j = 0; j < PIXELS; j++) pixels[j] = Math.round(sum[j] / n);
      const group = labelled ? String(g) : 'all';
      return { caption: `${group} (n=${n})`, pixels, attrs: { group, n } };
    });
    const order = labelled ? Array.from({ length: this.numClasses }, (_, g) => String(g)) : ['all'];
    const samples = order
      .filter((g) => this.samples.has(g))
      .map((g) => ({
        group: g,
        digits: this.samples.get(g)!.map((s) => ({ caption: `#${s.row}`, pixels: s.pixels, attrs: { row: s.row } })),
      }));
    return { means, samples, blankRows: this.blankRows, duplicates: this.duplicates, pixelHistogram: this.hist };
  }
}

export async function inspectHtmlStage(input: InspectHtmlInput, deps: StageDeps): Promise<InspectHtmlResult> {
  // Refuse an existing output before reading anything (the scan of a big file takes a while).
  await assertWritable(input.output, { force: input.force });
  const numClasses = input.numClasses ?? 10;
  const collectors = new Map<string, FileCollector>();
  const result = await inspectStage(
    {
      ...input,
      onRows: (file, chunk) => {
        let c = collectors.get(file);
        if (!c) collectors.set(file, (c = new FileCollector(numClasses, input.samplesPerClass ?? 12)));
        c.add(chunk);
        input.onRows?.(file, chunk);
      },
    },
    deps,
  );
  const files: FilePictures[] = result.files.map((insights) => {
    const c = collectors.get(insights.file) ?? new FileCollector(numClasses, 0);
    return { insights, ...c.pictures() };
  });
  const html = renderInspectHtml({ path: input.path, generatedAt: new Date(deps.clock.now()).toISOString(), files });
  await writeFileAtomic(input.output, html, { force: input.force });
  deps.reporter.emit({ kind: 'info', message: `wrote ${input.output}`, data: { path: input.output } });
  return { ...result, html: input.output, bytes: Buffer.byteLength(html) };
}
