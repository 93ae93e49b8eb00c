/**
 * digitflow as a library: the same stages the CLI calls, for notebooks and scripts.
 *
 * @example
 * ```ts
 * import { loadRun, readKaggleCsvFile } from 'digitflow';
 * const run = await loadRun('runs/my-run');               // a folder written by `digitflow train`
 * const { dataset } = await readKaggleCsvFile('data/test.csv');
 * const labels = await run.predictLabels(dataset);
 * ```
 * Every stage takes `(input, deps)`; `defaultDeps()` gives silent progress and the real clock,
 * `collectingReporter()` keeps the progress events in memory.
 */
export * from './errors/index.js';
export { defaultDeps, collectingReporter, silentReporter, systemClock } from './runtime/deps.js';
export type { StageDeps, Reporter, ProgressEvent, Clock } from './runtime/deps.js';

// Data
export { PIXELS, IMAGE_SIDE, selectRows, labelCounts, concatDatasets } from './domain/dataset.js';
export type { Dataset } from './domain/dataset.js';
export { stratifiedSplit } from './domain/split.js';
export { mulberry32, permutation } from './domain/random.js';
export { readKaggleCsvFile, streamKaggleCsvFile } from './adapters/kaggle-csv-file.js';
export { loadBundledMnist } from './adapters/sources/bundled-mnist.js';
export { loadIdxFolder } from './adapters/sources/idx-source.js';
export { loadKaggleDownload } from './adapters/sources/kaggle-source.js';
// Stages are named `<verb>Stage`; the short names below are the library's original API, kept as aliases.
export { prepareStage, prepareStage as prepare } from './stages/prepare.js';
export { inspectStage, inspectStage as inspect } from './stages/inspect.js';

// Local engine
export { localTrainStage, localTrainStage as trainLocal, fitLocalModel, LocalModel } from './stages/local/train.js';
export { MODEL_SPECS, LOCAL_MODEL_KINDS } from './adapters/tfjs/model/model-specs.js';
export type { LocalFitOptions } from './stages/local/train.js';
export { localPredictStage, localPredictStage as predictLocal } from './stages/local/predict.js';
export { localRunStage, localRunStage as runLocal } from './stages/local/run.js';

// Argmax, evaluation, comparison
export { argmaxStage } from './stages/argmax.js';
export { evaluateStage } from './stages/evaluate.js';
export { validateSubmissionStage } from './stages/validate-submission.js';
export { compareStage, displayValue } from './stages/compare.js';
export type { CompareResult, CompareRow } from './domain/compare-result.js';
export type { LoadedRun } from './domain/loaded-run.js';
export { argmax } from './domain/probabilities/index.js';
export { computeMetrics, confusionMatrix, metricsFromConfusion } from './domain/metrics.js';
export type { Metrics } from './domain/metrics.js';
export { renderConfusionText, renderConfusionDiffText } from './domain/confusion-text.js';

// Runs: loadRun(dir) gives the manifest, the metrics and predict() with the run's saved model
export { loadRun } from './stages/load-run.js';
export type { Run } from './stages/load-run.js';
export { readManifest } from './adapters/run-store.js';
export type { RunManifest } from './domain/manifest.js';
