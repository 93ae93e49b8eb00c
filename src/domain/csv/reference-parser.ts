/**
 * The reference Kaggle CSV reader: csv-parse for the CSV syntax, then the shared row validator.
 * It is the definition of what digitflow accepts; the fast parser must agree with it
 * (test/unit/domain/csv/fast-parser.differential.test.ts). About 10x slower, so the fast path is the default.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { type CsvProblem, TextSniffer, lineTooLong, validateRowFields } from './csv-problem.js';
import { csvError } from './csv-error.js';
import { checkKaggleHeader, expectedFields, looksLikeHeader, type Layout } from './kaggle-layout.js';
import { PIXELS } from '../dataset.js';
import { DEFAULT_MAX_LINE_BYTES, type ParseOptions } from './parse-options.js';
import { RowBuffer, type RowChunk } from './row-buffer.js';

interface Rec {
  record: string[];
  info: { lines: number };
}

export async function* parseKaggleCsvReference(
  source: AsyncIterable<Uint8Array>,
  o: ParseOptions,
): AsyncGenerator<RowChunk> {
  const problem = (p: CsvProblem) => {
    if (!o.onProblem) throw csvError(o.file, p);
    o.onProblem(p);
  };
  let bytes = 0;
  const maxLine = o.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  // The same bounds as the fast parser, on physical lines: binary input and over-long lines stop
  // the read before csv-parse buffers them.
  let lineStartBytes = 0;
  let physicalLine = 1;
  let fatal: CsvProblem | undefined;
  const sniffer = new TextSniffer();
  const counted = (async function* () {
    for await (const c of source) {
      fatal = sniffer.feed(c);
      if (fatal) throw csvError(o.file, fatal);
      for (let i = c.indexOf(10); ; i = c.indexOf(10, i + 1)) {
        const lineEnd = i < 0 ? bytes + c.length : bytes + i;
        if (lineEnd - lineStartBytes > maxLine) {
          fatal = lineTooLong(physicalLine, maxLine);
          throw csvError(o.file, fatal);
        }
        if (i < 0) break;
        physicalLine++;
        lineStartBytes = bytes + i + 1;
      }
      bytes += c.length;
      o.onBytes?.(bytes);
      yield c;
    }
  })();
  const input = Readable.from(counted);
  const parser = input.pipe(parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: false }));
  // pipe() does not forward errors: hand read errors to the parser so the loop below sees them.
  input.on('error', (e) => parser.destroy(e));
  let layout: Layout | undefined;
  let out: RowBuffer | undefined;
  let headerDone = false;
  let pendingEmptyLine = 0;
  let totalRows = 0;
  let lastLine = 0;
  const begin = (l: Layout) => {
    layout = l;
    out = new RowBuffer(
      Math.min(o.rowsHint ?? 1024, o.chunkRows === Infinity ? (o.rowsHint ?? 1024) : o.chunkRows),
      l === 'train',
    );
  };
  try {
    for await (const rec of parser as AsyncIterable<Rec>) {
      const fields = rec.record;
      const line = rec.info.lines;
      lastLine = line;
      if (!headerDone) {
        headerDone = true;
        const first = fields.join(',');
        if (fields.length === 1 && fields[0] === '') {
          problem({ kind: 'header', line, message: 'the first line is empty; expected the header' });
          begin(o.layout === 'auto' ? 'train' : o.layout);
          continue;
        }
        const header = o.header === 'kaggle' || (o.header === 'auto' && looksLikeHeader(first));
        if (header) {
          const check = checkKaggleHeader(fields, o.layout);
          begin(check.layout ?? (o.layout === 'auto' ? 'train' : o.layout));
          if (check.problem) throw csvError(o.file, { kind: 'header', line, message: check.problem });
          o.onLayout?.(layout!, true);
          continue;
        }
        begin(o.layout !== 'auto' ? o.layout : fields.length === PIXELS ? 'test' : 'train');
        o.onLayout?.(layout!, false);
      }
      if (fields.length === 1 && fields[0] === '') {
        if (pendingEmptyLine === 0) pendingEmptyLine = line;
        continue;
      }
      if (pendingEmptyLine > 0) {
        problem({ kind: 'empty-line', line: pendingEmptyLine, message: 'empty line in the middle of the data' });
        pendingEmptyLine = 0;
      }
      const offset = out!.reserveRow();
      const p = validateRowFields(fields, line, layout!, o.numClasses, out!.pixels, offset, out!.labels, out!.rows);
      if (p) {
        problem(p);
        continue;
      }
      out!.rows++;
      totalRows++;
      if (out!.rows >= o.chunkRows) yield out!.take();
    }
  } catch (e) {
    if (fatal) throw csvError(o.file, fatal);
    const err = e as { code?: string; message?: string; lines?: number };
    if (typeof err.code === 'string' && err.code.startsWith('CSV_') && !(e instanceof Error && 'fault' in e)) {
      throw csvError(o.file, {
        kind: 'syntax',
        line: err.lines ?? lastLine + 1,
        message: `not valid CSV: ${err.message}`,
      });
    }
    throw e;
  }
  if (!headerDone) {
    problem({ kind: 'no-rows', line: 1, message: 'the file is empty' });
    return;
  }
  if (totalRows === 0)
    problem({ kind: 'no-rows', line: Math.max(1, lastLine), message: 'no data rows after the header' });
  void expectedFields;
  if (out && (out.rows > 0 || totalRows === 0)) yield out.takeAll();
}
