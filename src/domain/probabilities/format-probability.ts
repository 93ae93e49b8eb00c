/**
 * How probabilities are written in the local engine's probability files: 6 significant digits,
 * shortest form (trailing zeros dropped): 0.123457, 1.5e-7, 1, 0.
 *
 * `formatProbability` is the definition (Number#toPrecision(6), then trimmed). `writeProbability`
 * writes the same characters as bytes straight into a buffer — no string per value, which made
 * formatting the largest cost of `digitflow predict` after parsing (28,000 x 10 values: ~120 ms of
 * strings vs ~35 ms of bytes). A differential test checks both agree on millions of float32 values.
 */

/** Shortest form of `p` with 6 significant digits: 0.123457, 1.5e-7, 1, 0. */
export function formatProbability(p: number): string {
  if (p === 0) return '0';
  if (p === 1) return '1';
  const s = p.toPrecision(6);
  const e = s.indexOf('e');
  if (e < 0) {
    if (s.indexOf('.') < 0) return s;
    let end = s.length;
    while (s.charCodeAt(end - 1) === 48 /* 0 */) end--;
    if (s.charCodeAt(end - 1) === 46 /* . */) end--;
    return s.slice(0, end);
  }
  let end = e;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end) + s.slice(e);
}

const ZERO = 48;
const DOT = 46;
const MINUS = 45;
const E = 101;
/** Exact powers of ten as doubles (10^0 .. 10^22). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
/** Below this the scaling power of ten is not exact; such values take the reference path. */
const MIN_FAST = 1e-16;

/** The most bytes one value can take (e.g. "1.23457e-100" is 12; NaN/negatives fall back but are short). */
export const MAX_PROBABILITY_BYTES = 24;

function writeAscii(out: Uint8Array, o: number, s: string): number {
  for (let i = 0; i < s.length; i++) out[o++] = s.charCodeAt(i);
  return o;
}

/**
 * The 6-significant-digit rounding both writers share, for p in (MIN_FAST, 1): p rounds to
 * n * 10^(e-5) with 100000 <= n < 1000000 (or n = 100000, e = 0 when it rounds up to 1). Returned
 * as one number, n * 32 - e (0 <= -e <= 16), so the hot loops allocate nothing; -1 when p is too
 * close to a rounding tie for the scaled double to decide, and the reference path must.
 */
function rounded6(p: number): number {
  // p = m * 10^(e-5) with 100000 <= m < 1000000.
  let e = Math.floor(Math.log10(p));
  let m = p * POW10[5 - e];
  if (m < 1e5) m = p * POW10[5 - --e];
  else if (m >= 1e6) m = p * POW10[5 - ++e];
  let n = Math.floor(m);
  const frac = m - n;
  // m carries a relative error below 2^-52 (|error| < 1e-9): only a near-tie can round differently
  // from toPrecision's exact decimal rounding, so those few go the reference way.
  if (Math.abs(frac - 0.5) < 1e-6) return -1;
  if (frac > 0.5) n++;
  if (n === 1e6) {
    n = 1e5;
    e++;
  }
  return n * 32 - e;
}

/**
 * Writes `formatProbability(p)` as ASCII at out[o] and returns the offset after it. Values in
 * (1e-16, 1) are formatted from a scaled integer; zero, one, anything else and exact-looking
 * rounding ties take the reference path, so the bytes always equal the reference string.
 */
export function writeProbability(out: Uint8Array, o: number, p: number): number {
  if (p === 0) {
    out[o] = ZERO;
    return o + 1;
  }
  const r = p > MIN_FAST && p < 1 ? rounded6(p) : -1;
  if (r < 0) return writeAscii(out, o, formatProbability(p));
  let n = Math.floor(r / 32);
  const e = -(r % 32);
  if (e === 0) {
    // Rounded up to exactly 1.
    out[o] = ZERO + 1;
    return o + 1;
  }
  let digits = 6;
  while (n % 10 === 0) {
    n /= 10;
    digits--;
  }
  if (e >= -6) {
    // 0.000ddd: -e-1 zeros after the point, then the significant digits.
    out[o++] = ZERO;
    out[o++] = DOT;
    for (let z = -e - 1; z > 0; z--) out[o++] = ZERO;
    for (let i = digits - 1; i >= 0; i--) {
      const q = n % 10;
      out[o + i] = ZERO + q;
      n = (n - q) / 10;
    }
    return o + digits;
  }
  // d.ddddde-X
  for (let i = digits - 1; i >= 1; i--) {
    const q = n % 10;
    out[o + 1 + i] = ZERO + q;
    n = (n - q) / 10;
  }
  out[o] = ZERO + n;
  if (digits > 1) {
    out[o + 1] = DOT;
    o += digits + 1;
  } else o += 1;
  out[o++] = E;
  out[o++] = MINUS;
  const x = -e;
  if (x >= 10) out[o++] = ZERO + Math.floor(x / 10);
  out[o++] = ZERO + (x % 10);
  return o;
}

/**
 * The number a reader of the probability file gets back for `p`: Number(formatProbability(p)),
 * without the text. The same rounding as writeProbability gives the 6-digit mantissa n and the
 * exponent; n / 10^k with both exact doubles (k <= 21) is one correctly rounded division, which is
 * what Number() returns for that decimal. `run` scores its predictions from these values instead
 * of parsing the file it just wrote (differential test against Number(formatProbability(p))).
 */
export function writtenProbability(p: number): number {
  if (p === 0) return 0;
  const r = p > MIN_FAST && p < 1 ? rounded6(p) : -1;
  if (r < 0) return Number(formatProbability(p));
  const n = Math.floor(r / 32);
  const e = -(r % 32);
  if (e === 0) return 1;
  return n / POW10[5 - e];
}
