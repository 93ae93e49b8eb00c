/**
 * blend: a new run from the per-class probabilities of several runs (weighted mean or geometric
 * mean). Every format `argmax` reads is accepted (local CSV, Linear Learner JSON Lines, Amazon ML
 * CSV, gzip). Before anything is written it checks that the members predicted the same test file
 * (sha256 from their manifests) with the same ImageIds, and held out the same validation rows of
 * the same training file. `--weights auto` fits the weights on those validation rows only — the
 * test answer key is never looked at for that. The result is an ordinary run folder (probabilities,
 * submission, metrics, manifest naming its members), so compare, report and runs treat it like any run.
 */
import { createReadStream } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { UserInputError } from '../errors/index.js';
import { fileExists, withAtomicWriteStream, writeChunk } from '../adapters/atomic-file.js';
import { sha256File } from '../adapters/file-hash.js';
import { gitSha, newRunId, readManifest, runtimeVersions, writeManifest } from '../adapters/run-store.js';
import { withStagingDir } from '../adapters/staging-dir.js';
import { newManifest, type InputFileRecord, type RunManifest } from '../domain/manifest.js';
import {
  blendProbabilities,
  BLEND_METHODS,
  fitBlendWeights,
  normalizeWeights,
  scoreRows,
  type BlendMember,
  type BlendMethod,
} from '../domain/blend.js';
import { formatProbability } from '../domain/probabilities/format-probability.js';
import { readIdLabelFile } from '../domain/submission.js';
import type { Metrics } from '../domain/metrics.js';
import { argmaxStage } from './argmax.js';
import { readProbabilityBatches } from '../adapters/probability-file.js';
import { evaluateStage } from './evaluate.js';
import type { StageDeps } from '../runtime/deps.js';

export interface BlendInput {
  runs: string[];
  /** One weight per run (scaled to sum 1), 'auto' (fitted on the validation rows), or equal weights. */
  weights?: number[] | 'auto';
  method?: BlendMethod;
  /** The new run folder; default <runsDir>/<run-id>. */
  out?: string;
  runsDir?: string;
  /** Answer key for the test file; default the members' recorded `labels` input, when readable. */
  labels?: string;
  seed: number;
  force?: boolean;
  numClasses?: number;
}

export interface BlendResult {
  runId: string;
  runDir: string;
  method: BlendMethod;
  weights: number[];
  weightsFrom: 'given' | 'equal' | 'auto';
  testRows: number;
  validationRows: number;
  members: BlendMember[];
  accuracy?: number;
  macroF1?: number;
  logLoss?: number;
  validationAccuracy?: number;
  validationLogLoss?: number;
  /** The member with the best test accuracy (else validation accuracy), for the headline. */
  bestMember?: { runId: string; on: 'test' | 'validation'; accuracy: number };
  checks: string[];
  files: Record<string, string>;
}

/** Scores of one probability file, in file order. */
interface Scores {
  path: string;
  format: string;
  ids: number[];
  scores: Float64Array;
}

async function readScores(path: string, numClasses: number): Promise<Scores> {
  const { format, batches } = await readProbabilityBatches(path, { numClasses });
  const ids: number[] = [];
  let values = new Float64Array(4096 * numClasses);
  let n = 0;
  for await (const batch of batches) {
    for (const row of batch) {
      if ((n + 1) * numClasses > values.length) {
        const bigger = new Float64Array(values.length * 2);
        bigger.set(values);
        values = bigger;
      }
      values.set(row.scores, n * numClasses);
      n++;
      ids.push(row.id ?? n);
    }
  }
  if (n === 0)
    throw new UserInputError('PROB_EMPTY', `${path} has no probability rows`, {
      hint: 'the predictions file is empty; did the prediction step finish?',
      details: { file: path },
    });
  return { path, format, ids, scores: values.slice(0, n * numClasses) };
}

/** `scores` reordered so that row i is the row with id `order[i]`; IDS_MISMATCH when the id sets differ. */
function alignTo(s: Scores, order: number[], numClasses: number, what: string, reference: string): Float64Array {
  const at = new Map<number, number>();
  s.ids.forEach((id, i) => {
    if (at.has(id))
      throw new UserInputError('IDS_MISMATCH', `${s.path}: ImageId ${id} appears more than once`, {
        hint: 'regenerate the probabilities with digitflow predict',
        details: { file: s.path, id },
      });
    at.set(id, i);
  });
  const missing = order.filter((id) => !at.has(id));
  if (missing.length > 0 || s.ids.length !== order.length) {
    throw new UserInputError(
      'IDS_MISMATCH',
      `${s.path} has ${s.ids.length} ${what} rows, ${reference} has ${order.length}` +
        (missing.length
          ? `; ImageId(s) ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ' ...' : ''} are missing`
          : ''),
      {
        hint: 'blend runs that predicted the same file; rerun predict on the same test file',
        details: { file: s.path, missing: missing.slice(0, 100) },
      },
    );
  }
  const out = new Float64Array(order.length * numClasses);
  order.forEach((id, i) =>
    out.set(s.scores.subarray(at.get(id)! * numClasses, (at.get(id)! + 1) * numClasses), i * numClasses),
  );
  return out;
}

/** An input path as recorded (relative to where the run was made), else relative to the run dir. */
async function locate(runDir: string, path: string | undefined): Promise<string | undefined> {
  if (!path || path.startsWith('s3://')) return undefined;
  for (const p of isAbsolute(path) ? [path] : [resolve(path), join(runDir, path)]) if (await fileExists(p)) return p;
  return undefined;
}

interface Member {
  dir: string;
  manifest: RunManifest;
  probabilities: string;
  validationProbabilities?: string;
  validationLabels?: string;
}

async function loadMember(dir: string): Promise<Member> {
  const manifest = await readManifest(dir);
  const out = (key: string, ...fallbacks: string[]) =>
    [manifest.outputs?.[key], ...fallbacks].filter((p): p is string => typeof p === 'string').map((p) => join(dir, p));
  let probabilities: string | undefined;
  for (const p of out('probabilities', 'probabilities.csv'))
    if (!probabilities && (await fileExists(p))) probabilities = p;
  if (!probabilities) {
    throw new UserInputError('RUN_NOT_PREDICTED', `${dir} has no test probabilities (manifest outputs.probabilities)`, {
      hint: `predict first: digitflow predict ${dir} --test data/test.csv`,
      details: { runDir: dir },
    });
  }
  const member: Member = { dir, manifest, probabilities };
  for (const p of out('validationProbabilities', 'validation-probabilities.csv'))
    if (!member.validationProbabilities && (await fileExists(p))) member.validationProbabilities = p;
  for (const p of out('validationLabels', 'validation-labels.csv', join('sagemaker-input', 'validation-labels.csv')))
    if (!member.validationLabels && (await fileExists(p))) member.validationLabels = p;
  return member;
}

const inputOf = (m: RunManifest, role: string): InputFileRecord | undefined => m.inputs?.find((i) => i.role === role);

/** Same test file (sha256) for every member; a member without the record is only reported. */
function checkTestFile(members: Member[], checks: string[]): void {
  const shas = members.map((m) => inputOf(m.manifest, 'test')?.sha256);
  const known = shas.filter((s): s is string => Boolean(s));
  if (new Set(known).size > 1) {
    const list = members.map((m, i) => `${m.manifest.runId} ${shas[i]?.slice(0, 12) ?? '(not recorded)'}`).join(', ');
    throw new UserInputError('TEST_FILE_MISMATCH', `the runs predicted different test files (sha256: ${list})`, {
      hint: 'blend only runs that predicted the same test file; predict again with the same --test',
      details: { sha256: shas },
    });
  }
  checks.push(
    known.length === members.length
      ? `same test file in every run (sha256 ${known[0].slice(0, 12)}…)`
      : `test file sha256 not recorded by ${members
          .filter((_, i) => !shas[i])
          .map((m) => m.manifest.runId)
          .join(', ')}; the ImageIds are still checked`,
  );
}

/** The validation rows every member held out (sorted train-file rows), or undefined when some member has none. */
function checkValidation(members: Member[], checks: string[]): number[] | undefined {
  const usable = members.map((m) =>
    Boolean(m.manifest.split?.validationRows?.length && m.validationProbabilities && m.validationLabels),
  );
  if (!usable.every(Boolean)) {
    checks.push(
      `no validation blend: ${members
        .filter((_, i) => !usable[i])
        .map((m) => m.manifest.runId)
        .join(', ')} has no held-out predictions`,
    );
    return undefined;
  }
  const trainShas = members.map((m) => inputOf(m.manifest, 'train')?.sha256).filter(Boolean);
  if (new Set(trainShas).size > 1) {
    throw new UserInputError(
      'SPLIT_MISMATCH',
      'the runs were trained on different training files (sha256 differs), ' +
        'so their validation rows are different images',
      {
        hint: 'blend runs trained on the same train.csv with the same --seed and --validation-fraction',
      },
    );
  }
  const keys = members.map((m) => [...m.manifest.split!.validationRows].sort((a, b) => a - b).join(','));
  if (keys.some((k) => k !== keys[0])) {
    const counts = members
      .map(
        (m) => `${m.manifest.runId}: ${m.manifest.split!.validationRows.length} rows, seed ${m.manifest.split!.seed}`,
      )
      .join('; ');
    throw new UserInputError('SPLIT_MISMATCH', `the runs held out different validation rows (${counts})`, {
      hint:
        'blend runs made with the same --seed and --validation-fraction, ' +
        'so weights are fitted and scored on the same images',
    });
  }
  const rows = members[0].manifest.split!.validationRows;
  checks.push(`same ${rows.length} held-out validation rows in every run`);
  return rows;
}

/** Validation scores of a member aligned to train-file row order (`rows` sorted ascending). */
async function validationScores(m: Member, rows: number[], numClasses: number): Promise<Float64Array> {
  const s = await readScores(m.validationProbabilities!, numClasses);
  const recorded = m.manifest.split!.validationRows;
  // Validation ImageId i is the i-th held-out row as the run recorded them.
  const asTrainRows: Scores = {
    ...s,
    ids: s.ids.map((id) => {
      const row = recorded[id - 1];
      if (row === undefined)
        throw new UserInputError(
          'IDS_MISMATCH',
          `${s.path}: validation ImageId ${id} is beyond the ${recorded.length} held-out rows in the manifest`,
          { details: { file: s.path, id } },
        );
      return row;
    }),
  };
  return alignTo(asTrainRows, rows, numClasses, 'validation', `the held-out split (${m.manifest.runId})`);
}

async function validationTruth(m: Member, rows: number[], numClasses: number): Promise<Uint8Array> {
  const path = m.validationLabels!;
  const byId = await readIdLabelFile(createReadStream(path), path, numClasses);
  const recorded = m.manifest.split!.validationRows;
  const byRow = new Map<number, number>();
  for (const [id, label] of byId) if (recorded[id - 1] !== undefined) byRow.set(recorded[id - 1], label);
  return Uint8Array.from(rows, (r) => {
    const t = byRow.get(r);
    if (t === undefined)
      throw new UserInputError('IDS_MISMATCH', `${path} has no label for held-out row ${r}`, {
        details: { file: path },
      });
    return t;
  });
}

async function writeScores(path: string, ids: number[], scores: Float64Array, numClasses: number): Promise<void> {
  await withAtomicWriteStream(path, { force: true }, async (s) => {
    await writeChunk(s, `ImageId,${Array.from({ length: numClasses }, (_, k) => k).join(',')}\n`);
    let buf = '';
    for (let i = 0; i < ids.length; i++) {
      let line = String(ids[i]);
      for (let k = 0; k < numClasses; k++) line += ',' + formatProbability(scores[i * numClasses + k]);
      buf += line + '\n';
      if (buf.length > 1 << 16) {
        await writeChunk(s, buf);
        buf = '';
      }
    }
    if (buf) await writeChunk(s, buf);
  });
}

function checkWeights(weights: number[], count: number): void {
  if (weights.length !== count) {
    throw new UserInputError('WEIGHTS_INVALID', `--weights has ${weights.length} value(s) for ${count} runs`, {
      hint:
        `give one weight per run, e.g. ` +
        `--weights ${Array.from({ length: count }, () => (1 / count).toFixed(2)).join(',')}, or --weights auto`,
    });
  }
  if (weights.some((w) => !Number.isFinite(w) || w < 0) || weights.every((w) => w === 0)) {
    throw new UserInputError(
      'WEIGHTS_INVALID',
      `--weights ${weights.join(',')}: weights must be non-negative numbers, not all 0`,
      { hint: 'e.g. --weights 0.7,0.3 (they are scaled to sum 1)' },
    );
  }
}

/** Blends the runs into a new run folder. */
export async function blendStage(input: BlendInput, deps: StageDeps): Promise<BlendResult> {
  const numClasses = input.numClasses ?? 10;
  const method = input.method ?? 'mean';
  if (!BLEND_METHODS.includes(method))
    throw new UserInputError('BLEND_METHOD', `unknown blend method '${String(method)}'`, {
      hint: `use one of ${BLEND_METHODS.join(', ')}`,
    });
  if (input.runs.length < 2)
    throw new UserInputError('NO_RUNS', `blend needs at least two run directories, got ${input.runs.length}`, {
      hint: 'e.g. digitflow blend runs/cnn runs/linear',
    });
  if (new Set(input.runs.map((r) => resolve(r))).size !== input.runs.length)
    throw new UserInputError('NO_RUNS', 'the same run is given twice', {
      hint: 'name each run once; use --weights to count one run more',
    });
  if (Array.isArray(input.weights)) checkWeights(input.weights, input.runs.length);
  if (input.labels && !(await fileExists(input.labels)))
    throw new UserInputError('FILE_NOT_FOUND', `labels file ${input.labels} does not exist or is not a file`, {
      hint: 'check the path',
      details: { path: input.labels },
    });
  const t0 = deps.clock.now();

  // Every check before any output: manifests, test file, held-out rows.
  const members: Member[] = [];
  for (const dir of input.runs) {
    deps.reporter.emit({ kind: 'step', step: 'blend', message: `reading ${dir}` });
    members.push(await loadMember(dir));
  }
  const checks: string[] = [];
  checkTestFile(members, checks);
  const valRows = checkValidation(members, checks);
  if (input.weights === 'auto' && !valRows) {
    throw new UserInputError(
      'VALIDATION_MISSING',
      '--weights auto fits the weights on the held-out validation rows, and not every run has them',
      {
        hint:
          'give the weights (e.g. --weights 0.5,0.5), or blend runs trained with a validation split ' +
          '(--validation-fraction > 0)',
      },
    );
  }

  const test = await Promise.all(members.map((m) => readScores(m.probabilities, numClasses)));
  const order = test[0].ids;
  const testScores = test.map((s, i) =>
    i === 0 ? s.scores : alignTo(s, order, numClasses, 'test', `${test[0].path}`),
  );
  checks.push(`same ${order.length} test ImageIds in every run`);

  let valScores: Float64Array[] | undefined;
  let valTruth: Uint8Array | undefined;
  if (valRows) {
    const sorted = [...valRows].sort((a, b) => a - b);
    valScores = await Promise.all(members.map((m) => validationScores(m, sorted, numClasses)));
    valTruth = await validationTruth(members[0], sorted, numClasses);
  }

  let weights: number[];
  let weightsFrom: BlendResult['weightsFrom'];
  let fit: ReturnType<typeof fitBlendWeights> | undefined;
  if (input.weights === 'auto') {
    fit = fitBlendWeights(valScores!, valTruth!, numClasses, method);
    weights = fit.weights;
    weightsFrom = 'auto';
    deps.reporter.emit({
      kind: 'info',
      message:
        `weights fitted on ${valTruth!.length} validation rows: ` +
        `${weights.map((w) => w.toFixed(2)).join(', ')} (validation accuracy ${fit.accuracy.toFixed(4)}, ` +
        `${fit.tried} weightings tried)`,
    });
  } else if (Array.isArray(input.weights)) {
    weights = normalizeWeights(input.weights);
    weightsFrom = 'given';
  } else {
    weights = members.map(() => 1 / members.length);
    weightsFrom = 'equal';
  }

  // The test answer key: given, else the first member's readable `labels` input.
  let labels = input.labels;
  for (const m of members) if (!labels) labels = await locate(m.dir, inputOf(m.manifest, 'labels')?.path);
  let truthById: Map<number, number> | undefined;
  if (labels) truthById = await readIdLabelFile(createReadStream(labels), labels, numClasses);
  const testTruth =
    truthById && order.every((id) => truthById!.has(id)) && truthById.size === order.length
      ? Uint8Array.from(order, (id) => truthById!.get(id)!)
      : undefined;
  if (labels && !testTruth)
    checks.push(`labels ${labels} do not cover the same ImageIds as the probabilities; no test metrics`);

  const blended = blendProbabilities(testScores, weights, numClasses, method);
  const valBlended = valScores ? blendProbabilities(valScores, weights, numClasses, method) : undefined;

  const memberInfo: BlendMember[] = members.map((m, i) => ({
    runId: m.manifest.runId,
    dir: m.dir,
    engine: m.manifest.engine,
    model: m.manifest.model,
    weight: weights[i],
    probabilities: m.probabilities,
    format: test[i].format,
    testAccuracy: testTruth ? scoreRows(testScores[i], testTruth, numClasses).accuracy : undefined,
    validationAccuracy: valScores ? scoreRows(valScores[i], valTruth!, numClasses).accuracy : undefined,
  }));

  const runsDir = input.runsDir ?? 'runs';
  const runDir = input.out ?? join(runsDir, await newRunId(runsDir, new Date(deps.clock.now()), 'blend'));
  const runId = basename(resolve(runDir));
  const result = await withStagingDir(runDir, { force: input.force }, async (work) => {
    deps.reporter.emit({ kind: 'step', step: 'blend', message: `writing ${runDir}` });
    await writeScores(join(work, 'probabilities.csv'), order, blended, numClasses);
    await argmaxStage(
      { input: join(work, 'probabilities.csv'), output: join(work, 'submission.csv'), force: true, numClasses },
      deps,
    );
    const outputs: Record<string, string> = { probabilities: 'probabilities.csv', submission: 'submission.csv' };
    let metrics: Metrics | undefined;
    if (testTruth && labels) {
      metrics = await evaluateStage(
        {
          submission: join(work, 'submission.csv'),
          labels,
          probabilities: join(work, 'probabilities.csv'),
          output: join(work, 'metrics.json'),
          force: true,
          numClasses,
        },
        deps,
      );
      outputs.metrics = 'metrics.json';
    }
    let valMetrics: Metrics | undefined;
    if (valBlended && valTruth && valRows) {
      const truth = valTruth;
      const sorted = [...valRows].sort((a, b) => a - b);
      const ids = sorted.map((_, i) => i + 1);
      await writeScores(join(work, 'validation-probabilities.csv'), ids, valBlended, numClasses);
      await withAtomicWriteStream(join(work, 'validation-labels.csv'), { force: true }, async (s) => {
        await writeChunk(s, 'ImageId,Label\n' + Array.from(truth, (t, i) => `${i + 1},${t}\n`).join(''));
      });
      await argmaxStage(
        {
          input: join(work, 'validation-probabilities.csv'),
          output: join(work, 'validation-submission.csv'),
          force: true,
          numClasses,
        },
        deps,
      );
      valMetrics = await evaluateStage(
        {
          submission: join(work, 'validation-submission.csv'),
          labels: join(work, 'validation-labels.csv'),
          probabilities: join(work, 'validation-probabilities.csv'),
          output: join(work, 'validation-metrics.json'),
          force: true,
          numClasses,
        },
        deps,
      );
      Object.assign(outputs, {
        validationProbabilities: 'validation-probabilities.csv',
        validationLabels: 'validation-labels.csv',
        validationSubmission: 'validation-submission.csv',
        validationMetrics: 'validation-metrics.json',
      });
    }

    const first = members[0].manifest;
    const manifest = newManifest({
      runId,
      command: 'blend',
      engine: 'local',
      seed: input.seed,
      now: new Date(deps.clock.now()),
      versions: runtimeVersions(),
      model: 'blend',
    });
    manifest.gitSha = gitSha();
    const testRecord = members.map((m) => inputOf(m.manifest, 'test')).find((r) => r?.sha256) ?? inputOf(first, 'test');
    if (testRecord) manifest.inputs.push({ ...testRecord, rows: order.length });
    if (labels && testTruth) {
      const h = await sha256File(labels);
      manifest.inputs.push({ role: 'labels', path: labels, sha256: h.sha256, bytes: h.bytes });
    }
    const trainRecord = inputOf(first, 'train');
    if (trainRecord && valRows) manifest.inputs.push(trainRecord);
    for (const m of members) {
      const h = await sha256File(m.probabilities);
      manifest.inputs.push({
        role: `member:${m.manifest.runId}`,
        path: m.probabilities,
        sha256: h.sha256,
        bytes: h.bytes,
        rows: order.length,
      });
    }
    if (valRows) manifest.split = { ...first.split!, validationRows: [...valRows].sort((a, b) => a - b) };
    manifest.hyperparameters = {
      method,
      weights: weights.map((w) => Number(w.toFixed(4))).join(','),
      weightsFrom,
      members: members.map((m) => m.manifest.runId).join(','),
    };
    manifest.timings = { blend: (deps.clock.now() - t0) / 1000 };
    manifest.outputs = outputs;
    manifest.summary = {
      ...(metrics ? { accuracy: metrics.accuracy, macroF1: metrics.macroF1 } : {}),
      ...(valMetrics ? { validationAccuracy: valMetrics.accuracy, validationMacroF1: valMetrics.macroF1 } : {}),
    };
    manifest.blend = {
      method,
      weights,
      weightsFrom,
      ...(fit
        ? {
            fit: {
              on: 'validation',
              rows: valTruth!.length,
              accuracy: fit.accuracy,
              logLoss: fit.logLoss,
              tried: fit.tried,
              gridStep: 1 / fit.steps,
            },
          }
        : {}),
      members: memberInfo,
    };
    await writeManifest(work, manifest, new Date(deps.clock.now()));
    return { metrics, valMetrics, outputs };
  });

  const bestOn: 'test' | 'validation' | undefined = memberInfo.every((m) => m.testAccuracy !== undefined)
    ? 'test'
    : memberInfo.every((m) => m.validationAccuracy !== undefined)
      ? 'validation'
      : undefined;
  let bestMember: BlendResult['bestMember'];
  if (bestOn) {
    const acc = (m: BlendMember) => (bestOn === 'test' ? m.testAccuracy! : m.validationAccuracy!);
    const best = memberInfo.reduce((a, b) => (acc(b) > acc(a) ? b : a));
    bestMember = { runId: best.runId, on: bestOn, accuracy: acc(best) };
  }
  const files: Record<string, string> = { manifest: join(runDir, 'manifest.json') };
  for (const [k, v] of Object.entries(result.outputs)) files[k] = join(runDir, v);
  return {
    runId,
    runDir,
    method,
    weights,
    weightsFrom,
    testRows: order.length,
    validationRows: valTruth?.length ?? 0,
    members: memberInfo,
    accuracy: result.metrics?.accuracy,
    macroF1: result.metrics?.macroF1,
    logLoss: result.metrics?.logLoss,
    validationAccuracy: result.valMetrics?.accuracy,
    validationLogLoss: result.valMetrics?.logLoss,
    bestMember,
    checks,
    files,
  };
}
