/**
 * Text that came from input (file names, messages, another tool's output) made safe to print: control characters shown
 * as \uXXXX, never sent to the terminal raw.
 */
export function safeText(s: string, keepNewlines = false): string {
  const re = keepNewlines ? /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g : /[\u0000-\u001f\u007f-\u009f]/g;
  return s.replace(re, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
