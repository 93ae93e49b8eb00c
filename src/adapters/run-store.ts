/**
 * Run directories: `runs/<run-id>/` with manifest.json and the run's outputs.
 * The manifest is rewritten atomically each time a stage records something.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { arch, cpus, platform, totalmem } from 'node:os';
import { UserInputError } from '../errors/index.js';
import { MANIFEST_VERSION, type HostRecord, type RunManifest } from '../domain/manifest.js';
import { fileExists, makeDirs, writeJsonAtomic } from './atomic-file.js';
import { dependencyVersion, packageRoot, packageVersion } from '../version.js';

export const MANIFEST_FILE = 'manifest.json';

/** A run id from the clock: `20261126-133045-linear`, unique within `runsDir` (suffix -2, -3... on clash). */
export async function newRunId(runsDir: string, now: Date, label: string): Promise<string> {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const base = `${stamp}-${label}`.replace(/[^a-zA-Z0-9-]/g, '-');
  let id = base;
  for (let i = 2; await fileExists(join(runsDir, id)); i++) id = `${base}-${i}`;
  return id;
}

export async function readManifest(runDir: string): Promise<RunManifest> {
  const path = join(runDir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UserInputError('RUN_NOT_FOUND', `${runDir} is not a digitflow run directory (no ${MANIFEST_FILE})`, {
      hint: 'pass a folder created by `digitflow run` or `digitflow train`, e.g. runs/<run-id>',
      details: { path },
    });
  }
  let m: RunManifest;
  try {
    m = JSON.parse(text) as RunManifest;
  } catch (e) {
    throw new UserInputError('MANIFEST_INVALID', `${path} is not valid JSON: ${(e as Error).message}`, { details: { path } });
  }
  if (m.manifestVersion !== MANIFEST_VERSION) {
    throw new UserInputError(
      'MANIFEST_VERSION',
      `${path} has manifestVersion ${String(m.manifestVersion)}; this digitflow reads version ${MANIFEST_VERSION}`,
      { details: { path } },
    );
  }
  return m;
}

export async function writeManifest(runDir: string, manifest: RunManifest, now: Date): Promise<void> {
  await makeDirs(runDir);
  manifest.updatedAt = now.toISOString();
  const peak = Math.max(process.resourceUsage().maxRSS * 1024, manifest.host?.peakRssBytes ?? 0);
  manifest.host = { ...hostRecord(), peakRssBytes: peak };
  await writeJsonAtomic(join(runDir, MANIFEST_FILE), manifest, { force: true });
}

/** The machine, recorded in every manifest. */
export function hostRecord(): HostRecord {
  const list = cpus();
  return {
    platform: platform(),
    arch: arch(),
    cpus: list.length,
    cpuModel: list[0]?.model,
    memoryBytes: totalmem(),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

/** Versions recorded in every manifest. */
export function runtimeVersions(): Record<string, string> {
  const v: Record<string, string> = { digitflow: packageVersion(), node: process.version };
  for (const dep of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@aws-sdk/client-sagemaker', '@aws-sdk/client-s3']) {
    const version = dependencyVersion(dep);
    if (version) v[dep] = version;
  }
  return v;
}

/** The git commit of the digitflow checkout, when it is one. */
export function gitSha(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}
