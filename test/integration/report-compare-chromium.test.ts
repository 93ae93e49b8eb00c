/**
 * The multi-run comparison page in headless Debian Chromium (as report-chromium.test.ts): no
 * console errors, no network, the side-by-side table, confusion difference cells, the digits one
 * run gets right and the other wrong drawn from their pixels, one curve per run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { compareReportStage } from '../../src/stages/report-compare.js';
import { computeMetrics } from '../../src/domain/metrics.js';
import { defaultDeps } from '../../src/runtime/deps.js';
import { writeRun } from '../fixtures/probabilities/make-run.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI)
  throw new Error(`Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH); CI must run the report rendering test`);
if (!available)
  console.warn(
    `SKIPPED report-compare-chromium: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );

let dir: string;
let browser: Browser | undefined;

/** A 28x28 image with a horizontal bar at row `row`. */
function image(row: number): number[] {
  const px = new Array<number>(784).fill(0);
  for (let c = 4; c < 24; c++) for (let r = row; r < row + 2; r++) px[r * 28 + c] = 200;
  return px;
}

const truth = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const predA = [0, 1, 2, 5, 4, 5, 6, 1, 8, 4]; // wrong on ids 4, 8, 10
const predB = [0, 7, 2, 3, 4, 5, 6, 7, 8, 4]; // wrong on ids 2, 10

async function makeRuns(): Promise<[string, string]> {
  const testCsv = join(dir, 'test.csv');
  await writeFile(
    testCsv,
    Array.from({ length: 784 }, (_, i) => `pixel${i}`).join(',') +
      '\n' +
      truth.map((_, i) => image(2 + i * 2).join(',')).join('\n') +
      '\n',
  );
  const labels = join(dir, 'test_labels.csv');
  await writeFile(labels, 'ImageId,Label\n' + truth.map((t, i) => `${i + 1},${t}`).join('\n') + '\n');
  const make = async (name: string, pred: number[], accs: number[]) => {
    const runDir = join(dir, name);
    await writeRun(runDir, {
      runId: name,
      validationRows: [1, 2, 3],
      testSha: 'same',
      testMetrics: computeMetrics(truth, pred, 10),
      extra: {
        model: name === 'cnn' ? 'cnn' : 'linear',
        hyperparameters: { epochs: accs.length },
        inputs: [
          { role: 'test', path: testCsv, sha256: 'same' },
          { role: 'labels', path: labels },
        ],
        local: {
          epochs: accs.map((a, i) => ({
            epoch: i + 1,
            loss: 1 - a,
            accuracy: a,
            valLoss: 1.1 - a,
            valAccuracy: a - 0.02,
          })),
        },
      },
    });
    await writeFile(
      join(runDir, 'submission.csv'),
      'ImageId,Label\n' + pred.map((p, i) => `${i + 1},${p}`).join('\n') + '\n',
    );
    return runDir;
  };
  return [await make('linear', predA, [0.8, 0.85, 0.9]), await make('cnn', predB, [0.9, 0.95, 0.97, 0.98])];
}

describe.skipIf(!available)('comparison page in headless Chromium', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'report-compare-'));
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

  it('renders the side-by-side table, confusion difference, disagreeing digits and curves', async () => {
    const [a, b] = await makeRuns();
    const r = await compareReportStage({ runDirs: [a, b] }, defaultDeps());
    expect(r.output).toBe(join(dir, 'compare-linear-vs-cnn.html'));
    expect(r.sections).toEqual(['checks', 'metrics', 'confusion-diff', 'disagreements', 'curves', 'runs']);
    expect(r.disagreements).toEqual({ on: 'test', aRightBWrong: 1, bRightAWrong: 2, bothWrong: 1, rows: 10 });
    const page = await browser!.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (q) => requests.push(q.url()));
    await page.goto(pathToFileURL(r.output).href);
    await page.waitForLoadState('load');
    await page.screenshot({ path: join(tmpdir(), 'digitflow-compare-report.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(requests.every((u) => u.startsWith('file:') || u.startsWith('data:'))).toBe(true);
    expect(await page.locator('#compare-table tr[data-key="test.accuracy"] td').allTextContents()).toEqual([
      '70.00%',
      '80.00%',
    ]);
    expect(await page.locator('#compare-table tr[data-key="test.accuracy"] td.best').textContent()).toBe('80.00%');
    expect(await page.locator('#checks li.ok').count()).toBe(2);
    // cnn minus linear: true 3 → pred 5 one fewer (better), true 1 → pred 7 one more (worse).
    expect(await page.locator('#confusion-diff-1 g.cell').count()).toBe(100);
    expect(await page.locator('#confusion-diff-1 g.cell[data-true="3"][data-pred="5"]').getAttribute('data-diff')).toBe(
      '-1',
    );
    expect(
      await page.locator('#confusion-diff-1 g.cell[data-true="3"][data-pred="5"]').getAttribute('data-better'),
    ).toBe('true');
    expect(
      await page.locator('#confusion-diff-1 g.cell[data-true="1"][data-pred="7"]').getAttribute('data-better'),
    ).toBe('false');
    // linear right / cnn wrong: id 2; cnn right / linear wrong: ids 4 and 8. Drawn from their pixels.
    expect(await page.locator('#a-right figure').count()).toBe(1);
    expect(await page.locator('#b-right figure').count()).toBe(2);
    expect(await page.locator('#disagreements canvas[data-drawn="1"]').count()).toBe(3);
    const lit = await page.evaluate(() => {
      const c = document.querySelector('#b-right canvas') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, 28, 28).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] === 200) n++;
      return n;
    });
    expect(lit).toBe(40); // 2 rows x 20 columns of the bar
    expect(await page.locator('#b-right figcaption').first().textContent()).toBe('#4: true 3linear: 5 · cnn: 3');
    expect(await page.locator('#compare-accuracy-curve path.series').count()).toBe(2);
    expect(
      await page
        .locator('#compare-accuracy-curve path.series')
        .evaluateAll((ps) => ps.map((p) => p.getAttribute('data-series'))),
    ).toEqual(['linear', 'cnn']);
    await page.close();
    expect(await readFile(r.output, 'utf8')).not.toMatch(/https?:\/\//);
  });

  it('runs on different test files and splits: says so, no digits, still renders', async () => {
    const [a, b] = await makeRuns();
    const m = JSON.parse(await readFile(join(b, 'manifest.json'), 'utf8'));
    m.inputs[0].sha256 = 'other';
    m.split.validationRows = [4, 5, 6];
    await writeFile(join(b, 'manifest.json'), JSON.stringify(m));
    const r = await compareReportStage({ runDirs: [a, b], output: join(dir, 'diff.html') }, defaultDeps());
    expect(r.sections).not.toContain('disagreements');
    expect(r.sections).not.toContain('confusion-diff');
    expect(r.notes.join(' ')).toMatch(/different test files.*different validation rows/);
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(r.output).href);
    expect(errors).toEqual([]);
    expect(await page.locator('#checks li.warn').count()).toBe(2);
    await page.close();
    await expect(
      compareReportStage({ runDirs: [a, b], output: join(dir, 'diff.html') }, defaultDeps()),
    ).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
  });
});
