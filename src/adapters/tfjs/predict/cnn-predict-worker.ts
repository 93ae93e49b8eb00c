/**
 * Worker-thread entry of the two-thread CNN predictor (cnn-predict-pool.ts): its own tfjs engine
 * and backend, the same saved model, and for each `{ id, pixels, rows }` message the softmax
 * probabilities of those rows, computed exactly as LocalModel does on the main thread (same
 * chunking), posted back with the buffer transferred. Errors are posted as `{ id, error }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, type BackendName } from '../runtime/backend.js';
import { LocalModel } from '../model/local-model.js';

export interface CnnPredictWorkerData {
  backend: BackendName;
  modelDir: string;
}

async function main(): Promise<void> {
  const port = parentPort!;
  const data = workerData as CnnPredictWorkerData;
  try {
    await selectBackend(data.backend);
    const model = await LocalModel.load(data.modelDir);
    port.on('message', async (msg: { id: number; pixels: Uint8Array; rows: number }) => {
      try {
        const probs = await model.predictProbabilities(msg.pixels, msg.rows);
        port.postMessage({ id: msg.id, probs }, [probs.buffer as ArrayBuffer]);
      } catch (e) {
        port.postMessage({ id: msg.id, error: String((e as Error)?.stack ?? e) });
      }
    });
    port.postMessage({ ready: true });
  } catch (e) {
    port.postMessage({ error: String((e as Error)?.stack ?? e) });
  }
}

void main();
