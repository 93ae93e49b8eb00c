/**
 * Text from input (CSV fields, file names, S3 keys, error messages quoting them) made safe to print
 * on a terminal: control characters (C0 but newline and tab, DEL, C1) and Unicode bidirectional
 * controls (an RTL override reorders what a reader sees) become visible escapes (`\x1b`, `\u202e`),
 * so no input can move the cursor, set the window title, hide text or recolour the screen.
 */

const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_WITH_SGR =
  /\u001b\[[0-9;]*m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Escapes what a terminal would interpret. `keepColours` keeps SGR colour sequences (`ESC [ … m`,
 * which digitflow itself prints on a colour terminal); every other escape sequence is neutralised.
 */
export function terminalSafe(text: string, options: { keepColours?: boolean } = {}): string {
  if (options.keepColours) return text.replace(UNSAFE_WITH_SGR, (m) => (m.length > 1 ? m : escapeChar(m)));
  return text.replace(UNSAFE, escapeChar);
}

/** JSON text with bidi and C1 controls written as \u escapes (JSON.stringify leaves them raw). */
export function jsonSafe(json: string): string {
  return json.replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A value quoted in a message: escaped, and cut to `max` characters. */
export function quoteValue(text: string, max = 20): string {
  const t = text.length > max ? `${text.slice(0, max)}…` : text;
  return `'${terminalSafe(t).replace(/\n/g, '\\n')}'`;
}
