/**
 * The Kaggle digit-recognizer CSV layouts and their header rules.
 * train: `label,pixel0..pixel783` (785 fields); test: `pixel0..pixel783` (784 fields).
 * Linear Learner files ("header: none") carry no header and put the label first.
 */
import { PIXELS } from '../dataset.js';

export type Layout = 'train' | 'test';
export type HeaderMode = 'kaggle' | 'none' | 'auto';

export function expectedFields(layout: Layout): number {
  return layout === 'train' ? PIXELS + 1 : PIXELS;
}

/** Header names of a layout. */
export function headerNames(layout: Layout): string[] {
  const pixels = Array.from({ length: PIXELS }, (_, i) => `pixel${i}`);
  return layout === 'train' ? ['label', ...pixels] : pixels;
}

/** Name of 0-based field `index` (for error messages), with or without a header. */
export function fieldName(layout: Layout, index: number): string {
  if (layout === 'train') return index === 0 ? 'label' : `pixel${index - 1}`;
  return `pixel${index}`;
}

export interface HeaderCheck {
  layout?: Layout;
  /** Why the header is not a Kaggle header, when it is not. */
  problem?: string;
}

/**
 * Checks a header line's field names (already split). Names and order must match exactly;
 * surrounding quotes are tolerated because spreadsheet exports add them.
 */
export function checkKaggleHeader(fields: string[], want: Layout | 'auto'): HeaderCheck {
  const names = fields.map((f) => f.trim().replace(/^"(.*)"$/, '$1'));
  const layout: Layout = want !== 'auto' ? want : names[0] === 'label' ? 'train' : 'test';
  const expected = headerNames(layout);
  if (want === 'auto' && names[0] !== 'label' && names[0] !== 'pixel0') {
    return {
      problem:
        `expected a header starting with 'label,pixel0' (train) or 'pixel0' (test), ` +
        `found '${names.slice(0, 2).join(',')}'`,
    };
  }
  for (let i = 0; i < Math.min(names.length, expected.length); i++) {
    if (names[i] !== expected[i]) {
      return {
        layout,
        problem: `header column ${i + 1}: expected '${expected[i]}', found '${names[i]}'`,
      };
    }
  }
  if (names.length !== expected.length) {
    return { layout, problem: `header has ${names.length} columns, expected ${expected.length} for a ${layout} file` };
  }
  return { layout };
}

/** True when a first line looks like a header (starts with a letter or a quote) rather than data. */
export function looksLikeHeader(firstLine: string): boolean {
  return /^\s*["A-Za-z]/.test(firstLine);
}
