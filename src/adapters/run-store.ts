/**
 * Run directories: `runs/<run-id>/` with manifest.json and the run's outputs.
 * The manifest is rewritten atomically each time a stage records something.
 */
import { readFile, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { arch, cpus, platform, totalmem } from 'node:os';
import { UserInputError } from '../errors/index.js';
import {
  MANIFEST_VERSION,
  newManifest,
  upgradeManifest,
  type CloudResource,
  type CloudResourceKind,
  type HostRecord,
  type RunManifest,
  type SageMakerRecord,
} from '../domain/manifest.js';
import { makeDirs, writeJsonAtomic } from './atomic-file.js';
import { dependencyVersion, packageRoot, packageVersion } from '../version.js';

export const MANIFEST_FILE = 'manifest.json';

/**
 * The one place run ids are made: `20261126-133045-linear` from the injected clock, and the
 * folder `runsDir/<id>` is created (reserved) in the same step, so two runs started in the same
 * second never get the same id (the second gets `-2`, `-3`...). Returns the id; the folder exists.
 */
export async function newRunId(runsDir: string, now: Date, label: string): Promise<string> {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const base = `${stamp}-${label}`.replace(/[^a-zA-Z0-9-]/g, '-');
  await makeDirs(runsDir);
  for (let i = 1; ; i++) {
    const id = i === 1 ? base : `${base}-${i}`;
    try {
      await mkdir(join(runsDir, id));
      return id;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
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
    throw new UserInputError('MANIFEST_INVALID', `${path} is not valid JSON: ${(e as Error).message}`, {
      details: { path },
    });
  }
  if (m.manifestVersion !== MANIFEST_VERSION) {
    throw new UserInputError(
      'MANIFEST_VERSION',
      `${path} has manifestVersion ${String(m.manifestVersion)}; this digitflow reads version ${MANIFEST_VERSION}`,
      { details: { path } },
    );
  }
  return upgradeManifest(m);
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
  for (const dep of [
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-node',
    '@aws-sdk/client-sagemaker',
    '@aws-sdk/client-s3',
  ]) {
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

let gitShaRunning: Promise<string | undefined> | undefined;

/** gitSha() without blocking this thread: `git` runs while the caller works (one process per run). */
export function gitShaAsync(): Promise<string | undefined> {
  gitShaRunning ??= new Promise((resolve) => {
    execFile('git', ['rev-parse', 'HEAD'], { cwd: packageRoot }, (err, stdout) =>
      resolve(err ? undefined : String(stdout).trim()),
    );
  });
  return gitShaRunning;
}

/**
 * The run recorder both engines write through: keeps `manifest.json` in step with the run, one
 * atomic rewrite per change, so a crash at any point still leaves what exists on record.
 */
export class RunRecorder {
  constructor(
    readonly runDir: string,
    readonly manifest: RunManifest,
    private readonly clock: { now(): number },
  ) {}

  /** A new manifest (id, command, engine, seed, versions, git sha) for `runDir`; nothing is written yet. */
  static create(
    runDir: string,
    fields: { runId: string; command: string; engine: RunManifest['engine']; seed: number; model?: string },
    clock: { now(): number },
  ): RunRecorder {
    const manifest = newManifest({ ...fields, now: new Date(clock.now()), versions: runtimeVersions() });
    manifest.gitSha = gitSha();
    return new RunRecorder(runDir, manifest, clock);
  }

  /** The managed record (created on first use). */
  sagemaker(planInput?: SageMakerRecord['planInput']): SageMakerRecord {
    this.manifest.sagemaker ??= {};
    if (planInput) this.manifest.sagemaker.planInput = planInput;
    return this.manifest.sagemaker;
  }

  /** Records a resource the moment it exists, so a crash right after still leaves a trace. */
  async addResource(kind: CloudResourceKind, id: string, region: string, deletable: boolean): Promise<void> {
    if (this.manifest.resources.some((r) => r.kind === kind && r.id === id)) return;
    const r: CloudResource = { kind, id, region, deletable, createdAt: new Date(this.clock.now()).toISOString() };
    this.manifest.resources.push(r);
    await this.save();
  }

  async timing(phase: string, seconds: number): Promise<void> {
    this.manifest.timings[phase] = Math.round(seconds * 1000) / 1000;
    await this.save();
  }

  async save(): Promise<void> {
    await writeManifest(this.runDir, this.manifest, new Date(this.clock.now()));
  }

  /**
   * After a failure: a run that created no cloud resource leaves no folder behind (when the folder
   * holds nothing but what this run wrote); one that did keeps its manifest for `cleanup`/`attach`.
   */
  async discardIfNothingCreated(createdDir: boolean): Promise<boolean> {
    if (this.manifest.resources.length > 0 || !createdDir) return false;
    await rm(this.runDir, { recursive: true, force: true });
    return true;
  }
}

/** True when `dir` does not exist or is an empty folder (a reserved run id). */
export async function isFreshRunDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
}
