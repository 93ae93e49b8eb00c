/**
 * vitest global setup: starts the servers integration tests need (see test/helpers/*).
 *
 * S3: spawns s3rver on a free loopback port and provides `s3` (endpoint + credentials) to tests
 * through `inject('s3')`. With `S3_ENDPOINT` set (the Ceph RGW tier, scripts/ci-rgw-tests.sh)
 * nothing is spawned and that endpoint is used with `S3_ACCESS_KEY_ID`/`S3_SECRET_ACCESS_KEY`.
 */
import type { TestProject } from 'vitest/node';
import { startS3rver, S3RVER_CREDENTIALS, type S3rverHandle } from './s3rver.js';

export interface S3TestServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** 's3rver' or 'external' (RGW or any server given by S3_ENDPOINT). */
  kind: 's3rver' | 'external';
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3TestServer;
    /** Same endpoint as `s3.endpoint`, for tests that only need the URL. */
    s3Endpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let server: S3rverHandle | undefined;
  const external = process.env.S3_ENDPOINT;
  if (external) {
    project.provide('s3', {
      endpoint: external,
      accessKeyId: process.env.S3_ACCESS_KEY_ID ?? 'TESTACCESSKEY',
      secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? 'TESTSECRETKEY',
      kind: 'external',
    });
    project.provide('s3Endpoint', external);
  } else {
    server = await startS3rver();
    project.provide('s3', { endpoint: server.endpoint, ...S3RVER_CREDENTIALS, kind: 's3rver' });
    project.provide('s3Endpoint', server.endpoint);
  }
  return async () => {
    await server?.stop();
  };
}
