/**
 * A run folder as a library object: `loadRun(dir)` gives its manifest and metrics (what `compare`
 * and `report` read) and `predict`, which scores new digits with the run's saved local model.
 * TensorFlow.js and the model load on the first `predict`, not before.
 */
import { join } from 'node:path';
import { UserInputError } from '../errors/index.js';
import { fileExists } from '../adapters/atomic-file.js';
import type { BackendRequest } from '../adapters/tfjs/runtime/backend.js';
import type { ProbabilityModel } from '../adapters/tfjs/model/local-model.js';
import { PIXELS, type Dataset } from '../domain/dataset.js';
import { argmax } from '../domain/probabilities/index.js';
import { loadRun as loadRunResults } from './compare.js';
import type { LoadedRun } from '../domain/loaded-run.js';

export interface Run extends LoadedRun {
  /**
   * Per-class probabilities of each image: `rows x numClasses`, row-major. Takes a Dataset (e.g.
   * from `readKaggleCsvFile` or `loadBundledMnist`) or raw pixels (`rows x 784` grey levels 0-255).
   */
  predict(data: Dataset | Uint8Array): Promise<Float32Array>;
  /** The most probable class of each image (ties go to the lowest class, as in `argmax`). */
  predictLabels(data: Dataset | Uint8Array): Promise<Uint8Array>;
  /** Frees the model's tensors (the run stays usable: the next predict loads it again). */
  dispose(): void;
}

/** Loads a run folder written by `digitflow train` or `digitflow run` (or `localTrainStage` / `localRunStage`). */
export async function loadRun(dir: string, options: { backend?: BackendRequest } = {}): Promise<Run> {
  const loaded = await loadRunResults(dir);
  const modelDir = join(dir, 'model');
  let model: Promise<ProbabilityModel> | undefined;
  const getModel = async (): Promise<ProbabilityModel> => {
    if (!(await fileExists(join(modelDir, 'metadata.json')))) {
      throw new UserInputError('MODEL_NOT_FOUND', `${dir} has no local model (${modelDir}/metadata.json)`, {
        hint:
          'load a run trained by the local engine; a SageMaker run predicts with ' +
          '`digitflow predict <run> --engine sagemaker`',
        details: { path: dir },
      });
    }
    model ??= (async () => {
      const { selectBackend } = await import('../adapters/tfjs/runtime/backend.js');
      const { loadProbabilityModel } = await import('../adapters/tfjs/model/local-model.js');
      await selectBackend(options.backend ?? 'auto');
      return loadProbabilityModel(modelDir);
    })();
    return model;
  };
  const pixelsOf = (data: Dataset | Uint8Array): { pixels: Uint8Array; rows: number } => {
    const pixels = data instanceof Uint8Array ? data : data.pixels;
    if (pixels.length % PIXELS !== 0) {
      throw new UserInputError(
        'PIXELS_INVALID',
        `predict needs rows of ${PIXELS} pixels, got ${pixels.length} values (not a multiple of ${PIXELS})`,
      );
    }
    return { pixels, rows: pixels.length / PIXELS };
  };
  const predict = async (data: Dataset | Uint8Array): Promise<Float32Array> => {
    const { pixels, rows } = pixelsOf(data);
    return (await getModel()).predictProbabilities(pixels, rows);
  };
  return {
    ...loaded,
    predict,
    async predictLabels(data) {
      const m = await getModel();
      const probs = await predict(data);
      const k = m.numClasses;
      const out = new Uint8Array(probs.length / k);
      for (let i = 0; i < out.length; i++) out[i] = argmax(probs.subarray(i * k, (i + 1) * k));
      return out;
    },
    dispose() {
      const m = model;
      model = undefined;
      void m?.then(
        (x) => x.dispose(),
        () => undefined,
      );
    },
  };
}
