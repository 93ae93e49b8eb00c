/**
 * Start-up cost of inspect: its stage must not load the zip reader (yauzl, ~50 ms) until a zip is
 * actually read; a plain or gzip CSV never needs it.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers/cli.js';

const loadedAfter = (code: string): string[] =>
  JSON.parse(
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `${code}; const { createRequire } = await import('node:module');
         console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`,
      ],
      { encoding: 'utf8', cwd: repoRoot },
    ),
  ) as string[];

describe('inspect start-up', () => {
  it('loads yauzl only when a zip is read', () => {
    const stage = JSON.stringify(join(repoRoot, 'dist', 'stages', 'inspect.js'));
    const source = JSON.stringify(join(repoRoot, 'dist', 'adapters', 'byte-source.js'));
    const plain = loadedAfter(`await import(${stage})`);
    expect(plain.filter((p) => p.includes('yauzl'))).toEqual([]);
    // The probe can see it: listing a zip's members loads it (the zip need not exist: the error comes after).
    const zip = loadedAfter(
      `const m = await import(${source}); await m.listZipEntries('no-such.zip').catch(() => undefined)`,
    );
    expect(zip.filter((p) => p.includes('yauzl')).length).toBeGreaterThan(0);
  });
});
