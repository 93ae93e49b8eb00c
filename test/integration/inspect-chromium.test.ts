/**
 * `inspect --html` rendered in headless Debian Chromium (playwright-core, no browser download), like
 * the run report: no console errors, no network, the label histogram, a mean image and a sample
 * grid per class, blank and duplicate images and the pixel histogram, all drawn. Skips with a
 * message when Chromium is absent, except under CI where a missing browser is a failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { inspectHtmlStage } from '../../src/stages/inspect-html.js';
import { defaultDeps } from '../../src/runtime/deps.js';
import { header } from '../helpers/kaggle-fixtures.js';
import { makeZip } from '../helpers/make-zip.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI)
  throw new Error(`Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH); CI must run the inspect page rendering test`);
if (!available)
  console.warn(`SKIPPED inspect-chromium: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

let dir: string;
let browser: Browser | undefined;

/** A 28x28 image with a 3-pixel-wide vertical bar of 255 at column `col`, rows 4..23 (60 lit pixels). */
function bar(col: number): number[] {
  const px = new Array<number>(784).fill(0);
  for (let r = 4; r < 24; r++) for (let c = col; c < col + 3; c++) px[r * 28 + c] = 255;
  return px;
}

/**
 * 30 train rows: label k has bars at column 2 + 2k; row 21 is blank; rows 22 and 23 repeat rows 1 and 2; rows 24-30 are
 * grey 200.
 */
function trainText(): string {
  const rows: string[] = [];
  // Rows 11-20 repeat the bars of rows 1-10 at grey 254, so they are not duplicates.
  for (let i = 0; i < 20; i++)
    rows.push(
      `${i % 10},${bar(2 + 2 * (i % 10))
        .map((v) => (v && i >= 10 ? 254 : v))
        .join(',')}`,
    );
  rows.push(`3,${new Array(784).fill(0).join(',')}`);
  rows.push(rows[0], rows[1]);
  for (let i = 0; i < 7; i++)
    rows.push(
      `${i},${bar(2 + 2 * i)
        .map((v) => (v ? 200 : 0))
        .join(',')}`,
    );
  return header('train') + '\n' + rows.join('\n') + '\n';
}

async function render(html: string) {
  const page = await browser!.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(html).href);
  await page.waitForLoadState('load');
  return { page, errors, requests };
}

describe.skipIf(!available)('inspect --html in headless Chromium', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inspect-html-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'a gzip train file: histogram, means, samples, ' + 'blank and duplicates, pixel histogram, no errors, no network',
    async () => {
      const gz = join(dir, 'train.csv.gz');
      await writeFile(gz, gzipSync(trainText()));
      const out = join(dir, 'train.html');
      const r = await inspectHtmlStage({ path: gz, output: out }, defaultDeps());
      expect(r.files[0]).toMatchObject({ rows: 30, layout: 'train', blankImages: 1, duplicateImages: 2 });
      const { page, errors, requests } = await render(out);
      expect(errors).toEqual([]);
      expect(requests.every((u) => u.startsWith('file:') || u.startsWith('data:'))).toBe(true);
      expect(await page.locator('#label-histogram-0 rect.bar').count()).toBe(10);
      expect(await page.locator('#label-histogram-0 rect.bar[data-label="3"]').getAttribute('data-count')).toBe('4');
      expect(await page.locator('#pixel-histogram-0 rect.bin').count()).toBe(256);
      expect(await page.locator('#pixel-histogram-0 rect.bin[data-value="200"]').getAttribute('data-count')).toBe(
        String(7 * 60),
      );
      expect(await page.locator('.means canvas[data-drawn="1"]').count()).toBe(10);
      expect(await page.locator('.samples .class-row').count()).toBe(10);
      expect(await page.locator('.samples .class-row[data-group="0"] figure').count()).toBe(4);
      expect(await page.locator('.duplicates figure').count()).toBe(2);
      expect(await page.locator('.duplicates figure').first().getAttribute('data-same')).toBe('1');
      expect(await page.locator('.blanks').textContent()).toContain('row 21');
      // The first sample of class 0 is drawn from its pixels: 60 white pixels where the bar is.
      const lit = await page.evaluate(() => {
        const c = document.querySelector('.samples .class-row[data-group="0"] canvas') as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, 28, 28).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] === 255) n++;
        return n;
      });
      expect(lit).toBe(60);
      // Class 0's mean mixes bars of 255 (rows 1 and 22), 254 (row 11) and 200 (row 24) at the same column.
      const mean = await page.evaluate(() => {
        const c = document.querySelector('.means figure[data-group="0"] canvas') as HTMLCanvasElement;
        return c.getContext('2d')!.getImageData(2, 10, 1, 1).data[0];
      });
      expect(mean).toBe(Math.round((255 * 2 + 254 + 200) / 4));
      await page.close();
      expect(await readFile(out, 'utf8')).not.toMatch(/https?:\/\//);
    },
  );

  it('the competition zip: one section per member, test layout without labels, names escaped', async () => {
    const test = header('test') + '\n' + [bar(5), bar(9), bar(5)].map((p) => p.join(',')).join('\n') + '\n';
    const zip = join(dir, 'digit-<recognizer>.zip');
    await writeFile(
      zip,
      makeZip([
        { name: 'train.csv', data: trainText() },
        { name: 'test.csv', data: test },
      ]),
    );
    const out = join(dir, 'zip.html');
    const r = await inspectHtmlStage({ path: zip, output: out }, defaultDeps());
    expect(r.files.map((f) => f.layout)).toEqual(['train', 'test']);
    const { page, errors } = await render(out);
    expect(errors).toEqual([]);
    expect(await page.locator('section.file').count()).toBe(2);
    expect(await page.locator('#file-1').getAttribute('data-layout')).toBe('test');
    expect(await page.locator('#label-histogram-1').count()).toBe(0);
    expect(await page.locator('#file-1 .means canvas[data-drawn="1"]').count()).toBe(1);
    expect(await page.locator('#file-1 .samples figure').count()).toBe(3);
    expect(await page.locator('#file-1 .duplicates figure').count()).toBe(1);
    expect(await page.locator('h1').textContent()).toContain('digit-<recognizer>.zip');
    await page.close();
    // An existing page is not replaced without force.
    await expect(inspectHtmlStage({ path: zip, output: out }, defaultDeps())).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
    });
  });
});
