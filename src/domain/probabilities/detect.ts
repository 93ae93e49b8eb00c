/** Guesses the probability format from the first bytes of a file. */
import { UserInputError } from '../../errors/index.js';
import type { ProbabilityFormat } from './types.js';

/**
 * `head` is the start of the file (a few KB is enough). Rules:
 * `{"predictions":` → json; a first line that is a JSON object with `score` → jsonlines;
 * a CSV header starting with `ImageId` → csv; a CSV header of class names (optionally after
 * `tag`/`trueLabel`) → aml.
 */
export function detectProbabilityFormat(head: string, file: string): ProbabilityFormat {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (text === '')
    throw new UserInputError('PROB_EMPTY', `${file} is empty`, {
      hint: 'pass the probabilities file written by predict or the batch transform',
      details: { file },
    });
  if (/^\{\s*"predictions"\s*:/.test(text)) return 'json';
  if (text.startsWith('{')) {
    const nl = text.indexOf('\n');
    const first = (nl < 0 ? text : text.slice(0, nl)).trim();
    try {
      const o = JSON.parse(first) as unknown;
      if (o && typeof o === 'object' && 'score' in o) return 'jsonlines';
    } catch {
      /* fall through to the error below */
    }
    throw new UserInputError(
      'PROB_FORMAT_UNKNOWN',
      `${file}:1: starts with '{' but is neither JSON Lines {"score":[...]} nor {"predictions":[...]}`,
      {
        hint: 'pass --format to say which format the file is in',
        details: { file, line: 1 },
      },
    );
  }
  const firstLine = text.split(/\r?\n/, 1)[0];
  const cells = firstLine.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
  if (/^imageid$/i.test(cells[0])) return 'csv';
  const classy = cells.filter((c) => /^\d+$/.test(c)).length;
  const known = cells.filter((c) => c === 'tag' || c === 'trueLabel').length;
  if (classy > 0 && classy + known === cells.length) return 'aml';
  throw new UserInputError(
    'PROB_FORMAT_UNKNOWN',
    `${file}:1: cannot tell the format from the header '${firstLine.slice(0, 80)}'`,
    {
      hint:
        'expected `ImageId,0,...,9` (local), JSON Lines {"score":[...]} (SageMaker) ' +
        'or an Amazon ML header of class names; pass --format to force one',
      details: { file, line: 1 },
    },
  );
}
