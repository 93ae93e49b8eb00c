/**
 * The fast path of the Kaggle CSV reader: a byte-level parser that never builds a string per
 * field. It handles the shape real files have (digits, commas, LF or CRLF, optional BOM); any
 * line it does not understand is re-parsed with csv-parse and validated by the same function as
 * the reference reader, so both readers accept and reject exactly the same files with the same
 * messages (see the differential test). Measured in bench/ingest.mjs.
 */
import { parse as parseSync } from 'csv-parse/sync';
import { PIXELS } from '../dataset.js';
import { type CsvProblem, TextSniffer, lineTooLong, validateRowFields } from './csv-problem.js';
import { csvError } from './csv-error.js';
import { checkKaggleHeader, expectedFields, looksLikeHeader, type Layout } from './kaggle-layout.js';
import { DEFAULT_MAX_LINE_BYTES, type ParseOptions } from './parse-options.js';
import { RowBuffer, type RowChunk } from './row-buffer.js';

const LF = 10;
const CR = 13;
const COMMA = 44;
const ZERO = 48;
const NINE = 57;
const decoder = new TextDecoder();

/**
 * Parses the bytes of `source` in order. A source may hand out views of one reused buffer: no byte
 * of a chunk is kept once the next one is asked for (a line cut by a chunk boundary is copied).
 */
export async function* parseKaggleCsvFast(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ParseOptions,
): AsyncGenerator<RowChunk> {
  const state = new FastParserState(options);
  let bytes = 0;
  for await (const chunk of source) {
    bytes += chunk.length;
    state.push(chunk);
    options.onBytes?.(bytes);
    if (state.out && state.out.rows >= options.chunkRows)
      yield options.borrowChunks ? state.out.lend() : state.out.take();
  }
  state.end();
  if (state.out && (state.out.rows > 0 || state.totalRows === 0)) yield state.out.takeAll();
}

class FastParserState {
  out: RowBuffer | undefined;
  layout: Layout | undefined;
  totalRows = 0;
  /** The start of a line that spans chunk boundaries, in pieces (joined once its end arrives). */
  private leftover: Uint8Array[] = [];
  private leftoverBytes = 0;
  private line = 0;
  private headerDone = false;
  private readonly sniffer = new TextSniffer();
  private pendingEmpty = 0;
  private firstPendingEmptyLine = 0;
  private width = 0;
  private readonly maxLine: number;

  constructor(private readonly o: ParseOptions) {
    this.maxLine = o.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  private problem(p: CsvProblem): void {
    if (!this.o.onProblem) throw csvError(this.o.file, p);
    this.o.onProblem(p);
  }

  /** Over-long lines and binary files stop the read, also in collect mode: nothing after them can be trusted. */
  private fatal(p: CsvProblem): never {
    throw csvError(this.o.file, p);
  }

  push(chunk: Uint8Array): void {
    // Always a plain Uint8Array view: mixing Buffer and Uint8Array makes the hot loop polymorphic.
    const buf = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const binary = this.sniffer.feed(buf);
    if (binary) this.fatal(binary);
    let start = 0;
    if (this.leftoverBytes > 0) {
      // Only the line that spans the chunk boundary is copied, and only once, when its end arrives.
      const nl = buf.indexOf(LF);
      const take = nl < 0 ? buf.length : nl + 1;
      if (this.leftoverBytes + (nl < 0 ? take : nl) > this.maxLine)
        this.fatal(lineTooLong(this.line + 1, this.maxLine));
      if (nl < 0) {
        this.leftover.push(buf.slice());
        this.leftoverBytes += buf.length;
        return;
      }
      const joined = new Uint8Array(this.leftoverBytes + take);
      let at = 0;
      for (const part of this.leftover) {
        joined.set(part, at);
        at += part.length;
      }
      joined.set(buf.subarray(0, take), at);
      this.leftover = [];
      this.leftoverBytes = 0;
      this.handleLine(joined, 0, joined.length - 1);
      start = take;
    }
    const n = buf.length;
    // Complete lines end at or before the chunk's last LF. A plain data row is parsed straight from
    // its first byte (the parser finds its end: no separate search for the newline); anything else
    // (the header, empty lines, the line after them, a row the fast path refuses) takes handleLine.
    const last = start < n ? buf.lastIndexOf(LF) : -1;
    while (start <= last) {
      if (this.headerDone && this.pendingEmpty === 0) {
        const next = this.fastLine(buf, start);
        if (next > 0) {
          start = next;
          continue;
        }
      }
      const nl = buf.indexOf(LF, start);
      this.handleLine(buf, start, nl);
      start = nl + 1;
    }
    if (start < n) {
      if (n - start > this.maxLine) this.fatal(lineTooLong(this.line + 1, this.maxLine));
      this.leftover.push(buf.slice(start));
      this.leftoverBytes = n - start;
    }
  }

  end(): void {
    if (this.leftoverBytes > 0) {
      // The last line has no newline: add one so every line the parser sees ends in CR or LF.
      const buf = new Uint8Array(this.leftoverBytes + 1);
      let at = 0;
      for (const part of this.leftover) {
        buf.set(part, at);
        at += part.length;
      }
      buf[buf.length - 1] = LF;
      this.leftover = [];
      this.leftoverBytes = 0;
      this.handleLine(buf, 0, buf.length - 1);
    }
    if (!this.headerDone) {
      this.problem({ kind: 'no-rows', line: Math.max(1, this.line), message: 'the file is empty' });
      return;
    }
    if (this.totalRows === 0) {
      this.problem({ kind: 'no-rows', line: Math.max(1, this.line), message: 'no data rows after the header' });
    }
  }

  private handleLine(buf: Uint8Array, start: number, endExcl: number): void {
    this.line++;
    if (endExcl - start > this.maxLine) this.fatal(lineTooLong(this.line, this.maxLine));
    let end = endExcl;
    if (end > start && buf[end - 1] === CR) end--;
    if (!this.headerDone) {
      this.startFile(buf, start, end);
      return;
    }
    if (end === start) {
      if (this.pendingEmpty === 0) this.firstPendingEmptyLine = this.line;
      this.pendingEmpty++;
      return;
    }
    if (this.pendingEmpty > 0) {
      this.problem({
        kind: 'empty-line',
        line: this.firstPendingEmptyLine,
        message: 'empty line in the middle of the data',
      });
      this.pendingEmpty = 0;
    }
    this.dataLine(buf, start, end);
  }

  private startFile(buf: Uint8Array, start: number, end: number): void {
    // UTF-8 byte order mark.
    if (end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
    if (end === start) {
      // A leading blank line: not a header, not data. Treat like csv-parse does (an empty record).
      this.problem({ kind: 'header', line: this.line, message: 'the first line is empty; expected the header' });
      this.headerDone = true;
      this.layout = this.o.layout === 'auto' ? 'train' : this.o.layout;
      this.begin();
      return;
    }
    const text = decoder.decode(buf.subarray(start, end));
    const header = this.o.header === 'kaggle' || (this.o.header === 'auto' && looksLikeHeader(text));
    this.headerDone = true;
    if (header) {
      const check = checkKaggleHeader(splitLine(text), this.o.layout);
      this.layout = check.layout ?? (this.o.layout === 'auto' ? 'train' : this.o.layout);
      this.begin();
      if (check.problem) {
        // A wrong header makes every row suspect: always fatal, also in collect mode.
        throw csvError(this.o.file, { kind: 'header', line: this.line, message: check.problem });
      }
      this.o.onLayout?.(this.layout, true);
      return;
    }
    // No header: the layout comes from the flag or from the width of the first row.
    if (this.o.layout !== 'auto') this.layout = this.o.layout;
    else {
      let commas = 0;
      for (let i = start; i < end; i++) if (buf[i] === COMMA) commas++;
      this.layout = commas + 1 === PIXELS ? 'test' : 'train';
    }
    this.begin();
    this.o.onLayout?.(this.layout, false);
    this.dataLine(buf, start, end);
  }

  private begin(): void {
    this.width = expectedFields(this.layout!);
    // The hint sizes the buffer as given (a caller that yields past chunkRows asks for room); without
    // one, a chunk's worth up to 1024 rows, grown as needed.
    this.out = new RowBuffer(this.o.rowsHint ?? Math.min(1024, this.o.chunkRows), this.layout === 'train');
  }

  /**
   * A data line at `start` (the header is done, no empty lines pending) when it is plain digits and
   * commas of the right count ending in LF or CR LF, parsed into the buffer: returns the index after
   * its LF. Returns -1, having counted nothing, for anything else; handleLine then takes the line.
   * The caller guarantees an LF at or after the line's end, so no read leaves the buffer.
   */
  private fastLine(buf: Uint8Array, start: number): number {
    const out = this.out!;
    const offset = out.reserveRow(); // may grow the buffer: before reading out.pixels
    const p = this.parseRow(buf, start, out.pixels, offset, out.labels, out.rows);
    if (p < 0) return -1;
    let nl = p;
    if (buf[p] !== LF) {
      if (buf[p] !== CR || buf[p + 1] !== LF) return -1;
      nl = p + 1;
    }
    if (nl - start > this.maxLine) return -1;
    this.line++;
    out.rows++;
    this.totalRows++;
    return nl + 1;
  }

  /** Parses one data line into the buffer; on anything unusual defers to the shared slow path. */
  private dataLine(buf: Uint8Array, start: number, end: number): void {
    const out = this.out!;
    const offset = out.reserveRow();
    if (this.parseRow(buf, start, out.pixels, offset, out.labels, out.rows) === end) {
      out.rows++;
      this.totalRows++;
      return;
    }
    this.slowLine(buf, start, end, offset);
  }

  /**
   * The hot loop. Every line ends in CR or LF (see end()), so reading one byte past a field never
   * leaves the buffer. Returns the index of the byte that ended the last field (the line's end when
   * the row is good), or -1 on anything that is not plain digits and commas of the right count; the
   * caller then re-parses the line on the reference path.
   */
  private parseRow(
    buf: Uint8Array,
    start: number,
    pixels: Uint8Array,
    offset: number,
    labels: Uint8Array | undefined,
    row: number,
  ): number {
    let p = start;
    let c: number;
    if (labels) {
      c = buf[p];
      let v = c - ZERO;
      if (v < 0 || v > 9) return -1;
      c = buf[++p];
      while (c >= ZERO && c <= NINE) {
        v = v * 10 + (c - ZERO);
        if (v > 255) return -1;
        c = buf[++p];
      }
      if (c !== COMMA || p - start > 3 || v >= this.o.numClasses) return -1;
      labels[row] = v;
      p++;
    }
    let at = offset;
    const atEnd = offset + PIXELS;
    while (at < atEnd) {
      c = buf[p];
      // Most pixels are background: "0," takes two byte loads.
      if (c === ZERO && buf[p + 1] === COMMA) {
        pixels[at++] = 0;
        p += 2;
        continue;
      }
      let v = c - ZERO;
      if (v < 0 || v > 9) return -1;
      c = buf[++p];
      if (c >= ZERO && c <= NINE) {
        v = v * 10 + (c - ZERO);
        c = buf[++p];
        if (c >= ZERO && c <= NINE) {
          v = v * 10 + (c - ZERO);
          c = buf[++p];
          if ((c >= ZERO && c <= NINE) || v > 255) return -1;
        }
      }
      pixels[at++] = v;
      if (c === COMMA) {
        p++;
        continue;
      }
      break;
    }
    // Exactly the expected fields: all pixels written and the last one not followed by a comma
    // (a trailing comma would mean one more, empty, field).
    return at === atEnd && buf[p - 1] !== COMMA ? p : -1;
  }

  /** The reference path for one line: csv-parse it, then the shared validator. */
  private slowLine(buf: Uint8Array, start: number, end: number, offset: number): void {
    const text = decoder.decode(buf.subarray(start, end));
    let fields: string[];
    try {
      const records = parseSync(text, { relax_column_count: true }) as string[][];
      fields = records.length === 1 ? records[0] : records.length === 0 ? [''] : records.flat();
    } catch (e) {
      this.problem({ kind: 'syntax', line: this.line, message: `not valid CSV: ${(e as Error).message}` });
      return;
    }
    const out = this.out!;
    const problem = validateRowFields(
      fields,
      this.line,
      this.layout!,
      this.o.numClasses,
      out.pixels,
      offset,
      out.labels,
      out.rows,
    );
    if (problem) {
      this.problem(problem);
      return;
    }
    out.rows++;
    this.totalRows++;
  }
}

/** Splits a header line (no quotes with commas expected in Kaggle headers). */
function splitLine(text: string): string[] {
  // Without quotes or line breaks csv-parse's fields are exactly the comma-separated pieces; it is
  // only asked about the rest (on a 5 kB header its first, unoptimised call costs tens of ms).
  if (!/["\r\n]/.test(text)) return text.split(',');
  try {
    const rec = parseSync(text, { relax_column_count: true }) as string[][];
    return rec[0] ?? [''];
  } catch {
    return text.split(',');
  }
}
