import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { submitStage } from '../../../src/stages/submit.js';
import { defaultDeps } from '../../../src/runtime/deps.js';

const fakeBin = fileURLToPath(new URL('../../fixtures/kaggle-bin', import.meta.url));
let dir: string;
let log: string;
let sub: string;
let home: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'submit-'));
  log = join(dir, 'kaggle-calls.jsonl');
  home = join(dir, 'home');
  await mkdir(home);
  sub = join(dir, 'my submission.csv');
  await writeFile(sub, 'ImageId,Label\n1,3\n2,7\n3,1\n');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) => ({
  PATH: [fakeBin, process.env.PATH ?? ''].join(delimiter),
  KAGGLE_FAKE_LOG: log,
  ...extra,
});
const calls = async () =>
  (await readFile(log, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { argv: string[]; username: string | null });

describe('submitStage', () => {
  it('runs kaggle competitions submit with env credentials', async () => {
    const r = await submitStage(
      { file: sub, rows: 3, message: 'first try', env: env({ KAGGLE_USERNAME: 'ada', KAGGLE_KEY: 'k' }), home },
      defaultDeps(),
    );
    expect(r).toMatchObject({ submitted: true, credentials: 'env', competition: 'digit-recognizer', rows: 3 });
    expect(r.kaggleOutput).toContain('Successfully submitted');
    expect(await calls()).toEqual([
      { argv: ['competitions', 'submit', '-c', 'digit-recognizer', '-f', sub, '-m', 'first try'], username: 'ada' },
    ]);
    expect(r.commandLine).toBe(`kaggle competitions submit -c digit-recognizer -f '${sub}' -m 'first try'`);
  });

  it('finds ~/.kaggle/kaggle.json', async () => {
    await mkdir(join(home, '.kaggle'));
    await writeFile(join(home, '.kaggle', 'kaggle.json'), '{"username":"ada","key":"k"}');
    const r = await submitStage({ file: sub, rows: 3, competition: 'other-comp', env: env(), home }, defaultDeps());
    expect(r).toMatchObject({ submitted: true, credentials: 'kaggle.json' });
    expect((await calls())[0].argv.slice(0, 4)).toEqual(['competitions', 'submit', '-c', 'other-comp']);
  });

  it('finds credentials where the Kaggle CLI looks: KAGGLE_CONFIG_DIR, then ~/.config/kaggle', async () => {
    const cfg = join(dir, 'cfg');
    await mkdir(cfg);
    await writeFile(join(cfg, 'kaggle.json'), '{"username":"ada","key":"k"}');
    const r1 = await submitStage({ file: sub, rows: 3, env: env({ KAGGLE_CONFIG_DIR: cfg }), home }, defaultDeps());
    expect(r1).toMatchObject({ submitted: true, credentials: 'kaggle.json' });
    await mkdir(join(home, '.config', 'kaggle'), { recursive: true });
    await writeFile(join(home, '.config', 'kaggle', 'kaggle.json'), '{"username":"ada","key":"k"}');
    const r2 = await submitStage({ file: sub, rows: 3, env: env(), home }, defaultDeps());
    expect(r2).toMatchObject({ submitted: true, credentials: 'kaggle.json' });
    // KAGGLE_CONFIG_DIR replaces the default places: an empty one means no credentials.
    await expect(
      submitStage({ file: sub, rows: 3, env: env({ KAGGLE_CONFIG_DIR: join(dir, 'empty-cfg') }), home }, defaultDeps()),
    ).rejects.toMatchObject({
      code: 'KAGGLE_NO_CREDENTIALS',
    });
  });

  it('without credentials nothing is sent and it is an error naming the command', async () => {
    const e = await submitStage({ file: sub, rows: 3, message: 'm', env: env(), home }, defaultDeps()).catch(
      (x: unknown) => x as { code: string; exitCode: number; hint: string },
    );
    expect(e).toMatchObject({ code: 'KAGGLE_NO_CREDENTIALS', exitCode: 3 });
    expect(e.hint).toContain(`kaggle competitions submit -c digit-recognizer -f '${sub}' -m m`);
    expect(await calls()).toEqual([]);
  });

  it('without kaggle on PATH it is an error (exit 3)', async () => {
    await expect(
      submitStage(
        { file: sub, rows: 3, env: { PATH: join(dir, 'empty'), KAGGLE_USERNAME: 'a', KAGGLE_KEY: 'k' }, home },
        defaultDeps(),
      ),
    ).rejects.toMatchObject({ code: 'KAGGLE_CLI_NOT_FOUND', exitCode: 3 });
  });

  it('a dry run validates and returns the command without calling kaggle', async () => {
    const r = await submitStage({ file: sub, rows: 3, message: 'm', env: env(), home, dryRun: true }, defaultDeps());
    expect(r).toMatchObject({ submitted: false, reason: 'dry-run', credentials: undefined });
    expect(r.command).toEqual(['kaggle', 'competitions', 'submit', '-c', 'digit-recognizer', '-f', sub, '-m', 'm']);
    expect(await calls()).toEqual([]);
  });

  it('never sends an invalid file: digit-recognizer expects 28,000 rows', async () => {
    await expect(
      submitStage({ file: sub, env: env({ KAGGLE_USERNAME: 'a', KAGGLE_KEY: 'k' }), home }, defaultDeps()),
    ).rejects.toMatchObject({
      code: 'SUBMISSION_INVALID',
      exitCode: 2,
      message: expect.stringContaining('3 data rows, expected 28000'),
    });
    await writeFile(sub, 'ImageId,Label\n1,3\n2,x\n');
    await expect(
      submitStage({ file: sub, rows: 2, env: env({ KAGGLE_USERNAME: 'a', KAGGLE_KEY: 'k' }), home }, defaultDeps()),
    ).rejects.toThrow(/:3: Label 'x'/);
    expect(await calls()).toEqual([]);
  });

  it('a failing kaggle is a cloud error (exit 3) with its output', async () => {
    const e = await submitStage(
      { file: sub, rows: 3, env: env({ KAGGLE_USERNAME: 'a', KAGGLE_KEY: 'k', KAGGLE_FAKE_EXIT: '1' }), home },
      defaultDeps(),
    ).catch((err: unknown) => err as { code: string; exitCode: number; message: string });
    expect(e).toMatchObject({ code: 'KAGGLE_SUBMIT_FAILED', exitCode: 3 });
    expect(e.message).toContain('400 - Bad Request');
    expect(await calls()).toHaveLength(1);
  });
});
