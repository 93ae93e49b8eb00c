/**
 * The README's library example, executed as written (only `'digitflow'` is pointed at the built
 * package), against a run trained by the built CLI; its predictions must be the CLI's.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { repoRoot, runCli } from '../helpers/cli.js';

const exec = promisify(execFile);

describe('README library example', () => {
  it('runs as written and predicts what the CLI predicts', async () => {
    const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
    const block = readme.match(/<!-- library-example:start -->\n```js\n([\s\S]*?)```\n<!-- library-example:end -->/);
    expect(block, 'README has no library example block').not.toBeNull();
    const dir = await mkdtemp(join(tmpdir(), 'df-lib-example-'));
    await mkdir(join(dir, 'data'));
    await copyFile(join(repoRoot, 'data', 'sample', 'train.csv'), join(dir, 'data', 'train.csv'));
    await copyFile(join(repoRoot, 'data', 'sample', 'test.csv'), join(dir, 'data', 'test.csv'));
    const t = await runCli(['train', '-o', 'runs/my-run', '--epochs', '3', '--quiet'], { cwd: dir });
    expect(t.code, t.stderr).toBe(0);
    const code = block![1].replace(
      /from 'digitflow'/g,
      `from '${pathToFileURL(join(repoRoot, 'dist', 'index.js')).href}'`,
    );
    await writeFile(join(dir, 'example.mjs'), code);
    const { stdout } = await exec(process.execPath, ['example.mjs'], { cwd: dir });
    expect(stdout).toMatch(/^linear model, validation accuracy 0\.\d{4}\n/);
    const counts = stdout.match(/predicted 100 digits, per class: ((?:\d+ ?){10})\n/);
    expect(counts, stdout).not.toBeNull();

    // The same run through the CLI: predict → argmax gives the same labels.
    expect((await runCli(['predict', 'runs/my-run'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['argmax', 'runs/my-run'], { cwd: dir })).code).toBe(0);
    const cli = (await readFile(join(dir, 'runs/my-run/submission.csv'), 'utf8'))
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => Number(l.split(',')[1]));
    const perClass = Array.from({ length: 10 }, (_, c) => cli.filter((l) => l === c).length);
    expect(counts![1].trim().split(' ').map(Number)).toEqual(perClass);
    expect(stdout).toContain(`first five: ${cli.slice(0, 5).join(',')};`);
  });
});
