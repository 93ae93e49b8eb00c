/**
 * The fast path of the CSV probability parser: one line of plain decimal numbers (`12,0.25,1.5e-7`)
 * parsed straight from the string, no substring or Number() per field. Each number is built as
 * an integer mantissa m < 2^53 and a power of ten 10^e with |e| <= 22, both exact doubles, so
 * m / 10^-e (or m * 10^e) is ONE correctly rounded operation: exactly what Number() returns
 * (Clinger's fast path). Anything else — more digits, larger exponents, quotes, NaN, blanks,
 * the wrong field count — returns false and the caller takes the reference path (split +
 * Number), so answers and error messages never change. A differential test holds both to the
 * same results.
 */

/** The byte at i, or 0 past the line's end (reads never run into the next line). */
function at(buf: Uint8Array, i: number, n: number): number {
  return i < n ? buf[i] : 0;
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const MAX_MANTISSA = 2 ** 53;

/**
 * Parses `text` as exactly `width` comma-separated numbers into `out[0..width)`. Fields may carry
 * spaces around them and a leading sign; field `intColumn` (an id; -1 for none) must be bare
 * digits. Returns false (out undefined) when the line is not plain.
 */
export function parseNumericLine(text: string, width: number, out: Float64Array, intColumn = -1): boolean {
  return (
    parseNumericBytes(Buffer.from(text, 'latin1'), 0, text.length, width, out, intColumn) && !/[^\x00-\x7f]/.test(text)
  );
}

/** `parseNumericLine` over the bytes buf[start, end) of one line (ASCII digits, signs, '.', 'e', ',' and spaces). */
export function parseNumericBytes(
  buf: Uint8Array,
  start: number,
  end: number,
  width: number,
  out: Float64Array,
  intColumn = -1,
): boolean {
  const n = end;
  let i = start;
  for (let f = 0; f < width; f++) {
    if (f === intColumn) {
      let id = 0;
      const start = i;
      let c = at(buf, i, n);
      while (c >= 48 && c <= 57) {
        id = id * 10 + (c - 48);
        c = at(buf, ++i, n);
      }
      if (i === start || i - start > 15) return false;
      out[f] = id;
      if (f < width - 1) {
        if (c !== 44) return false;
        i++;
      }
      continue;
    }
    while (i < n && buf[i] === 32) i++;
    let c = at(buf, i, n);
    let negative = false;
    if (c === 45 /* - */ || c === 43 /* + */) {
      negative = c === 45;
      c = at(buf, ++i, n);
    }
    let m = 0;
    let digits = 0;
    let scale = 0;
    while (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      c = at(buf, ++i, n);
    }
    if (c === 46 /* . */) {
      c = at(buf, ++i, n);
      while (c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        digits++;
        scale--;
        c = at(buf, ++i, n);
      }
    }
    if (digits === 0 || m >= MAX_MANTISSA) return false;
    if (c === 101 || c === 69 /* e E */) {
      c = at(buf, ++i, n);
      let expNegative = false;
      if (c === 45 || c === 43) {
        expNegative = c === 45;
        c = at(buf, ++i, n);
      }
      let x = 0;
      let xDigits = 0;
      while (c >= 48 && c <= 57 && xDigits < 4) {
        x = x * 10 + (c - 48);
        xDigits++;
        c = at(buf, ++i, n);
      }
      if (xDigits === 0 || (c >= 48 && c <= 57)) return false;
      scale += expNegative ? -x : x;
    }
    if (scale < -22 || scale > 22) return false;
    const v = scale < 0 ? m / POW10[-scale] : m * POW10[scale];
    out[f] = negative ? -v : v;
    while (i < n && buf[i] === 32) i++;
    if (f < width - 1) {
      if (buf[i] !== 44 /* , */) return false;
      i++;
    }
  }
  return i === n;
}
