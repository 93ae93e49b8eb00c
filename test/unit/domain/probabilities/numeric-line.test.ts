/**
 * The CSV probability fast path against the reference (split + Number()): the same numbers for
 * every plain line, and for any line at all the same rows or the same error (code and message).
 */
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { parseNumericLine } from '../../../../src/domain/probabilities/numeric-line.js';
import { mapHeader, parseCsvProbabilityBatches, referenceRow } from '../../../../src/domain/probabilities/csv-rows.js';
import { mulberry32 } from '../../../../src/domain/random.js';
import type { ProbabilityRow } from '../../../../src/domain/probabilities/types.js';

const rnd = mulberry32(11);
const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)];

/** A number as files write it: toPrecision, toString, exponents, padding, signs, odd forms. */
function numberText(): string {
  const v = rnd() ** (1 + Math.floor(rnd() * 30));
  const forms = [
    () => v.toPrecision(1 + Math.floor(rnd() * 17)),
    () => String(v),
    () => v.toExponential(Math.floor(rnd() * 20)),
    () => v.toFixed(Math.floor(rnd() * 20)),
    () => String(Math.floor(rnd() * 1000)),
    () => `${Math.floor(rnd() * 10)}.`,
    () => `.${Math.floor(rnd() * 1e6)}`,
    () => `${v.toPrecision(6)}E+${Math.floor(rnd() * 30)}`,
    () => `${v.toPrecision(6)}e-${Math.floor(rnd() * 400)}`,
    () => `0.${'0'.repeat(Math.floor(rnd() * 25))}${Math.floor(rnd() * 1e9)}`,
    () => `${'9'.repeat(1 + Math.floor(rnd() * 20))}`,
  ];
  let t = pick(forms)();
  if (rnd() < 0.05) t = ` ${t}`;
  if (rnd() < 0.05) t = `${t} `;
  if (rnd() < 0.03) t = `+${t}`;
  if (rnd() < 0.03) t = `-${t}`;
  return t;
}

/** Occasionally a field that is not a plain number at all. */
function fieldText(): string {
  if (rnd() < 0.97) return numberText();
  return pick([
    '',
    ' ',
    'NaN',
    'Infinity',
    '-Infinity',
    '0x1A',
    '1e',
    '1e+',
    '--1',
    '1.2.3',
    '"0.5"',
    '\t0.5',
    '1_000',
    'abc',
    '.',
    '-',
    '1e99999',
  ]);
}

describe('parseNumericLine', () => {
  it('gives exactly Number() for every field it accepts, over 200,000 random fields', () => {
    const out = new Float64Array(1);
    let accepted = 0;
    for (let i = 0; i < 200_000; i++) {
      const t = fieldText();
      if (parseNumericLine(t, 1, out)) {
        accepted++;
        const want = Number(t.trim());
        if (!Object.is(out[0], want)) throw new Error(`'${t}': fast ${out[0]} != Number ${want}`);
      }
    }
    expect(accepted).toBeGreaterThan(100_000); // the fast path really is taken (long forms are not)
  });

  it('refuses what it cannot do exactly', () => {
    const out = new Float64Array(3);
    for (const bad of [
      '1,2',
      '1,2,3,',
      ',1,2',
      '1,,2',
      '1,2,NaN',
      '1, 2\t,3',
      '1,2,1e23',
      '1,2,12345678901234567890',
    ]) {
      expect(parseNumericLine(bad, 3, out), bad).toBe(false);
    }
    expect(parseNumericLine('7,0.5,1.5e-7', 3, out, 0)).toBe(true);
    expect(Array.from(out)).toEqual([7, 0.5, 1.5e-7]);
    expect(parseNumericLine('+7,0.5,1', 3, out, 0)).toBe(false); // an id is bare digits
  });
});

describe('CSV probability rows: fast path and reference agree on any line', () => {
  async function viaParser(
    text: string,
    strict: boolean,
  ): Promise<ProbabilityRow[] | { code: string; message: string }> {
    try {
      const rows: ProbabilityRow[] = [];
      // Sometimes in small random chunks: lines (and a CRLF, and UTF-8) cut across reads.
      const bytes = Buffer.from(text);
      const chunks: Buffer[] = [];
      if (rnd() < 0.3)
        for (let i = 0; i < bytes.length;) chunks.push(bytes.subarray(i, (i += 1 + Math.floor(rnd() * 7))));
      else chunks.push(bytes);
      for await (const b of parseCsvProbabilityBatches(Readable.from(chunks), { file: 'p.csv', numClasses: 3, strict }))
        rows.push(...b);
      return rows;
    } catch (e) {
      return { code: (e as { code: string }).code, message: (e as Error).message };
    }
  }
  function viaReference(text: string, strict: boolean): ProbabilityRow[] | { code: string; message: string } {
    const lines = text.split('\n');
    try {
      const map = mapHeader(lines[0].split(','), 3, 'p.csv', strict);
      const rows: ProbabilityRow[] = [];
      lines.slice(1).forEach((l, i) => {
        if (l.trim() !== '') rows.push(referenceRow(l, map, 3, 'p.csv', i + 2));
      });
      return rows;
    } catch (e) {
      return { code: (e as { code: string }).code, message: (e as Error).message };
    }
  }

  it('4,000 random files (ImageId and AML layouts, good and bad lines)', async () => {
    for (let f = 0; f < 4000; f++) {
      const strict = rnd() < 0.6;
      const header = strict ? 'ImageId,0,1,2' : pick(['tag,2,0,1', '1,trueLabel,0,2', '0,1,2']);
      const width = header.split(',').length;
      const lines = [header];
      const n = 1 + Math.floor(rnd() * 6);
      for (let r = 0; r < n; r++) {
        const fields = Array.from({ length: width }, (_, c) =>
          c === 0 && /^(ImageId|tag)/.test(header)
            ? pick([String(r + 1), String(r + 1), '0', '00', ' 3', '+4', '5.0', ''])
            : fieldText(),
        );
        if (rnd() < 0.03) fields.pop();
        if (rnd() < 0.03) fields.push('0.1');
        lines.push(rnd() < 0.03 ? '' : fields.join(',') + (rnd() < 0.05 ? '\r' : '') + (rnd() < 0.02 ? 'é' : ''));
      }
      const text = lines.join('\n') + (rnd() < 0.5 ? '\n' : '');
      const got = await viaParser(text, strict);
      const want = viaReference(text, strict);
      if (JSON.stringify(got) !== JSON.stringify(want))
        throw new Error(`file ${f}:\n${text}\nfast: ${JSON.stringify(got)}\nreference: ${JSON.stringify(want)}`);
    }
  });
});
