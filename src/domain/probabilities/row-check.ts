/** Checks one row of scores and picks its class. Shared by every probability format. */
import { UserInputError } from '../../errors/index.js';

/**
 * Throws a UserInputError naming `file:line` for a wrong class count, a missing/NaN or a negative score. Returns the
 * sum.
 */
export function checkScores(scores: number[], numClasses: number, file: string, line: number): number {
  if (scores.length !== numClasses) {
    throw new UserInputError(
      'PROB_CLASS_COUNT',
      `${file}:${line}: expected ${numClasses} class scores, found ${scores.length}`,
      {
        hint: 'every row needs one score per class; pass --num-classes if the model has another class count',
        details: { file, line },
      },
    );
  }
  let sum = 0;
  for (let k = 0; k < scores.length; k++) {
    const v = scores[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new UserInputError(
        'PROB_NOT_A_NUMBER',
        `${file}:${line}: score for class ${k} is not a finite number (${String(v)})`,
        {
          hint: 'missing, NaN or infinite scores cannot be turned into a label; regenerate the predictions',
          details: { file, line, class: k },
        },
      );
    }
    if (v < 0) {
      throw new UserInputError('PROB_NEGATIVE', `${file}:${line}: score for class ${k} is negative (${v})`, {
        hint: 'probabilities are never negative; hinge-loss scores are not probabilities (train with softmax_loss)',
        details: { file, line, class: k },
      });
    }
    sum += v;
  }
  return sum;
}

/** Index of the highest score; ties go to the LOWEST class (strict `>` keeps the first maximum). */
export function argmax(scores: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < scores.length; k++) if (scores[k] > scores[best]) best = k;
  return best;
}

/** Parses a decimal number field; empty or non-numeric text gives NaN (Number('') would give 0). */
export function parseScore(text: string): number {
  const t = text.trim();
  if (t === '') return Number.NaN;
  return Number(t);
}
