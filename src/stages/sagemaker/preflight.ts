/**
 * Checks that make a bad managed run fail in a second instead of after minutes of a cloud job:
 * the CSVs about to be uploaded follow Linear Learner's rules, the bucket answers, the role ARN
 * has the right shape (checked when the plan is built).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { UserInputError } from '../../errors/index.js';
import { PIXELS } from '../../domain/dataset.js';

export interface CsvCheck {
  path: string;
  rows: number;
  labelCounts?: number[];
}

/**
 * Streams a file and checks the Linear Learner CSV rules: no header, every line has `PIXELS + 1`
 * (labelled) or `PIXELS` fields, the label is an integer 0..numClasses-1 in column 0, every value
 * is a finite number. The first violation is a UserInputError naming file:line.
 */
export async function checkLinearLearnerCsv(
  path: string,
  opts: { labelled: boolean; numClasses: number; signal?: AbortSignal },
): Promise<CsvCheck> {
  const want = opts.labelled ? PIXELS + 1 : PIXELS;
  const counts = opts.labelled ? new Array<number>(opts.numClasses).fill(0) : undefined;
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let line = 0;
  const fail = (what: string, hint: string) =>
    new UserInputError('LL_CSV_INVALID', `${path}:${line}: ${what}`, { hint, details: { file: path, line } });
  for await (const text of rl) {
    line++;
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (text === '') throw fail('empty line', 'Linear Learner reads every line as a record: remove blank lines');
    const fields = text.split(',');
    if (fields.length !== want) {
      throw fail(
        `${fields.length} columns, expected ${want}`,
        opts.labelled ? 'label first, then 784 pixels' : '784 pixel columns, no label',
      );
    }
    if (line === 1 && !/^-?[\d.]/.test(fields[0])) {
      throw fail('looks like a header', 'Linear Learner CSVs must not have a header line');
    }
    if (counts) {
      const label = Number(fields[0]);
      if (!Number.isInteger(label) || label < 0 || label >= opts.numClasses) {
        throw fail(
          `label '${fields[0]}' is not an integer in 0..${opts.numClasses - 1}`,
          'the label must be the first column',
        );
      }
      counts[label]++;
    }
    // Checking every value costs ~10x more than the rest; sample one row in 64 plus the first.
    if (line === 1 || line % 64 === 0) {
      for (let i = 0; i < fields.length; i++) {
        if (fields[i] === '' || !Number.isFinite(Number(fields[i])))
          throw fail(`column ${i + 1} is '${fields[i]}', not a number`, 'every field must be numeric');
      }
    }
  }
  if (line === 0) throw new UserInputError('LL_CSV_EMPTY', `${path} is empty`, { details: { file: path } });
  return { path, rows: line, labelCounts: counts };
}

/** mini_batch_size must not exceed the number of training records (SDK rule). */
export function checkMiniBatch(hyperparameters: Record<string, string>, trainRows: number): void {
  const mb = hyperparameters.mini_batch_size;
  if (mb !== undefined && Number(mb) > trainRows) {
    throw new UserInputError(
      'MINI_BATCH_TOO_LARGE',
      `--mini-batch-size ${mb} is larger than the ${trainRows} training rows`,
      {
        hint: `use at most ${trainRows}`,
      },
    );
  }
}
