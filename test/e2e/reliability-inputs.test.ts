/**
 * Hostile inputs through the built binary: endless lines, zip bombs, unsafe zip names, binary
 * files, devices and FIFOs. Each ends quickly with `error[CODE]` and exit 2, in bounded memory.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { makeZip } from '../helpers/make-zip.js';
import { header, testCsv, trainCsv } from '../helpers/kaggle-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-e2e-inputs-'));
  // 8 MB with no line break after a valid header: the old reader copied the partial line per chunk.
  await writeFile(join(dir, 'long.csv'), header('train') + '\n' + '0,'.repeat(4 << 20));
  await writeFile(join(dir, 'test.csv'), testCsv(5));
  await writeFile(join(dir, 'train.csv'), trainCsv(40));
});

describe('unbounded lines', () => {
  it(
    'inspect and train stop at the line limit with file:line and the flag to raise it',
    { timeout: 300_000 },
    async () => {
      const i = await runCli(['inspect', 'long.csv'], { cwd: dir, timeoutMs: 120_000 });
      expect(i.code, i.stderr + i.stdout).toBe(2);
      expect(i.stdout + i.stderr).toContain('long.csv:2: line longer than 65536 bytes');
      const t = await runCli(['train', '--train', 'long.csv', '--out', 'runs/long'], { cwd: dir, timeoutMs: 120_000 });
      expect(t.code, t.stderr).toBe(2);
      expect(t.stderr).toContain('error[CSV_LINE_TOO_LONG]: long.csv:2: line longer than 65536 bytes');
      expect(t.stderr).toContain('--max-line-bytes');
      // Raising the limit lets the line through to the ordinary width check.
      const raised = await runCli(
        ['--max-line-bytes', String(16 << 20), 'train', '--train', 'long.csv', '--out', 'runs/long2'],
        { cwd: dir, timeoutMs: 120_000 },
      );
      expect(raised.code, raised.stderr).toBe(2);
      expect(raised.stderr).toContain('error[CSV_WIDTH]');
    },
  );
});

describe('zip archives', () => {
  it('a zip bomb (32 MiB of NULs, ~1000:1) is refused before it is expanded', async () => {
    await writeFile(
      join(dir, 'bomb.zip'),
      makeZip([
        { name: 'train.csv', data: new Uint8Array(32 << 20) },
        { name: 'test.csv', data: testCsv(2) },
      ]),
    );
    const r = await runCli(['inspect', 'bomb.zip'], { cwd: dir, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error[ZIP_TOO_LARGE]');
    expect(r.stderr).toContain('--max-zip-ratio');
    const p = await runCli(['prepare', '--source', 'kaggle', 'bomb.zip', '--out', 'd-bomb'], {
      cwd: dir,
      timeoutMs: 120_000,
    });
    expect(p.code, p.stderr).toBe(2);
    expect(p.stderr).toContain('ZIP_TOO_LARGE');
    const small = await runCli(['--max-zip-bytes', '1000000', 'inspect', 'bomb.zip'], { cwd: dir, timeoutMs: 120_000 });
    expect(small.code).toBe(2);
    expect(small.stderr).toContain('--max-zip-bytes');
  });

  it('a member named ../evil.csv is a user error naming the unsafe name, not a BUG', async () => {
    await writeFile(
      join(dir, 'evil.zip'),
      makeZip([
        { name: '../evil.csv', data: trainCsv(3) },
        { name: 'train.csv', data: trainCsv(3) },
      ]),
    );
    for (const args of [
      ['inspect', 'evil.zip'],
      ['prepare', '--source', 'kaggle', 'evil.zip', '--out', 'd-evil'],
    ]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('error[ZIP_INVALID]');
      expect(r.stderr).toContain('unsafe name');
      expect(r.stderr).not.toContain('error[BUG]');
    }
  });

  it('train --train <Kaggle zip> reads its train.csv member', async () => {
    await writeFile(
      join(dir, 'kaggle.zip'),
      makeZip([
        { name: 'train.csv', data: trainCsv(40) },
        { name: 'test.csv', data: testCsv(5) },
        { name: 'sample_submission.csv', data: 'ImageId,Label\n' },
      ]),
    );
    const r = await runCli(['train', '--train', 'kaggle.zip', '--out', 'runs/zip', '--epochs', '1', '--json'], {
      cwd: dir,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).trainRows + JSON.parse(r.stdout).validationRows.length).toBe(40);
  });

  it('a zip without train.csv/test.csv says what it holds and exits 2', async () => {
    await writeFile(
      join(dir, 'sample.zip'),
      makeZip([{ name: 'sample_submission.csv', data: 'ImageId,Label\n1,0\n' }]),
    );
    const r = await runCli(['inspect', 'sample.zip'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain('error[ZIP_MEMBER_MISSING]');
    expect(r.stderr).toContain('sample_submission.csv');
  });
});

describe('not a text CSV', () => {
  it('a binary file renamed .csv and a UTF-16 file are CSV_NOT_TEXT, with no NUL echoed', async () => {
    await writeFile(
      join(dir, 'elf.csv'),
      Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]), Buffer.alloc(3000)]),
    );
    const r = await runCli(['inspect', 'elf.csv'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout + r.stderr).toContain('not a text CSV');
    expect(r.stdout + r.stderr).not.toContain('\u0000');
    expect(r.stdout + r.stderr).not.toContain('\\u0000');
    await writeFile(
      join(dir, 'utf16.csv'),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(trainCsv(2), 'utf16le')]),
    );
    const u = await runCli(['train', '--train', 'utf16.csv', '--out', 'runs/u16'], { cwd: dir });
    expect(u.code, u.stderr).toBe(2);
    expect(u.stderr).toContain('error[CSV_NOT_TEXT]');
    expect(u.stderr).toContain('UTF-16');
  });
});

describe('terminal safety', () => {
  it('ESC/OSC and RTL-override characters from a CSV field are escaped and the value is capped', async () => {
    const row = trainCsv(2).split('\n')[1].split(',');
    row[5] = '\u001b]0;pwned\u0007\u202eevil' + 'A'.repeat(100);
    await writeFile(join(dir, 'esc.csv'), trainCsv(1) + row.join(',') + '\n');
    for (const args of [
      ['train', '--train', 'esc.csv', '--out', 'runs/esc'],
      ['train', '--train', 'esc.csv', '--out', 'runs/esc', '--json'],
      ['inspect', 'esc.csv'],
    ]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      const all = r.stdout + r.stderr;
      expect(all).not.toMatch(/[\u0007\u001b\u202e]/);
      expect(all).not.toContain('A'.repeat(30));
    }
    const t = await runCli(['train', '--train', 'esc.csv', '--out', 'runs/esc'], { cwd: dir });
    expect(t.stderr).toContain("found '\\x1b]0;pwned\\x07\\u202eevilAAAAA…'");
  });
});

describe('non-regular inputs', () => {
  it('train --train <symlink to /dev/zero>, a FIFO and a folder end at once with NOT_A_FILE', async () => {
    await symlink('/dev/zero', join(dir, 'zero.csv'));
    execFileSync('mkfifo', [join(dir, 'fifo.csv')]);
    const z = await runCli(['train', '--train', 'zero.csv', '--out', 'runs/z'], { cwd: dir, timeoutMs: 120_000 });
    expect(z.code, z.stderr).toBe(2);
    expect(z.stderr).toContain('error[NOT_A_FILE]');
    expect(z.stderr).toContain('character device');
    const f = await runCli(['predict', 'runs/none', '--test', 'fifo.csv'], { cwd: dir, timeoutMs: 120_000 });
    expect(f.code).toBe(2);
    const i = await runCli(['inspect', 'fifo.csv'], { cwd: dir, timeoutMs: 120_000 });
    expect(i.code, i.stderr).toBe(2);
    expect(i.stderr).toContain('FIFO');
    const d = await runCli(['inspect', '.'], { cwd: dir, timeoutMs: 120_000 });
    expect(d.code, d.stderr).toBe(2);
    expect(d.stderr).toContain('is a directory');
    expect(existsSync(join(dir, 'runs', 'z'))).toBe(false);
  });
});
