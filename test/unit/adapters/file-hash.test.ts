/**
 * `run` hashes its test file on a worker thread (sha256FileThreaded) and asks git for the commit
 * without blocking (gitShaAsync): the same answers and errors as the in-thread versions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256File, sha256FileThreaded } from '../../../src/adapters/file-hash.js';
import { gitSha, gitShaAsync } from '../../../src/adapters/run-store.js';
import { UserInputError } from '../../../src/errors/index.js';

let dir: string;
const data = Buffer.alloc(3 << 20, 'digitflow,0,255\n');
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'digitflow-hash-'));
  writeFileSync(join(dir, 'a.csv'), data);
  writeFileSync(join(dir, 'empty.csv'), '');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sha256FileThreaded', () => {
  it('gives the hash and size sha256File gives (a 3 MB file and an empty one)', async () => {
    const want = createHash('sha256').update(data).digest('hex');
    expect(await sha256FileThreaded(join(dir, 'a.csv'))).toEqual({ sha256: want, bytes: data.length });
    expect(await sha256FileThreaded(join(dir, 'empty.csv'))).toEqual(await sha256File(join(dir, 'empty.csv')));
  });

  it('fails as sha256File fails for a missing file and for a folder', async () => {
    for (const path of [join(dir, 'missing.csv'), dir]) {
      const threaded = await sha256FileThreaded(path).catch((e) => e);
      const inThread = await sha256File(path).catch((e) => e);
      expect(threaded).toBeInstanceOf(UserInputError);
      expect([threaded.code, threaded.message]).toEqual([inThread.code, inThread.message]);
    }
  });
});

describe('gitShaAsync', () => {
  it('is what gitSha answers', async () => {
    expect(await gitShaAsync()).toBe(gitSha());
  });
});
