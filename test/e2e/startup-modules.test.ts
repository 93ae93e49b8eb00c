/**
 * Start-up cost: loading the CLI (every command's definition) must not load the AWS SDK or
 * TensorFlow.js — the SageMaker client alone cost ~0.2 s of every command's start-up (inspect and
 * local runs included), when a domain module imported its instance-type enums eagerly.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers/cli.js';

describe('CLI start-up', () => {
  it('loads no AWS SDK and no TensorFlow.js package before a command runs', () => {
    const program = join(repoRoot, 'dist', 'cli', 'program.js');
    const code = `await import(${JSON.stringify(program)}); const { createRequire } = await import('node:module');
      console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
    const loaded = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' }),
    ) as string[];
    expect(loaded.length).toBeGreaterThan(0); // commander and friends: the probe sees CommonJS loads
    expect(loaded.filter((p) => p.includes('@aws-sdk') || p.includes('@smithy'))).toEqual([]);
    expect(loaded.filter((p) => p.includes('@tensorflow'))).toEqual([]);
  });

  it("run's stage loads no TensorFlow.js layers package before it starts reading its files", () => {
    // The train stage loads the training loop (and tfjs-layers, ~0.2 s) while its file is parsed.
    const stage = join(repoRoot, 'dist', 'stages', 'local', 'run.js');
    const code = `await import(${JSON.stringify(stage)}); const { createRequire } = await import('node:module');
      console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
    const loaded = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' }),
    ) as string[];
    expect(loaded.some((p) => p.includes('tfjs-core'))).toBe(true); // the probe sees the engine
    expect(loaded.filter((p) => p.includes('tfjs-layers') || p.includes('@tensorflow/tfjs/'))).toEqual([]);
  });
});
