import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blendProbabilities, fitBlendWeights, gridSteps, scoreRows, simplexGrid } from '../../../src/domain/blend.js';
import { blendStage } from '../../../src/stages/blend.js';
import { compareStage } from '../../../src/stages/compare.js';
import { reportStage } from '../../../src/stages/report.js';
import { defaultDeps } from '../../../src/runtime/deps.js';
import { renderBlendText, parseWeights } from '../../../src/cli/commands/blend.js';
import { probsFor, writeRun } from '../../fixtures/probabilities/make-run.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'blend-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('blend maths', () => {
  it('mean and geometric mean of two rows, members rescaled to sum 1', () => {
    const a = Float64Array.from([0.8, 0.2]);
    const b = Float64Array.from([0.4, 1.6]); // sums to 2: counts as 0.2, 0.8
    const mean = blendProbabilities([a, b], [3, 1], 2, 'mean');
    expect(mean[0]).toBeCloseTo(0.75 * 0.8 + 0.25 * 0.2, 12);
    expect(mean[1]).toBeCloseTo(0.75 * 0.2 + 0.25 * 0.8, 12);
    const geo = blendProbabilities([a, b], [1, 1], 2, 'geometric');
    // sqrt(0.8*0.2) for both classes: renormalised to 0.5 / 0.5.
    expect(geo[0]).toBeCloseTo(0.5, 12);
    expect(geo[0] + geo[1]).toBeCloseTo(1, 12);
    // A confident zero does not veto a class in the geometric mean.
    const z = blendProbabilities([Float64Array.from([0, 1]), Float64Array.from([1, 0])], [0.5, 0.5], 2, 'geometric');
    expect(Number.isFinite(z[0]) && z[0] > 0).toBe(true);
  });

  it('the simplex grid has every weighting once and sums to 1', () => {
    const all = [...simplexGrid(3, 4)];
    expect(all.length).toBe(15); // C(6, 2)
    expect(new Set(all.map((w) => w.join(','))).size).toBe(15);
    for (const w of all) expect(w.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
    expect(gridSteps(2)).toBe(20);
    expect(gridSteps(12)).toBeLessThan(20);
  });

  it('fitted weights favour the member that is right on the held-out rows', () => {
    // Member A is right on rows 0-3, B only on row 4; together nothing beats A alone.
    const truth = [0, 1, 0, 1, 0];
    const a = Float64Array.from([0.9, 0.1, 0.2, 0.8, 0.7, 0.3, 0.4, 0.6, 0.45, 0.55]);
    const b = Float64Array.from([0.4, 0.6, 0.6, 0.4, 0.3, 0.7, 0.6, 0.4, 0.9, 0.1]);
    const fit = fitBlendWeights([a, b], truth, 2, 'mean');
    expect(fit.accuracy).toBe(1); // 0.9/0.1 on row 4 rescues it with some weight on B
    expect(scoreRows(a, truth, 2).accuracy).toBe(0.8);
    expect(fit.weights[0]).toBeGreaterThan(fit.weights[1]);
    expect(fit.tried).toBe(21);
  });
});

const VAL_ROWS = [2, 5, 7, 11];
const valTruth = [0, 1, 2, 3];
const testTruth = [0, 1, 2, 3, 4, 5];

/** A run folder with test probabilities (CSV or JSON Lines, optionally gzip) and validation files. */
async function makeRun(
  name: string,
  testPred: number[][],
  valProbs: number[][],
  opts: { format?: 'csv' | 'jsonlines'; gzip?: boolean; sha?: string; valRows?: number[]; labels?: string } = {},
) {
  const runDir = join(dir, name);
  const format = opts.format ?? 'csv';
  const file = format === 'csv' ? 'probabilities.csv' : 'test.csv.out';
  const body =
    format === 'csv'
      ? `ImageId,${Array.from({ length: 10 }, (_, k) => k).join(',')}\n` +
        testPred.map((p, i) => `${i + 1},${p.join(',')}`).join('\n') +
        '\n'
      : testPred.map((p) => JSON.stringify({ score: p, predicted_label: p.indexOf(Math.max(...p)) })).join('\n') + '\n';
  await writeRun(runDir, {
    runId: name,
    engine: format === 'csv' ? 'local' : 'sagemaker',
    validationRows: opts.valRows ?? VAL_ROWS,
    testSha: opts.sha ?? 'sha-test',
    valTruth,
    valProbs,
    extra: {
      model: 'linear',
      outputs: { probabilities: opts.gzip ? file + '.gz' : file },
      inputs: [
        { role: 'test', path: 'test.csv', sha256: opts.sha ?? 'sha-test' },
        { role: 'train', path: 'train.csv', sha256: 'sha-train' },
        ...(opts.labels ? [{ role: 'labels', path: opts.labels }] : []),
      ],
    },
  });
  await writeFile(join(runDir, opts.gzip ? file + '.gz' : file), opts.gzip ? gzipSync(body) : body);
  return runDir;
}

/** Scores leaning to `c` with confidence `p`, and to `d` with the rest. */
function lean(c: number, p: number, d = (c + 1) % 10): number[] {
  const s = new Array<number>(10).fill(0);
  s[c] += p;
  s[d] += 1 - p;
  return s;
}

async function labelsFile(): Promise<string> {
  const path = join(dir, 'test_labels.csv');
  await writeFile(path, 'ImageId,Label\n' + testTruth.map((t, i) => `${i + 1},${t}`).join('\n') + '\n');
  return path;
}

describe('blendStage', () => {
  it('blends a local CSV run with a gzip Linear Learner run: checks, files, metrics, manifest', async () => {
    const labels = await labelsFile();
    // A (CSV): right on rows 1-4, wrong but unsure on 5-6. B (JSON Lines, gzip): sure on 5-6, unsure-wrong on 1-2.
    const a = await makeRun(
      'run-a',
      [lean(0, 0.9), lean(1, 0.9), lean(2, 0.8), lean(3, 0.8), lean(0, 0.55, 4), lean(0, 0.55, 5)],
      valTruth.map((c) => probsFor(c)),
      { labels },
    );
    const b = await makeRun(
      'run-b',
      [lean(9, 0.6, 0), lean(9, 0.6, 1), lean(2, 0.7), lean(3, 0.7), lean(4, 0.95), lean(5, 0.95)],
      valTruth.map((c) => probsFor(c)),
      { format: 'jsonlines', gzip: true },
    );
    const out = join(dir, 'blend');
    const r = await blendStage({ runs: [a, b], out, seed: 42 }, defaultDeps());
    expect(r.weightsFrom).toBe('equal');
    expect(r.members.map((m) => [m.runId, m.format, m.testAccuracy])).toEqual([
      ['run-a', 'csv', 4 / 6],
      ['run-b', 'jsonlines', 4 / 6],
    ]);
    expect(r.accuracy).toBe(1);
    expect(r.bestMember).toEqual({ runId: 'run-a', on: 'test', accuracy: 4 / 6 });
    expect(r.validationRows).toBe(4);
    expect(r.validationAccuracy).toBe(1);
    expect(r.checks.join('\n')).toMatch(
      /same test file.*\n.*same 4 held-out validation rows.*\n.*same 6 test ImageIds/,
    );
    expect((await readdir(out)).sort()).toEqual([
      'manifest.json',
      'metrics.json',
      'probabilities.csv',
      'submission.csv',
      'validation-labels.csv',
      'validation-metrics.json',
      'validation-probabilities.csv',
      'validation-submission.csv',
    ]);
    expect(await readFile(join(out, 'submission.csv'), 'utf8')).toBe('ImageId,Label\n1,0\n2,1\n3,2\n4,3\n5,4\n6,5\n');
    const m = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    expect(m.command).toBe('blend');
    expect(m.runId).toBe('blend');
    expect(m.hyperparameters).toMatchObject({ method: 'mean', weights: '0.5,0.5', members: 'run-a,run-b' });
    expect(
      m.inputs
        .filter((i: { role: string }) => i.role.startsWith('member:'))
        .map((i: { role: string; sha256: string }) => [i.role, i.sha256.length]),
    ).toEqual([
      ['member:run-a', 64],
      ['member:run-b', 64],
    ]);
    expect(m.inputs.find((i: { role: string }) => i.role === 'test').sha256).toBe('sha-test');
    expect(m.split.validationRows).toEqual(VAL_ROWS);
    expect(m.summary.accuracy).toBe(1);
    // compare treats the blend like any run, on the same held-out rows.
    const c = await compareStage({ runs: [a, out] }, defaultDeps());
    expect(c.heldOut.sameValidationRows).toBe(true);
    expect(c.heldOut.sameTestInput).toBe(true);
    expect(c.rows.find((x) => x.key === 'test.accuracy')?.values).toEqual([null, 1]);
    expect(renderBlendText(r)).toMatch(/test accuracy 100\.00% vs best member run-a 66\.67% \(\+33\.33 points\)/);
    // report treats it like any run, and says why there are no curves.
    const page = await reportStage({ runDir: out }, defaultDeps());
    expect(page.sections).toContain('confusion');
    expect(page.notes.join(' ')).toMatch(/a blend trains nothing/);
  });

  it('--weights auto fits on the validation rows only, never on the test key', async () => {
    const labels = await labelsFile();
    // On validation, A is right and B wrong everywhere; on the test rows it is the other way round.
    const a = await makeRun(
      'a',
      testTruth.map((c) => lean((c + 1) % 10, 0.9)),
      valTruth.map((c) => lean(c, 0.9)),
      { labels },
    );
    const b = await makeRun(
      'b',
      testTruth.map((c) => lean(c, 0.9)),
      valTruth.map((c) => lean((c + 1) % 10, 0.9)),
    );
    const r = await blendStage({ runs: [a, b], weights: 'auto', out: join(dir, 'auto'), seed: 1 }, defaultDeps());
    expect(r.weightsFrom).toBe('auto');
    expect(r.weights[0]).toBeGreaterThan(0.5);
    expect(r.validationAccuracy).toBe(1);
    expect(r.accuracy).toBe(0); // the test key disagrees, and was not used to choose
    const m = JSON.parse(await readFile(join(dir, 'auto', 'manifest.json'), 'utf8'));
    expect(m.blend.fit).toMatchObject({ on: 'validation', rows: 4, accuracy: 1, tried: 21 });
  });

  it(
    'an Amazon ML member (class columns in any order) ' + 'blends like the others; --labels overrides the recorded key',
    async () => {
      const a = await makeRun(
        'a',
        testTruth.map((c) => lean(c, 0.6)),
        valTruth.map((c) => probsFor(c)),
      );
      const b = await makeRun(
        'b',
        testTruth.map((c) => lean(c, 0.6)),
        valTruth.map((c) => probsFor(c)),
      );
      // Replace b's probabilities with an AML file: columns 9..0, and class 9 favoured only on row 1.
      const order = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0];
      const aml = testTruth.map((c, i) => {
        const p = i === 0 ? lean(9, 0.95, c) : lean(c, 0.9);
        return order.map((k) => p[k].toExponential(6)).join(',');
      });
      await writeFile(join(b, 'aml.csv'), order.join(',') + '\n' + aml.join('\n') + '\n');
      const m = JSON.parse(await readFile(join(b, 'manifest.json'), 'utf8'));
      m.outputs.probabilities = 'aml.csv';
      await writeFile(join(b, 'manifest.json'), JSON.stringify(m));
      const labels = await labelsFile();
      const r = await blendStage({ runs: [a, b], out: join(dir, 'aml'), labels, seed: 1 }, defaultDeps());
      expect(r.members.map((x) => x.format)).toEqual(['csv', 'aml']);
      expect(r.members[1].testAccuracy).toBeCloseTo(5 / 6, 12); // row 1 went to class 9
      // Row 1: a says 0 (0.6) / 1 (0.4); b says 9 (0.95) / 0 (0.05): the mean picks 9 — the columns were mapped by
      // name.
      expect((await readFile(join(dir, 'aml', 'submission.csv'), 'utf8')).split('\n')[1]).toBe('1,9');
      expect(r.accuracy).toBeCloseTo(5 / 6, 12);
    },
  );

  it('given weights are scaled to sum 1; the geometric method is recorded', async () => {
    const a = await makeRun(
      'a',
      testTruth.map((c) => lean(c, 0.9)),
      valTruth.map((c) => probsFor(c)),
    );
    const b = await makeRun(
      'b',
      testTruth.map((c) => lean(c, 0.6)),
      valTruth.map((c) => probsFor(c)),
    );
    const r = await blendStage(
      { runs: [a, b], weights: [3, 1], method: 'geometric', out: join(dir, 'g'), seed: 1 },
      defaultDeps(),
    );
    expect(r.weights).toEqual([0.75, 0.25]);
    expect(r.accuracy).toBeUndefined(); // no answer key anywhere
    const m = JSON.parse(await readFile(join(dir, 'g', 'manifest.json'), 'utf8'));
    expect(m.hyperparameters).toMatchObject({ method: 'geometric', weights: '0.75,0.25', weightsFrom: 'given' });
    expect(m.outputs.metrics).toBeUndefined();
  });

  describe('refuses, and leaves nothing behind', () => {
    async function expectRefused(p: Promise<unknown>, code: string, message: RegExp) {
      await expect(p).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
      expect((await readdir(dir)).filter((f) => f.startsWith('out') || f.startsWith('.out'))).toEqual([]);
    }
    const val = () => valTruth.map((c) => probsFor(c));
    const tp = () => testTruth.map((c) => lean(c, 0.9));

    it('runs that predicted different test files', async () => {
      const a = await makeRun('a', tp(), val());
      const b = await makeRun('b', tp(), val(), { sha: 'other-sha' });
      await expectRefused(
        blendStage({ runs: [a, b], out: join(dir, 'out'), seed: 1 }, defaultDeps()),
        'TEST_FILE_MISMATCH',
        /different test files.*a sha-test.*b other-sha/,
      );
    });

    it('runs with different held-out rows', async () => {
      const a = await makeRun('a', tp(), val());
      const b = await makeRun('b', tp(), val(), { valRows: [1, 5, 7, 11] });
      await expectRefused(
        blendStage({ runs: [a, b], out: join(dir, 'out'), seed: 1 }, defaultDeps()),
        'SPLIT_MISMATCH',
        /different validation rows/,
      );
    });

    it('runs whose test ImageIds differ', async () => {
      const a = await makeRun('a', tp(), val());
      const b = await makeRun('b', tp().slice(0, 5), val());
      await expectRefused(
        blendStage({ runs: [a, b], out: join(dir, 'out'), seed: 1 }, defaultDeps()),
        'IDS_MISMATCH',
        /has 5 test rows.*has 6.*ImageId\(s\) 6 are missing/,
      );
    });

    it('wrong weights, one run, auto without validation rows, a run without probabilities, a used folder', async () => {
      const a = await makeRun('a', tp(), val());
      const b = await makeRun('b', tp(), val());
      await expectRefused(
        blendStage({ runs: [a, b], weights: [1, 2, 3], out: join(dir, 'out'), seed: 1 }, defaultDeps()),
        'WEIGHTS_INVALID',
        /3 value\(s\) for 2 runs/,
      );
      await expectRefused(
        blendStage({ runs: [a], out: join(dir, 'out'), seed: 1 }, defaultDeps()),
        'NO_RUNS',
        /at least two/,
      );
      await expectRefused(
        blendStage({ runs: [a, a], out: join(dir, 'out'), seed: 1 }, defaultDeps()),
        'NO_RUNS',
        /twice/,
      );
      await rm(join(b, 'validation-probabilities.csv'));
      await expectRefused(
        blendStage({ runs: [a, b], weights: 'auto', out: join(dir, 'out'), seed: 1 }, defaultDeps()),
        'VALIDATION_MISSING',
        /held-out validation rows/,
      );
      await rm(join(b, 'probabilities.csv'));
      await expectRefused(
        blendStage({ runs: [a, b], out: join(dir, 'out'), seed: 1 }, defaultDeps()),
        'RUN_NOT_PREDICTED',
        /no test probabilities/,
      );
    });

    it('an existing run folder without --force', async () => {
      const a = await makeRun('a', tp(), val());
      const b = await makeRun('b', tp(), val());
      await expect(blendStage({ runs: [a, b], out: b, seed: 1 }, defaultDeps())).rejects.toMatchObject({
        code: 'OUTPUT_EXISTS',
      });
      expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    });
  });

  it('parses --weights', () => {
    expect(parseWeights('auto')).toBe('auto');
    expect(parseWeights('0.7, 0.3')).toEqual([0.7, 0.3]);
    expect(() => parseWeights('0.7,-1')).toThrow(/non-negative/);
    expect(() => parseWeights('0.7,,1')).toThrow(/comma-separated/);
    expect(() => parseWeights('0,0')).toThrow(/all 0/);
  });
});
