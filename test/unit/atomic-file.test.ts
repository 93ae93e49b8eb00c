import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withAtomicWriteStream, writeChunk, writeFileAtomic } from '../../src/adapters/atomic-file.js';

describe('atomic writes', () => {
  it('writes, refuses to overwrite without force, replaces with force', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-atomic-'));
    const p = join(dir, 'out.txt');
    await writeFileAtomic(p, 'one');
    await expect(writeFileAtomic(p, 'two')).rejects.toMatchObject({ code: 'OUTPUT_EXISTS', exitCode: 2 });
    expect(await readFile(p, 'utf8')).toBe('one');
    await writeFileAtomic(p, 'two', { force: true });
    expect(await readFile(p, 'utf8')).toBe('two');
    expect(await readdir(dir)).toEqual(['out.txt']);
  });

  it('a failing writer leaves neither the output nor a temp file, even with queued writes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-atomic-'));
    const p = join(dir, 'big.csv');
    await expect(
      withAtomicWriteStream(p, {}, async (stream) => {
        for (let i = 0; i < 50; i++) stream.write(Buffer.alloc(1 << 16, 65)); // queued, not awaited
        await writeChunk(stream, 'x');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await new Promise((r) => setTimeout(r, 50));
    expect(await readdir(dir)).toEqual([]);
  });

  it('the output appears only on commit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-atomic-'));
    const p = join(dir, 'later.txt');
    await withAtomicWriteStream(p, {}, async (stream) => {
      await writeChunk(stream, 'hello');
      expect((await readdir(dir)).filter((f) => f === 'later.txt')).toEqual([]);
    });
    expect(await readFile(p, 'utf8')).toBe('hello');
    await writeFile(join(dir, 'x'), '');
  });
});
