/**
 * A saved model folder is not trusted (built binary): weight paths must stay inside the folder
 * and be regular files of the declared sizes, metadata must match the network, and a model that
 * yields NaN never produces a probability file with exit 0.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { digitsSplit, toKaggleCsv } from '../helpers/tfjs-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-e2e-models-'));
  const { train, test } = digitsSplit(300, 20, 3);
  await writeFile(join(dir, 'train.csv'), toKaggleCsv(train, true));
  await writeFile(join(dir, 'test.csv'), toKaggleCsv(test, false));
  for (const model of ['linear', 'cnn']) {
    const r = await runCli(
      ['train', '--train', 'train.csv', '--out', `runs/${model}`, '--model', model, '--epochs', '1', '--quiet'],
      { cwd: dir, timeoutMs: 120_000 },
    );
    expect(r.code, r.stderr).toBe(0);
  }
}, 240_000);

/** A copy of a trained run with `edit` applied to its model folder. */
async function tampered(model: string, name: string, edit: (modelDir: string) => Promise<void>): Promise<string> {
  const run = join(dir, 'runs', `${model}-${name}`);
  await cp(join(dir, 'runs', model), run, { recursive: true });
  await edit(join(run, 'model'));
  return run;
}

/** The fields of the saved model.json / metadata.json the tampering cases rewrite. */
type ModelJson = Record<string, unknown> & { weightsManifest: { paths: string[] }[] };

async function editJson(path: string, edit: (j: ModelJson) => void): Promise<void> {
  const j = JSON.parse(await readFile(path, 'utf8')) as ModelJson;
  edit(j);
  await writeFile(path, JSON.stringify(j));
}

async function predict(run: string): Promise<{ code: number | null; stderr: string; files: string[] }> {
  const r = await runCli(['predict', '--run', run, '--test', 'test.csv', '-o', join(run, 'out', 'p.csv')], {
    cwd: dir,
    timeoutMs: 60_000,
  });
  const files = await readdir(join(run, 'out')).catch(() => ['(no out folder)']);
  return { code: r.code, stderr: r.stderr, files };
}

describe('tampered model folders (predict)', () => {
  for (const model of ['linear', 'cnn']) {
    it(`${model}: weights.bin a symlink to /dev/zero, a path to ../../etc/passwd, a wrong size`, async () => {
      const zero = await tampered(model, 'zero', async (m) => {
        await rm(join(m, 'weights.bin'));
        await symlink('/dev/zero', join(m, 'weights.bin'));
      });
      const z = await predict(zero);
      expect(z.code, z.stderr).toBe(2);
      expect(z.stderr).toContain('error[MODEL_INVALID]');
      expect(z.stderr).toContain('links outside the model folder');
      expect(z.files).toEqual(['(no out folder)']);

      const passwd = await tampered(model, 'passwd', (m) =>
        editJson(join(m, 'model.json'), (j) => (j.weightsManifest[0].paths = ['../../../../../../etc/passwd'])),
      );
      const p = await predict(passwd);
      expect(p.code, p.stderr).toBe(2);
      expect(p.stderr).toContain('outside the model folder');

      const short = await tampered(model, 'short', async (m) => {
        const w = await readFile(join(m, 'weights.bin'));
        await writeFile(join(m, 'weights.bin'), w.subarray(0, w.length - 4));
      });
      const s = await predict(short);
      expect(s.code, s.stderr).toBe(2);
      expect(s.stderr).toMatch(/the weight files hold \d+ bytes, model.json describes \d+/);

      const big = await runCli(
        [
          '--max-model-bytes',
          '1000',
          'predict',
          '--run',
          join(dir, 'runs', model),
          '--test',
          'test.csv',
          '-o',
          join(dir, `big-${model}.csv`),
        ],
        { cwd: dir },
      );
      expect(big.code, big.stderr).toBe(2);
      expect(big.stderr).toContain('error[MODEL_TOO_LARGE]');
      expect(big.stderr).toContain('--max-model-bytes');
    });

    it(`${model}: NaN weights, numClasses 12 and a 100-entry normalisation are refused, nothing written`, async () => {
      const nan = await tampered(model, 'nan', async (m) => {
        const w = await readFile(join(m, 'weights.bin'));
        w.writeFloatLE(NaN, 0);
        await writeFile(join(m, 'weights.bin'), w);
      });
      const n = await predict(nan);
      expect(n.code, n.stderr).toBe(2);
      expect(n.stderr).toContain('NaN');
      expect(n.files).toEqual(['(no out folder)']);

      const twelve = await tampered(model, 'twelve', (m) =>
        editJson(join(m, 'metadata.json'), (j) => {
          j.numClasses = 12;
          j.classes = Array.from({ length: 12 }, (_, i) => String(i));
        }),
      );
      const t = await predict(twelve);
      expect(t.code, t.stderr).toBe(2);
      expect(t.stderr).toContain('error[MODEL_INVALID]');
      expect(t.files).toEqual(['(no out folder)']);

      const norm = await tampered(model, 'norm', (m) =>
        editJson(join(m, 'metadata.json'), (j) => {
          j.normalization = {
            kind: 'standardize',
            mean: new Array(100).fill(0),
            std: new Array(100).fill(1),
            stdFloor: 8,
          };
        }),
      );
      const o = await predict(norm);
      expect(o.code, o.stderr).toBe(2);
      expect(o.stderr).toContain('normalization');

      const shape = await tampered(model, 'shape', (m) =>
        editJson(join(m, 'metadata.json'), (j) => (j.inputShape = [28, 28])),
      );
      const sh = await predict(shape);
      expect(sh.code, sh.stderr).toBe(2);
      expect(sh.stderr).toContain('inputShape');
      expect(sh.stderr).not.toContain('error[BUG]');
    });
  }

  it('cnn: huge finite weights whose softmax is NaN give MODEL_INVALID, not a NaN file', async () => {
    const huge = await tampered('cnn', 'huge', async (m) => {
      const w = await readFile(join(m, 'weights.bin'));
      for (let i = 0; i + 4 <= w.length; i += 4) w.writeFloatLE(3e38, i);
      await writeFile(join(m, 'weights.bin'), w);
    });
    const h = await predict(huge);
    expect(h.code, h.stderr).toBe(2);
    expect(h.stderr).toContain('error[MODEL_INVALID]');
    expect(h.stderr).toContain('no output was written');
    // The folder predict created for the output is gone too: a failed command leaves nothing behind.
    expect(h.files).toEqual(['(no out folder)']);
  });
});
