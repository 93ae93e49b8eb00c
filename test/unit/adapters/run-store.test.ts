import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { writeManifest } from '../../../src/adapters/run-store.js';
import type { RunManifest } from '../../../src/domain/manifest.js';

describe('writeManifest creates its run folder with the safe mkdir', () => {
  // Node's mkdir({recursive:true}) never settles on /proc/<missing>/<x>; makeDirs fails at once.
  it.skipIf(!existsSync('/proc/self'))(
    'a run folder under /proc rejects instead of hanging',
    async () => {
      const m = { manifestVersion: 1, outputs: {}, inputs: [] } as unknown as RunManifest;
      await expect(writeManifest('/proc/digitflow-no-such/run', m, new Date(0))).rejects.toThrow();
    },
    10_000,
  );
});
