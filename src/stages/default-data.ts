/**
 * The inputs of `run`/`train` when the user names none: data/train.csv, data/test.csv and the
 * answer key data/test_labels.csv, prepared from the bundled digits when they are missing.
 * Shared by the local and the managed engine so both default to the same files.
 */
import { join } from 'node:path';
import { fileExists } from '../adapters/atomic-file.js';
import type { StageDeps } from '../runtime/deps.js';
import { prepareStage, PREPARED_FILES } from './prepare.js';

export interface RunDataInput {
  train?: string;
  test?: string;
  labels?: string;
  dataDir: string;
  seed: number;
  /** Whether a test file is needed (run) or not (train). */
  needTest: boolean;
}

export interface RunData {
  train: string;
  test?: string;
  labels?: string;
  /** True when the bundled digits were prepared just now. */
  prepared: boolean;
  prepareSeconds?: number;
}

export async function resolveRunData(input: RunDataInput, deps: StageDeps): Promise<RunData> {
  const usingDefaults = !input.train && !input.test;
  let train = input.train ?? join(input.dataDir, PREPARED_FILES.train);
  let test = input.test ?? (input.needTest ? join(input.dataDir, PREPARED_FILES.test) : undefined);
  let prepared = false;
  let prepareSeconds: number | undefined;
  if (usingDefaults && !((await fileExists(train)) && (!test || (await fileExists(test))))) {
    deps.reporter.emit({
      kind: 'step',
      step: 'prepare',
      message: `no ${train} yet: preparing the bundled MNIST digits into ${input.dataDir}/`,
    });
    const t = deps.clock.now();
    const p = await prepareStage({ source: 'bundled', outDir: input.dataDir, seed: input.seed, force: false }, deps);
    prepareSeconds = (deps.clock.now() - t) / 1000;
    train = p.files.find((f) => f.role === 'train')!.path;
    if (test) test = p.files.find((f) => f.role === 'test')!.path;
    prepared = true;
  }
  let labels = input.labels;
  const defaultLabels = join(input.dataDir, PREPARED_FILES.labels);
  if (!labels && usingDefaults && input.needTest && (await fileExists(defaultLabels))) labels = defaultLabels;
  return { train, test, labels, prepared, prepareSeconds };
}
