/**
 * SageMaker Linear Learner output: JSON Lines (`{"score":[...],"predicted_label":k}` per line,
 * what batch transform writes with `Accept: application/jsonlines`) and the JSON form
 * `{"predictions":[{...},...]}`. `predicted_label` may be a float (`3.0`, recordio-derived) and is
 * ignored: the label is recomputed from `score` so ties break the same way for every engine.
 */
import type { Readable } from 'node:stream';
import { UserInputError } from '../../errors/index.js';
import { lineBatches } from './line-batches.js';
import { checkScores } from './row-check.js';
import type { ParseProbabilityOptions, ProbabilityRow } from './types.js';

function rowFromObject(o: unknown, numClasses: number, file: string, line: number, what: string): ProbabilityRow {
  if (!o || typeof o !== 'object' || Array.isArray(o)) {
    throw new UserInputError('PROB_JSON_SHAPE', `${file}:${line}: ${what} is not an object with a "score" array`, {
      hint: 'Linear Learner multiclass output looks like {"score":[p0,...,p9],"predicted_label":k}',
      details: { file, line },
    });
  }
  const score = (o as { score?: unknown }).score;
  if (!Array.isArray(score)) {
    throw new UserInputError(
      'PROB_JSON_SHAPE',
      `${file}:${line}: ` +
        `${what} has no "score" ` +
        `array${typeof score === 'number' ? ' (a single number: binary or regression output, not multiclass)' : ''}`,
      {
        hint: 'train Linear Learner with predictor_type=multiclass_classifier so each row has one score per class',
        details: { file, line },
      },
    );
  }
  const scores = score.map((v) => (typeof v === 'number' ? v : Number.NaN));
  const sum = checkScores(scores, numClasses, file, line);
  return { line, scores, sum };
}

/**
 * One JSON Lines line. Batch transform with AssembleWith=None concatenates mini-batch responses
 * with no newline between them, so `}{` inside a line is split into separate objects.
 */
function parseLine(text: string, file: string, line: number): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch (e) {
    if (/\}\s*\{/.test(text)) {
      try {
        return text.split(/(?<=\})\s*(?=\{)/).map((part) => JSON.parse(part) as unknown);
      } catch {
        /* report the original error below */
      }
    }
    throw new UserInputError('PROB_JSON', `${file}:${line}: not valid JSON (${(e as Error).message})`, {
      hint: 'each line must be one JSON object; was the output assembled with AssembleWith=Line?',
      details: { file, line },
    });
  }
}

/** Streams rows of a JSON Lines file, a batch per chunk read; blank lines are skipped. */
export async function* parseJsonLinesProbabilityBatches(
  input: Readable,
  opts: ParseProbabilityOptions,
): AsyncGenerator<ProbabilityRow[]> {
  const numClasses = opts.numClasses ?? 10;
  let line = 0;
  try {
    for await (const lines of lineBatches(input)) {
      const rows: ProbabilityRow[] = [];
      for (const text of lines) {
        line++;
        if (text.trim() === '') continue;
        for (const o of parseLine(text, opts.file, line))
          rows.push(rowFromObject(o, numClasses, opts.file, line, 'the line'));
      }
      if (rows.length > 0) yield rows;
    }
  } finally {
    input.destroy();
  }
}

/**
 * Streams rows of the JSON form `{"predictions":[...]}` without holding the whole document:
 * a small scanner cuts out one array element at a time (tracking strings and nesting) and
 * parses only that element, so memory stays constant however many predictions there are.
 */
export async function* parseJsonPredictions(
  input: Readable,
  opts: ParseProbabilityOptions,
): AsyncGenerator<ProbabilityRow> {
  const numClasses = opts.numClasses ?? 10;
  const file = opts.file;
  const bad = (line: number, message: string) =>
    new UserInputError('PROB_JSON', `${file}:${line}: ${message}`, {
      hint: 'expected {"predictions":[{"score":[...],"predicted_label":k}, ...]}',
      details: { file, line },
    });
  let state: 'prefix' | 'between' | 'element' | 'after' | 'done' = 'prefix';
  let prefix = '';
  let line = 1;
  let element = '';
  let elementLine = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let index = 0;
  let expectComma = false;
  input.setEncoding('utf8');
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      if (state === 'prefix') {
        prefix += chunk;
        const m = /^\uFEFF?\s*\{\s*"predictions"\s*:\s*\[/.exec(prefix);
        if (!m) {
          if (prefix.length > 4096) throw bad(1, 'does not start with {"predictions":[');
          continue;
        }
        line += (m[0].match(/\n/g) ?? []).length;
        const rest = prefix.slice(m[0].length);
        prefix = '';
        state = 'between';
        yield* scan(rest);
        continue;
      }
      yield* scan(chunk);
    }
  } finally {
    input.destroy();
  }
  if ((state as string) !== 'done')
    throw bad(
      line,
      (state as string) === 'prefix'
        ? 'does not start with {"predictions":['
        : 'the document ends before the predictions array is closed',
    );

  function* scan(text: string): Generator<ProbabilityRow> {
    // Element text is sliced out of the chunk (not appended char by char): 2-3x faster.
    let segStart = state === 'element' ? 0 : -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (state === 'element') {
        if (c === 10) line++;
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 92) escaped = true;
          else if (c === 34) inString = false;
        } else if (c === 34) inString = true;
        else if (c === 123 || c === 91) depth++;
        else if (c === 125 || c === 93) {
          depth--;
          if (depth === 0) {
            element += text.slice(segStart, i + 1);
            segStart = -1;
            index++;
            let o: unknown;
            try {
              o = JSON.parse(element);
            } catch (e) {
              throw bad(elementLine, `prediction #${index} is not valid JSON (${(e as Error).message})`);
            }
            yield rowFromObject(o, numClasses, file, elementLine, `prediction #${index}`);
            element = '';
            state = 'between';
            expectComma = true;
          }
        }
        continue;
      }
      if (c === 10) {
        line++;
        continue;
      }
      if (c === 32 || c === 9 || c === 13) continue;
      const ch = text[i];
      if (state === 'between') {
        if (ch === ',' && expectComma) expectComma = false;
        else if (ch === ']' && (expectComma || index === 0)) state = 'after';
        else if ((ch === '{' || ch === '[') && !expectComma) {
          state = 'element';
          element = '';
          segStart = i;
          elementLine = line;
          depth = 1;
        } else throw bad(line, `unexpected '${ch}' in the predictions array`);
      } else if (state === 'after') {
        if (ch === '}') state = 'done';
        else
          throw bad(line, `unexpected '${ch}' after the predictions array (only one key, "predictions", is supported)`);
      } else if (state === 'done') throw bad(line, `unexpected '${ch}' after the end of the document`);
    }
    if (state === 'element' && segStart >= 0) element += text.slice(segStart);
  }
}
