/** Probability rows from any engine: format detection and one streaming entry point. */
import type { Readable } from 'node:stream';
import { parseCsvProbabilityBatches } from './csv-rows.js';
import { parseJsonLinesProbabilityBatches, parseJsonPredictions } from './json-rows.js';
import type { ParseProbabilityOptions, ProbabilityFormat, ProbabilityRow } from './types.js';

export * from './types.js';
export { detectProbabilityFormat } from './detect.js';
export { argmax, checkScores } from './row-check.js';

/** Streams checked probability rows in batches (one per chunk read) from `input` in the given format. */
export async function* parseProbabilityBatches(
  input: Readable,
  format: ProbabilityFormat,
  opts: ParseProbabilityOptions,
): AsyncGenerator<ProbabilityRow[]> {
  switch (format) {
    case 'csv':
      yield* parseCsvProbabilityBatches(input, { ...opts, strict: true });
      return;
    case 'aml':
      yield* parseCsvProbabilityBatches(input, { ...opts, strict: false });
      return;
    case 'jsonlines':
      yield* parseJsonLinesProbabilityBatches(input, opts);
      return;
    case 'json': {
      // Already row by row with constant memory; grouped so every format has one shape.
      let batch: ProbabilityRow[] = [];
      for await (const row of parseJsonPredictions(input, opts)) {
        batch.push(row);
        if (batch.length === 4096) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    }
  }
}

/** Streams checked probability rows (class-ordered scores) from `input` in the given format. */
export async function* parseProbabilities(
  input: Readable,
  format: ProbabilityFormat,
  opts: ParseProbabilityOptions,
): AsyncGenerator<ProbabilityRow> {
  for await (const batch of parseProbabilityBatches(input, format, opts)) for (const row of batch) yield row;
}
