/** Probability rows from any engine: format detection and one streaming entry point. */
import type { Readable } from 'node:stream';
import { parseCsvProbabilities } from './csv-rows.js';
import { parseJsonLinesProbabilities, parseJsonPredictions } from './json-rows.js';
import type { ParseProbabilityOptions, ProbabilityFormat, ProbabilityRow } from './types.js';

export * from './types.js';
export { detectProbabilityFormat } from './detect.js';
export { argmax, checkScores } from './row-check.js';

/** Streams checked probability rows (class-ordered scores) from `input` in the given format. */
export function parseProbabilities(input: Readable, format: ProbabilityFormat, opts: ParseProbabilityOptions): AsyncGenerator<ProbabilityRow> {
  switch (format) {
    case 'csv':
      return parseCsvProbabilities(input, { ...opts, strict: true });
    case 'aml':
      return parseCsvProbabilities(input, { ...opts, strict: false });
    case 'jsonlines':
      return parseJsonLinesProbabilities(input, opts);
    case 'json':
      return parseJsonPredictions(input, opts);
  }
}
