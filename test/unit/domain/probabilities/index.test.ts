import { describe, expect, it } from 'vitest';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  argmax,
  detectProbabilityFormat,
  parseProbabilities,
  type ProbabilityFormat,
  type ProbabilityRow,
} from '../../../../src/domain/probabilities/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../fixtures/probabilities/${name}`, import.meta.url));
const EXPECTED_LABELS = [3, 7, 2, 0];

async function rowsOf(stream: Readable, format: ProbabilityFormat, numClasses = 10): Promise<ProbabilityRow[]> {
  const out: ProbabilityRow[] = [];
  for await (const r of parseProbabilities(stream, format, { file: 'f', numClasses })) out.push(r);
  return out;
}
const fromText = (text: string, chunk = 1 << 16) => {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += chunk) parts.push(text.slice(i, i + chunk));
  return Readable.from(parts.map((p) => Buffer.from(p)));
};
async function errorOf(text: string, format: ProbabilityFormat): Promise<{ code: string; message: string }> {
  try {
    await rowsOf(fromText(text), format);
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected an error');
}

describe('format detection', () => {
  it.each([
    ['local.csv', 'csv'],
    ['linear-learner.jsonl', 'jsonlines'],
    ['linear-learner.json', 'json'],
    ['aml.csv', 'aml'],
    ['aml-tag.csv', 'aml'],
  ])('%s is %s', async (name, format) => {
    expect(detectProbabilityFormat(await readFile(fixture(name), 'utf8'), name)).toBe(format);
  });
  it('rejects an unknown header with line 1', () => {
    expect(() => detectProbabilityFormat('a,b,c\n1,2,3\n', 'x.csv')).toThrow(/x\.csv:1: cannot tell/);
  });
});

describe('parsers give class-ordered scores', () => {
  it.each([
    ['local.csv', 'csv'],
    ['linear-learner.jsonl', 'jsonlines'],
    ['linear-learner.json', 'json'],
    ['aml.csv', 'aml'],
    ['aml-tag.csv', 'aml'],
  ] as const)('%s', async (name, format) => {
    const rows = await rowsOf(createReadStream(fixture(name)), format);
    expect(rows.map((r) => argmax(r.scores))).toEqual(EXPECTED_LABELS);
    // AML columns are 5,6,7,2,8,3,9,0,1,4: check the mapping is by name, not position.
    expect(rows[1].scores[7]).toBeCloseTo(0.9, 9);
    expect(rows[1].scores[2]).toBeCloseTo(0.1, 9);
    expect(rows[0].scores[0]).toBeCloseTo(0.01, 9);
    for (const r of rows) expect(r.sum).toBeCloseTo(1, 6);
  });
  it('reads ids from ImageId and AML tag, none from JSON', async () => {
    expect((await rowsOf(createReadStream(fixture('local.csv')), 'csv')).map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect((await rowsOf(createReadStream(fixture('aml-tag.csv')), 'aml')).map((r) => r.id)).toEqual([
      101, 102, 103, 104,
    ]);
    expect((await rowsOf(createReadStream(fixture('linear-learner.jsonl')), 'jsonlines')).map((r) => r.id)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
  it('JSON form survives tiny chunks and reports element lines', async () => {
    const text = await readFile(fixture('linear-learner.json'), 'utf8');
    const rows = await rowsOf(fromText(text, 3), 'json');
    expect(rows.map((r) => argmax(r.scores))).toEqual(EXPECTED_LABELS);
    expect(rows[0].line).toBe(3);
    expect(rows[1].line).toBeGreaterThan(rows[0].line);
  });
  it('empty AML tag falls back to row order (id undefined)', async () => {
    const rows = await rowsOf(fromText('tag,1,0\n,0.3,0.7\n,0.6,0.4\n'), 'aml', 2);
    expect(rows.map((r) => [r.id, argmax(r.scores)])).toEqual([
      [undefined, 0],
      [undefined, 1],
    ]);
  });
});

describe('ties go to the lowest class', () => {
  it('argmax', () => {
    expect(argmax([0.5, 0.5])).toBe(0);
    expect(argmax([0, 0.3, 0.3, 0.4, 0.4])).toBe(3);
    expect(argmax([0.25, 0.25, 0.25, 0.25])).toBe(0);
  });
  it('in AML files the lowest class wins, not the leftmost column', async () => {
    const rows = await rowsOf(fromText('3,1,2,0\n0.5,0.5,0,0\n'), 'aml', 4);
    expect(argmax(rows[0].scores)).toBe(1);
  });
});

describe('bad input names the line', () => {
  const csvHead = 'ImageId,0,1,2,3,4,5,6,7,8,9\n';
  const good = '1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1\n';
  it.each([
    ['NaN in CSV', csvHead + good + '2,NaN,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1\n', 'csv', 'PROB_NOT_A_NUMBER', 'f:3:'],
    [
      'missing value in CSV',
      csvHead + good + good + '3,0.1,,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1\n',
      'csv',
      'PROB_NOT_A_NUMBER',
      'f:4:',
    ],
    ['short row in CSV', csvHead + '1,0.5,0.5\n', 'csv', 'PROB_FIELD_COUNT', 'f:2:'],
    ['negative in CSV', csvHead + '1,-0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.5\n', 'csv', 'PROB_NEGATIVE', 'f:2:'],
    ['wrong class count in header', 'ImageId,0,1,2\n1,0.2,0.3,0.5\n', 'csv', 'PROB_HEADER', 'f:1:'],
    ['csv without ImageId', '0,1,2,3,4,5,6,7,8,9\n', 'csv', 'PROB_HEADER', 'f:1:'],
    ['AML duplicate class', '1,1,2,3,4,5,6,7,8,9\n', 'aml', 'PROB_HEADER', 'f:1:'],
    ['AML unknown column', 'rowId,0,1,2,3,4,5,6,7,8,9\n', 'aml', 'PROB_HEADER', 'f:1:'],
    [
      'JSON Lines wrong class count',
      '{"score":[0.5,0.5],"predicted_label":0}\n',
      'jsonlines',
      'PROB_CLASS_COUNT',
      'f:1:',
    ],
    ['JSON Lines broken line', '{"score":[1,0,0,0,0,0,0,0,0,0]}\n\n{"score":[1,0\n', 'jsonlines', 'PROB_JSON', 'f:3:'],
    ['JSON Lines null score', '{"score":[1,0,0,0,0,0,0,0,0,null]}\n', 'jsonlines', 'PROB_NOT_A_NUMBER', 'f:1:'],
    ['JSON Lines binary output', '{"score":0.4,"predicted_label":0}\n', 'jsonlines', 'PROB_JSON_SHAPE', 'f:1:'],
    ['JSON Lines negative', '{"score":[1,0,0,0,0,0,0,0,0,-1e-3]}\n', 'jsonlines', 'PROB_NEGATIVE', 'f:1:'],
    [
      'JSON form truncated',
      '{"predictions": [\n{"score":[1,0,0,0,0,0,0,0,0,0]},\n{"score":[1,0',
      'json',
      'PROB_JSON',
      'f:3:',
    ],
    [
      'JSON form bad element',
      '{"predictions": [\n{"score":[1,0,0,0,0,0,0,0,0,0]},\n{"score":[1,0,0]}]}',
      'json',
      'PROB_CLASS_COUNT',
      'f:3:',
    ],
    [
      'JSON form missing comma',
      '{"predictions":[{"score":[1,0,0,0,0,0,0,0,0,0]}\n{"score":[1,0,0,0,0,0,0,0,0,0]}]}',
      'json',
      'PROB_JSON',
      'f:2:',
    ],
  ] as const)('%s', async (_name, text, format, code, where) => {
    const e = await errorOf(text, format);
    expect(e.code).toBe(code);
    expect(e.message).toContain(where);
  });
});

describe('CSV details', () => {
  it('quoted header names and CRLF line ends', async () => {
    const rows = await rowsOf(fromText('"tag","2","0","1"\r\n"7",0.2,0.3,0.5\r\n'), 'aml', 3);
    expect(rows[0]).toMatchObject({ id: 7, line: 2, scores: [0.3, 0.5, 0.2] });
  });
  it('an unterminated quote names its line', async () => {
    const head = 'ImageId,0,1,2,3,4,5,6,7,8,9\n';
    const e = await errorOf(head + '1,1,0,0,0,0,0,0,0,0,0\n2,"1,0,0,0,0,0,0,0,0,0\n', 'csv');
    expect(e.code).toBe('PROB_CSV');
    expect(e.message).toContain('f:3:');
  });
});

describe('JSON Lines details', () => {
  it('objects concatenated without a newline (AssembleWith=None) are split', async () => {
    const one = (c: number) => JSON.stringify({ score: probs(c), predicted_label: c });
    const rows = await rowsOf(fromText(`${one(4)}\n${one(1)}${one(8)}\n${one(2)}\n`), 'jsonlines');
    expect(rows.map((r) => argmax(r.scores))).toEqual([4, 1, 8, 2]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 2, 3]);
  });
  it('predicted_label is ignored: the label comes from score', async () => {
    const rows = await rowsOf(fromText(JSON.stringify({ score: probs(6), predicted_label: 2.0 }) + '\n'), 'jsonlines');
    expect(argmax(rows[0].scores)).toBe(6);
  });
});

function probs(c: number): number[] {
  const p = new Array<number>(10).fill(0.05);
  p[c] = 0.55;
  return p;
}
