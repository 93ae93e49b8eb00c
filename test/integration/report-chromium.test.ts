/**
 * Renders the HTML report in headless Debian Chromium (playwright-core, no browser download):
 * no console errors, no network, charts present, digits drawn. Skips with a message when
 * Chromium is absent, except under CI where a missing browser is a failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { reportStage } from '../../src/stages/report.js';
import { computeMetrics } from '../../src/domain/metrics.js';
import { defaultDeps } from '../../src/runtime/deps.js';
import { writeRun } from '../fixtures/probabilities/make-run.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI)
  throw new Error(`Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH); CI must run the report rendering test`);
if (!available)
  console.warn(`SKIPPED report-chromium: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

let dir: string;
let browser: Browser | undefined;

/** A 28x28 image with a vertical bar at column `col` (so each digit looks different). */
function image(col: number): number[] {
  const px = new Array<number>(784).fill(0);
  for (let r = 4; r < 24; r++) for (let c = col; c < col + 3; c++) px[r * 28 + c] = 255;
  return px;
}

async function makeRun(withTestFile: boolean): Promise<string> {
  const runDir = join(dir, withTestFile ? 'full' : 'no-test');
  const truth = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3, 5];
  const pred = [0, 1, 2, 5, 4, 5, 6, 1, 8, 9, 3, 3];
  const testCsv = join(dir, 'test.csv');
  const header = Array.from({ length: 784 }, (_, i) => `pixel${i}`).join(',');
  await writeFile(testCsv, header + '\n' + truth.map((_, i) => image(2 + i * 2).join(',')).join('\n') + '\n');
  const labels = join(dir, 'test_labels.csv');
  await writeFile(labels, 'ImageId,Label\n' + truth.map((t, i) => `${i + 1},${t}`).join('\n') + '\n');
  await writeRun(runDir, {
    runId: withTestFile ? 'run-full' : 'run-no-test',
    validationRows: [1, 2, 3],
    testMetrics: computeMetrics(truth, pred, 10),
    extra: {
      model: 'linear',
      backend: 'wasm',
      hyperparameters: { epochs: 3, learningRate: 0.01 },
      timings: { train: 4.2, predict: 0.3 },
      inputs: [
        { role: 'test', path: withTestFile ? testCsv : join(dir, 'gone.csv'), sha256: 'abc' },
        { role: 'labels', path: labels },
      ],
      extra: {
        local: {
          epochs: [
            { epoch: 1, loss: 1.2, accuracy: 0.71, valLoss: 1.0, valAccuracy: 0.75, seconds: 1 },
            { epoch: 2, loss: 0.6, accuracy: 0.85, valLoss: 0.7, valAccuracy: 0.83, seconds: 1 },
            { epoch: 3, loss: 0.4, accuracy: 0.9, valLoss: 0.6, valAccuracy: 0.86, seconds: 1 },
          ],
        },
      },
    },
  });
  await writeFile(
    join(runDir, 'submission.csv'),
    'ImageId,Label\n' + pred.map((p, i) => `${i + 1},${p}`).join('\n') + '\n',
  );
  return runDir;
}

async function render(html: string, screenshot?: string) {
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
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  return { page, errors, requests };
}

describe.skipIf(!available)('report in headless Chromium', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'report-'));
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

  it('renders every chart with no console errors and no network', async () => {
    const runDir = await makeRun(true);
    const r = await reportStage({ runDir }, defaultDeps());
    expect(r.sections).toEqual(['summary', 'confusion', 'per-class', 'training', 'misclassified', 'parameters']);
    expect(r.misclassified).toEqual({ on: 'test', shown: 3, total: 3 });
    const { page, errors, requests } = await render(r.output, join(tmpdir(), 'digitflow-report.png'));
    expect(errors).toEqual([]);
    expect(requests.every((u) => u.startsWith('file:') || u.startsWith('data:'))).toBe(true);
    expect(await page.locator('#confusion-heatmap g.cell').count()).toBe(100);
    expect(
      await page.locator('#confusion-heatmap g.cell[data-true="3"][data-pred="5"]').getAttribute('data-count'),
    ).toBe('1');
    expect(await page.locator('#per-class-bars rect.bar').count()).toBe(30);
    expect(await page.locator('#loss-curve path.series').count()).toBe(2);
    expect(await page.locator('#accuracy-curve path.series').count()).toBe(2);
    const box = await page.locator('#confusion-heatmap').boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    // Digits are drawn from pixels: the canvas holds white pixels where the bar is.
    expect(await page.locator('#misclassified canvas[data-drawn="1"]').count()).toBe(3);
    const lit = await page.evaluate(() => {
      const c = document.querySelector('#misclassified canvas') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, 28, 28).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] === 255) n++;
      return n;
    });
    expect(lit).toBe(60); // 20 rows x 3 columns of the bar
    expect(await page.locator('#misclassified figcaption').first().textContent()).toBe('#4: true 3 → 5');
    expect(await page.locator('#parameters').textContent()).toContain('learningRate');
    await page.close();
  });

  it('without the test file: renders without the grid and says why', async () => {
    const runDir = await makeRun(false);
    const r = await reportStage({ runDir, output: join(dir, 'no-test.html') }, defaultDeps());
    expect(r.sections).not.toContain('misclassified');
    expect(r.notes.join(' ')).toMatch(/not readable/);
    const { page, errors } = await render(r.output);
    expect(errors).toEqual([]);
    expect(await page.locator('.note').first().textContent()).toContain('No grid of misclassified digits');
    expect(await page.locator('#confusion-heatmap').count()).toBe(1);
    expect(await page.locator('#misclassified').count()).toBe(0);
    await page.close();
    expect(await readFile(r.output, 'utf8')).not.toMatch(/https?:\/\//);
  });
});
