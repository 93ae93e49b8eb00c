/**
 * Lines of a text stream, a batch per chunk read: `\n` or `\r\n` endings, UTF-8 decoded across
 * chunk boundaries. The probability parsers work on batches so a million rows cost a few thousand
 * async steps instead of a million (readline's per-line events were a third of argmax's time).
 */
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

export async function* lineBatches(input: Readable): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const text = carry + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    const lines = text.split('\n');
    carry = lines.pop() ?? '';
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
    }
    if (lines.length > 0) yield lines;
  }
  const rest = carry + decoder.end();
  if (rest !== '') yield [rest.charCodeAt(rest.length - 1) === 13 ? rest.slice(0, -1) : rest];
}

/** Lines as byte ranges of one buffer: line i is buf[starts[i], ends[i]) (no `\r` / `\n`). */
export interface ByteLines {
  buf: Uint8Array;
  starts: number[];
  ends: number[];
}

/**
 * The same lines as `lineBatches`, as byte ranges: no string is made until a caller needs one
 * (the numeric fast path reads the bytes). Only a line that spans two chunks is copied.
 */
export async function* byteLineBatches(input: Readable): AsyncGenerator<ByteLines> {
  let carry: Uint8Array | undefined;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let buf: Uint8Array = chunk;
    if (carry) {
      const joined = new Uint8Array(carry.length + chunk.length);
      joined.set(carry);
      joined.set(chunk, carry.length);
      buf = joined;
      carry = undefined;
    }
    const starts: number[] = [];
    const ends: number[] = [];
    let start = 0;
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
      starts.push(start);
      ends.push(nl > start && buf[nl - 1] === 13 ? nl - 1 : nl);
      start = nl + 1;
    }
    if (start < buf.length) carry = buf.slice(start);
    if (starts.length > 0) yield { buf, starts, ends };
  }
  if (carry && carry.length > 0) {
    const end = carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length;
    yield { buf: carry, starts: [0], ends: [end] };
  }
}
