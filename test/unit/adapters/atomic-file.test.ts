import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import {
  createTempDir,
  liveTempFiles,
  removeStaleTempFiles,
  removeTempFilesSync,
  withAtomicWriteStream,
  writeChunk,
  writeFileAtomic,
} from '../../../src/adapters/atomic-file.js';

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

  it('temp files live in .digitflow-tmp/ next to the output and are gone after commit or abort', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-atomic-'));
    await withAtomicWriteStream(join(dir, 'a.csv'), {}, async (stream) => {
      await writeChunk(stream, 'x');
      if (stream.pending) await new Promise((r) => stream.once('ready', r));
      const temps = await readdir(join(dir, '.digitflow-tmp'));
      expect(temps).toHaveLength(1);
      expect(temps[0]).toMatch(new RegExp(`^a\\.csv\\.${process.pid}-[0-9a-f]{8}$`));
      expect(liveTempFiles()).toContain(join(dir, '.digitflow-tmp', temps[0]));
    });
    expect(await readdir(dir)).toEqual(['a.csv']);
    // The synchronous exit hook (second Ctrl-C, SIGTERM) removes what is still open.
    await withAtomicWriteStream(join(dir, 'b.csv'), {}, async () => {
      removeTempFilesSync();
      expect(existsSync(join(dir, '.digitflow-tmp'))).toBe(false);
      throw new Error('stop');
    }).catch(() => undefined);
    expect(await readdir(dir)).toEqual(['a.csv']);
  });

  it('stale temps of dead processes are swept, those of live ones kept; scratch folders too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-atomic-'));
    const t = join(dir, '.digitflow-tmp');
    await mkdir(t);
    await writeFile(join(t, 'x.csv.4194305-0badc0de'), 'dead');
    await mkdir(join(t, 'upload.4194306-0badc0de'));
    await writeFile(join(t, `y.csv.${process.pid}-12345678`), 'alive');
    await writeFile(join(t, 'someone-elses-file'), 'kept');
    expect((await removeStaleTempFiles(t)).sort()).toEqual(['upload.4194306-0badc0de', 'x.csv.4194305-0badc0de']);
    expect((await readdir(t)).sort()).toEqual(['someone-elses-file', `y.csv.${process.pid}-12345678`]);
    const scratch = await createTempDir(join(dir, 'run'), 'upload');
    expect(scratch.path.startsWith(join(dir, 'run', '.digitflow-tmp', 'upload.'))).toBe(true);
    await writeFile(join(scratch.path, 'train.csv'), 'x');
    await scratch.remove();
    // The run folder it had to create is gone again: nothing left behind.
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });
  // Regression: one writer's commit removed the emptied .digitflow-tmp/ between another writer's
  // mkdir and its temp file's creation → OUTPUT_PATH_INVALID (ENOENT), exit 2 (tune's two lanes
  // saving tune.json, run's model and validation files written side by side).
  it('concurrent writers into one folder never lose the temp folder under each other', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-atomic-'));
    let x = 12345; // seeded start offsets, so that writers' steps interleave differently each round
    const ticks = async () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      for (let t = x % 7; t > 0; t--) await new Promise((r) => setImmediate(r));
    };
    for (let round = 0; round < 150; round++) {
      const writes = Array.from({ length: 6 }, async (_, k) =>
        (await ticks(), k % 3 === 0)
          ? withAtomicWriteStream(join(dir, `s${k}.txt`), { force: true }, async (s) => {
              s.write(`stream ${round}`);
            })
          : writeFileAtomic(join(dir, k % 3 === 1 ? 'same.json' : `f${k}.txt`), `file ${round}`, { force: true }),
      );
      const settled = await Promise.allSettled(writes);
      expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);
    }
    const scratch = await Promise.all(Array.from({ length: 8 }, () => createTempDir(dir, 'upload')));
    await Promise.all(scratch.map((x) => x.remove()));
    expect((await readdir(dir)).includes('.digitflow-tmp')).toBe(false);
    expect(liveTempFiles()).toEqual([]);
  });
  // Regression: two rewrites of one file in flight at once (tune's lanes saving tune.json, the run
  // recorder saving the manifest for two resources) could be renamed in the other order, leaving
  // the older content on disk: a manifest missing a resource a crash would then never clean up.
  it('rewrites of one path in flight at once land in call order: the last call wins', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-atomic-'));
    const p = join(dir, 'manifest.json');
    // The early calls write more, so that unordered writes would finish after the later ones.
    const writes = Array.from({ length: 40 }, (_, i) =>
      writeFileAtomic(p, `${i}\n`.padStart(i < 20 ? 1 << 20 : 8, ' '), { force: true }),
    );
    await Promise.all(writes);
    expect((await readFile(p, 'utf8')).trim()).toBe('39');
    // A failed write does not block the ones after it.
    await Promise.all([
      writeFileAtomic(join(dir, 'manifest.json', 'x'), 'no', { force: true }).catch(() => 'failed'),
      writeFileAtomic(p, 'after', { force: true }),
    ]);
    expect(await readFile(p, 'utf8')).toBe('after');
    expect((await readdir(dir)).sort()).toEqual(['manifest.json']);
  });
});
