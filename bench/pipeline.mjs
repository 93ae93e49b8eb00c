#!/usr/bin/env node
/**
 * Pipeline benchmark (npm run bench:pipeline): the two steps around the model, each measured on
 * the BUILT CLI as a child process (node start-up included), with a peer in the same run.
 *
 *  1. argmax of N probability rows (default 1,000,000) in two input formats, generated once into
 *     bench/.out/ with a seeded generator (bench/lib/make-probabilities.mjs, 6 significant digits):
 *     (a) SageMaker Linear Learner JSON Lines, (b) the local engine's `ImageId,0..9` CSV.
 *     `digitflow argmax FILE -o OUT --force --quiet` against pandas (Debian python3-pandas:
 *     read_csv / read_json(lines=True), numpy argmax, to_csv `ImageId,Label`) as a whole python
 *     process too. Wall time and peak RSS, best of --runs alternated rounds; rows/s and the ratio
 *     digitflow/pandas. A pandas format that would take more than ~60 s on N rows (projected from a
 *     50,000-row calibration) runs on fewer rows, said in the output, and is compared per row.
 *  2. upload of the Kaggle-size train.csv (42,000 rows, bench/.out/kaggle-train-42000.csv) to a
 *     local s3rver: `digitflow upload --bucket B --train ...` (parse, convert to Linear Learner CSV,
 *     hold out validation, sha256, multipart send), each run under a fresh run id so nothing is
 *     skipped; then the same run id again, where every object is unchanged and skipped (its own
 *     line). Peer: `aws s3 cp` of the same file when the AWS CLI is installed.
 * Options: --rows N (default 1000000), --runs N (default 3), --skip-argmax, --skip-upload, --json,
 * --peer-limit S (the ~60 s above).
 * Wall time is taken in JS around each child process; peak RSS from /usr/bin/time -f "%e %M"
 * when it exists (else n/a). Everything temporary lives in one temp dir, removed at the end;
 * s3rver is killed at the end, on failure and on exit.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const cli = join(root, 'dist', 'cli', 'main.js');
const outDir = join(root, 'bench', '.out');
mkdirSync(outDir, { recursive: true });

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, def) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const ROWS = opt('--rows', 1_000_000);
const RUNS = opt('--runs', 3);
const SEED = 42;
const PEER_LIMIT_S = opt('--peer-limit', 60); // a pandas run projected longer than this (s) runs on fewer rows
const PEER_TARGET_S = PEER_LIMIT_S / 2; // ... on about this many seconds' worth of rows
const CALIBRATION_ROWS = 50_000;
if (!Number.isInteger(ROWS) || ROWS < 1 || !Number.isInteger(RUNS) || RUNS < 1) {
  console.error(
    'usage: node bench/pipeline.mjs [--rows N] [--runs N] [--skip-argmax] [--skip-upload] [--peer-limit S] [--json]',
  );
  process.exit(2);
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const tmp = mkdtempSync(join(tmpdir(), 'digitflow-bench-pipeline-'));
const results = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg().map((l) => +l.toFixed(2)) },
  rows: ROWS,
  runs: RUNS,
};
console.log(
  `machine: ${results.machine.cpus} cpus (${results.machine.model}), load average ${results.machine.loadavg.join(' ')}`,
);

// --- child processes -------------------------------------------------------------------------------
let s3rver; // the s3rver child while it runs
const killS3rverNow = () => {
  if (s3rver && s3rver.exitCode === null && s3rver.signalCode === null) s3rver.kill('SIGKILL');
};
process.on('exit', () => {
  killS3rverNow();
  rmSync(tmp, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(130)); // 'exit' cleans up

/**
 * Runs a command to completion (asynchronously: s3rver's output keeps being drained meanwhile).
 * Returns its exit code, output, wall seconds (measured here) and peak RSS in MB (from /usr/bin/time).
 */
let timeFiles = 0;
function run(cmd, argv, { cwd = tmp, env = process.env } = {}) {
  const timeFile = join(tmp, `time-${timeFiles++}.txt`);
  const [file, full] = TIME ? [TIME, ['-f', '%e %M', '-o', timeFile, cmd, ...argv]] : [cmd, argv];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, full, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      let rssMB;
      if (TIME && existsSync(timeFile)) {
        const last = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(/\s+/);
        rssMB = Number(last[1]) / 1024;
        rmSync(timeFile, { force: true });
      }
      resolve({ code, stdout, stderr, seconds, rssMB });
    });
  });
}
async function runOk(what, cmd, argv, opts) {
  const r = await run(cmd, argv, opts);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr.slice(-4000)}`);
  return r;
}

const fmt = (x, d = 3) => (x === undefined || x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(d));
const rss = (mb) => (mb === undefined ? 'n/a' : `${mb.toFixed(0)} MB`);
const best = (xs) => Math.min(...xs);
const maxRss = (rs) => (rs.some((r) => r.rssMB === undefined) ? undefined : Math.max(...rs.map((r) => r.rssMB)));
const runList = (rs) => rs.map((r) => fmt(r.seconds, 2)).join(' ');

// --- 1. argmax ------------------------------------------------------------------------------------
async function probabilityFile(rows, format) {
  const file = join(outDir, `probabilities-${rows}-seed${SEED}.${format === 'csv' ? 'csv' : 'jsonl'}`);
  if (!existsSync(file)) {
    execFileSync(
      process.execPath,
      [join(root, 'bench', 'lib', 'make-probabilities.mjs'), file, String(rows), format, String(SEED)],
      { stdio: 'inherit' },
    );
  }
  return file;
}

// Same job as `digitflow argmax`: read, argmax per row (numpy: ties to the lowest class), write
// ImageId,Label. Prints the seconds of that work (imports excluded) and the row count.
const PANDAS_ARGMAX = `
import sys, time
import numpy as np, pandas as pd
fmt, src, out = sys.argv[1:4]
t = time.perf_counter()
if fmt == 'csv':
    df = pd.read_csv(src)
    ids = df['ImageId'].to_numpy()
    scores = df.iloc[:, 1:].to_numpy()
else:
    df = pd.read_json(src, lines=True)
    scores = np.array(df['score'].tolist())
    ids = np.arange(1, len(scores) + 1)
pd.DataFrame({'ImageId': ids, 'Label': scores.argmax(axis=1)}).to_csv(out, index=False)
print(time.perf_counter() - t, len(scores))
`;
const pandas = (format, file, out) =>
  runOk(`pandas argmax (${format})`, python, ['-c', PANDAS_ARGMAX, format, file, out]);

async function benchArgmax() {
  const pandasOk = spawnSync(python, ['-c', 'import numpy, pandas'], { stdio: 'ignore' }).status === 0;
  const formats = [
    { format: 'jsonlines', name: 'Linear Learner JSON Lines' },
    { format: 'csv', name: 'local engine CSV (ImageId,0..9)' },
  ];
  for (const f of formats) {
    f.file = await probabilityFile(ROWS, f.format);
    f.mb = statSync(f.file).size / 1e6;
    f.ours = [];
    f.peer = [];
    f.peerRows = ROWS;
  }
  console.log(
    `\nargmax of ${ROWS} probability rows (built CLI as a child process, node start-up included), ` +
      `best of ${RUNS} alternated rounds${TIME ? '' : '; /usr/bin/time not found: peak RSS n/a'}:`,
  );
  if (!pandasOk)
    console.log(`  pandas: skipped (${python} cannot import pandas/numpy; apt-get install python3-pandas to compare)`);
  else {
    // A pandas format projected to take more than PEER_LIMIT_S on ROWS rows runs on a prefix of the
    // same rows (same seed) instead, and is compared per row.
    for (const f of formats) {
      if (ROWS <= CALIBRATION_ROWS) continue;
      const small = await probabilityFile(CALIBRATION_ROWS, f.format);
      const r = await pandas(f.format, small, join(tmp, `calibrate-${f.format}.csv`));
      const rate = CALIBRATION_ROWS / Number(r.stdout.trim().split(/\s+/)[0]);
      if (ROWS / rate > PEER_LIMIT_S) {
        f.peerRows = Math.max(
          CALIBRATION_ROWS,
          Math.floor((rate * PEER_TARGET_S) / CALIBRATION_ROWS) * CALIBRATION_ROWS,
        );
        f.peerFile = await probabilityFile(f.peerRows, f.format);
      }
    }
  }
  for (let i = 0; i < RUNS; i++) {
    for (const f of formats) {
      f.oursOut = join(tmp, `digitflow-${f.format}.csv`);
      const r = await runOk(`digitflow argmax (${f.format})`, process.execPath, [
        cli,
        'argmax',
        f.file,
        '-o',
        f.oursOut,
        '--force',
        '--quiet',
      ]);
      f.ours.push(r);
      if (pandasOk) {
        f.peerOut = join(tmp, `pandas-${f.format}.csv`);
        f.peer.push(await pandas(f.format, f.peerFile ?? f.file, f.peerOut));
      }
    }
  }
  results.argmax = {};
  for (const f of formats) {
    const t = best(f.ours.map((r) => r.seconds));
    const out = {
      file: f.file,
      mb: f.mb,
      rows: ROWS,
      digitflow: {
        seconds: t,
        rowsPerSecond: ROWS / t,
        peakRssMB: maxRss(f.ours) ?? null,
        runs: f.ours.map((r) => r.seconds),
      },
    };
    console.log(`  ${f.name}: ${f.file.slice(root.length + 1)} (${f.mb.toFixed(1)} MB)`);
    console.log(
      `    ${'digitflow argmax'.padEnd(24)} ${fmt(t)} s  ${Math.round(ROWS / t)
        .toString()
        .padStart(8)} rows/s  peak RSS ${rss(maxRss(f.ours))}  (runs ${runList(f.ours)})`,
    );
    if (pandasOk) {
      const p = best(f.peer.map((r) => r.seconds));
      const inScript = best(f.peer.map((r) => Number(r.stdout.trim().split(/\s+/)[0])));
      const rows = f.peerRows;
      const fewer =
        rows !== ROWS
          ? `\n      pandas on the first ${rows} rows only: ${ROWS} rows would take over ${PEER_LIMIT_S} s; ` +
            `compared per row`
          : '';
      console.log(
        `    ${`pandas ${pd()}`.padEnd(24)} ${fmt(p)} s  ${Math.round(rows / p)
          .toString()
          .padStart(8)} rows/s  peak RSS ${rss(maxRss(f.peer))}  (runs ${runList(f.peer)}; ` +
          `read+argmax+write alone ${fmt(inScript)} s)${fewer}`,
      );
      const ratio = ROWS / t / (rows / p);
      // The same bytes, or (pandas on a prefix) the same bytes as the first rows of ours.
      const ours = readFileSync(f.oursOut);
      let end = -1;
      for (let n = 0; n <= rows; n++) end = ours.indexOf(10, end + 1); // header + rows lines
      const same = ours.subarray(0, end + 1).equals(readFileSync(f.peerOut))
        ? rows === ROWS
          ? 'identical'
          : `first ${rows} rows identical`
        : 'DIFFER';
      console.log(
        `    ratio digitflow / pandas rows/s: ${fmt(ratio, 2)}x${rows !== ROWS ? ' (per row)' : ''}   ` +
          `submissions: ${same}`,
      );
      out.pandas = {
        version: pd(),
        rows,
        seconds: p,
        rowsPerSecond: rows / p,
        workSeconds: inScript,
        peakRssMB: maxRss(f.peer) ?? null,
        runs: f.peer.map((r) => r.seconds),
      };
      out.ratio = ratio;
      out.submissionsIdentical = same !== 'DIFFER';
    }
    results.argmax[f.format] = out;
  }
}
let pandasVersion;
function pd() {
  pandasVersion ??= spawnSync(python, ['-c', 'import pandas; print(pandas.__version__)'], {
    encoding: 'utf8',
  }).stdout.trim();
  return pandasVersion;
}

// --- 2. upload to s3rver --------------------------------------------------------------------------
/** s3rver as test/helpers/s3rver.ts starts it: a child process on 127.0.0.1, port from its log. */
async function startS3rver(dir) {
  const bin = require.resolve('s3rver/bin/s3rver.js');
  // --openssl-legacy-provider: s3rver's continuation tokens use DES (see test/helpers/s3rver.ts).
  s3rver = spawn(
    process.execPath,
    ['--openssl-legacy-provider', bin, '-d', dir, '-a', '127.0.0.1', '-p', '0', '--no-vhost-buckets'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start within 15 s:\n${log}`)), 15_000);
    s3rver.stdout.on('data', (b) => {
      log += b;
      const m = /listening on ([\d.]+):(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[2]));
      }
    });
    s3rver.stderr.on('data', (b) => (log += b));
    s3rver.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code} before listening:\n${log}`));
    });
  });
  // Keep draining its output so a chatty server never blocks on a full pipe.
  s3rver.stdout.resume();
  s3rver.stderr.resume();
  return port;
}
async function stopS3rver() {
  if (!s3rver) return;
  const child = s3rver;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  s3rver = undefined;
}

async function benchUpload() {
  const csv = join(outDir, 'kaggle-train-42000.csv');
  if (!existsSync(csv))
    execFileSync(process.execPath, [join(root, 'bench', 'lib', 'make-kaggle-csv.mjs'), csv, '42000'], {
      stdio: 'inherit',
    });
  const mb = statSync(csv).size / 1e6;
  const dataDir = mkdtempSync(join(tmp, 's3rver-'));
  const cwd = mkdtempSync(join(tmp, 'cwd-')); // the CLI writes runs/<id>/ here
  const bucket = 'digitflow-bench';
  try {
    const port = await startS3rver(dataDir);
    const endpoint = `http://127.0.0.1:${port}`;
    // Only s3rver's credentials, no profile or config file of this machine.
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    };
    for (const k of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL']) delete env[k];
    // no Node 22 notice from the SDK in this output
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const { S3Client, CreateBucketCommand, HeadObjectCommand } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));

    const upload = (runId) =>
      runOk(
        'digitflow upload',
        process.execPath,
        [cli, 'upload', '--bucket', bucket, '--prefix', 'bench', '--train', csv, '--run-id', runId, '--json'],
        { cwd, env },
      );
    const parse = (r) => JSON.parse(r.stdout);
    const fresh = [];
    for (let i = 1; i <= RUNS; i++) fresh.push(await upload(`run-${i}`)); // new keys each time: nothing skipped
    const again = await upload('run-1'); // same keys, same bytes: every object skipped
    for (const r of fresh) if (parse(r).skipped.length) throw new Error('a fresh upload skipped objects');

    const bestRun = fresh.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const o = parse(bestRun);
    const sentMB = o.uploaded.reduce((s, f) => s + f.bytes, 0) / 1e6;
    const sendSeconds = o.uploaded.reduce((s, f) => s + f.seconds, 0);
    const t = bestRun.seconds;
    console.log(
      `\nupload of ${csv.slice(root.length + 1)} (${mb.toFixed(1)} MB, 42,000 rows) ` +
        `to s3rver on 127.0.0.1 (built CLI, node start-up included), best of ${RUNS}:`,
    );
    console.log(
      `  digitflow upload (read, convert, split, hash, send)  ${fmt(t)} s  ${fmt(mb / t, 1).padStart(6)} ` +
        `MB/s of input  peak RSS ${rss(maxRss(fresh))}  (runs ${runList(fresh)})`,
    );
    // The CLI's own per-object seconds: HEAD (skip check), multipart send, HEAD (stored size check).
    console.log(
      `    of which S3 (${o.uploaded.length} objects, ${sentMB.toFixed(1)} MB of Linear Learner CSV; HEAD, ` +
        `send, size check): ${fmt(sendSeconds)} s, ${fmt(sentMB / sendSeconds, 1)} MB/s`,
    );
    const a = parse(again);
    console.log(
      `  the same upload again (run-1: all ${a.skipped.length} objects unchanged, skipped, ` +
        `nothing sent)  ${fmt(again.seconds)} s  peak RSS ${rss(again.rssMB)}`,
    );
    results.upload = {
      file: csv,
      inputMB: mb,
      digitflow: {
        seconds: t,
        mbPerSecond: mb / t,
        peakRssMB: maxRss(fresh) ?? null,
        runs: fresh.map((r) => r.seconds),
        sentMB,
        sendSeconds,
        sendMBPerSecond: sentMB / sendSeconds,
      },
      unchanged: { seconds: again.seconds, skipped: a.skipped.length, uploaded: a.uploaded.length },
    };

    const awsVersion = spawnSync('aws', ['--version'], { encoding: 'utf8', env });
    if (awsVersion.status !== 0 || awsVersion.error) {
      console.log('  no peer (aws CLI not installed)');
    } else {
      const version = `${awsVersion.stdout}${awsVersion.stderr}`.trim().split(/\s+/)[0];
      const peer = [];
      for (let i = 1; i <= RUNS; i++) {
        peer.push(
          await runOk(
            'aws s3 cp',
            'aws',
            [
              's3',
              'cp',
              csv,
              `s3://${bucket}/aws-peer/${i}/train.csv`,
              '--endpoint-url',
              endpoint,
              '--only-show-errors',
              '--no-progress',
            ],
            { cwd, env },
          ),
        );
      }
      // s3rver keeps aws-chunked framing in the object when a client streams with trailing checksums.
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'aws-peer/1/train.csv' }));
      const stored =
        head.ContentLength === statSync(csv).size
          ? 'stored size matches'
          : `STORED ${head.ContentLength} BYTES, not ${statSync(csv).size}`;
      const p = best(peer.map((r) => r.seconds));
      console.log(
        `  ${version} s3 cp (send only, python start-up included) ` +
          `${fmt(p)} s  ${fmt(mb / p, 1).padStart(6)} MB/s  peak RSS ${rss(maxRss(peer))}  (runs ` +
          `${runList(peer)}; ${stored})`,
      );
      console.log(
        `  ratio digitflow S3 part MB/s (in-process) / aws s3 cp MB/s (whole process): ` +
          `${fmt(sentMB / sendSeconds / (mb / p), 2)}x`,
      );
      console.log(
        `  ratio wall, whole digitflow upload (also converts, splits, hashes) / aws s3 cp: ${fmt(t / p, 2)}x`,
      );
      results.upload.aws = {
        version,
        seconds: p,
        mbPerSecond: mb / p,
        peakRssMB: maxRss(peer) ?? null,
        runs: peer.map((r) => r.seconds),
        storedSizeMatches: head.ContentLength === statSync(csv).size,
      };
    }
    s3.destroy();
  } finally {
    await stopS3rver();
  }
}

// --- main ----------------------------------------------------------------------------------------
try {
  if (!flag('--skip-argmax')) await benchArgmax();
  if (!flag('--skip-upload')) await benchUpload();
} finally {
  killS3rverNow();
  rmSync(tmp, { recursive: true, force: true });
}
if (flag('--json')) console.log(JSON.stringify(results));
