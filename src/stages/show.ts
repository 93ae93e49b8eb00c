/**
 * show: pick digits out of a Kaggle CSV (train or test layout; .csv, .csv.gz or the competition
 * zip) by row range, label or ImageId, reading only as far as needed. Drawing them is the CLI's job
 * (domain/digit-art); this returns their pixels and labels.
 */
import { UserInputError } from '../errors/index.js';
import { PIXELS } from '../domain/dataset.js';
import { streamKaggleCsvFile } from '../adapters/kaggle-csv-file.js';
import { listZipEntries, sniffCompression } from '../adapters/byte-source.js';
import type { StageDeps } from '../runtime/deps.js';

export type ShowSelection =
  | { kind: 'rows'; start: number; end: number }
  | { kind: 'label'; label: number; limit: number }
  | { kind: 'ids'; ids: number[] };

export interface ShowInput {
  path: string;
  select: ShowSelection;
  /** For a zip: which member (default train.csv, else the first CSV). */
  member?: string;
  numClasses?: number;
}

export interface ShownDigit {
  /** 1-based data row; for a test file this is Kaggle's ImageId. */
  row: number;
  label?: number;
  pixels: number[];
}

export interface ShowResult {
  file: string;
  layout: 'train' | 'test';
  selection: ShowSelection;
  digits: ShownDigit[];
  /** Rows/ids asked for that the file does not have. */
  missing: number[];
  /** Data rows read to find them. */
  rowsRead: number;
}

/** At most this many digits are drawn in one call. */
export const MAX_SHOWN = 500;

async function resolveMember(path: string, member: string | undefined): Promise<string | undefined> {
  if ((await sniffCompression(path).catch(() => 'none')) !== 'zip') return undefined;
  const entries = (await listZipEntries(path)).filter((n) => /\.csv(\.gz)?$/i.test(n) && !/sample_submission/i.test(n));
  if (member) {
    if (!entries.includes(member)) {
      throw new UserInputError('ZIP_MEMBER_MISSING', `${path} has no member named ${member}`, {
        hint: `members: ${entries.join(', ') || 'none'}`,
        details: { path, member },
      });
    }
    return member;
  }
  return entries.find((n) => /(^|\/)train\.csv(\.gz)?$/i.test(n)) ?? entries[0];
}

export async function showStage(input: ShowInput, deps: StageDeps): Promise<ShowResult> {
  const sel = input.select;
  const wanted = sel.kind === 'rows' ? sel.end - sel.start + 1 : sel.kind === 'ids' ? sel.ids.length : sel.limit;
  if (wanted > MAX_SHOWN) {
    throw new UserInputError('SHOW_TOO_MANY', `asked for ${wanted} digits; show draws at most ${MAX_SHOWN} at a time`, {
      hint: 'narrow --rows, --ids or --limit',
    });
  }
  const member = await resolveMember(input.path, input.member);
  const file = member ? `${input.path}:${member}` : input.path;
  const ids = sel.kind === 'ids' ? new Set(sel.ids) : undefined;
  const lastRow = sel.kind === 'rows' ? sel.end : sel.kind === 'ids' ? sel.ids[sel.ids.length - 1] : Infinity;
  const digits: ShownDigit[] = [];
  let layout: 'train' | 'test' | undefined;
  let rowsRead = 0;
  outer: for await (const chunk of streamKaggleCsvFile(input.path, {
    header: 'auto',
    zipMember: member,
    numClasses: input.numClasses ?? 10,
    chunkRows: 1024,
    signal: deps.signal,
  })) {
    layout = chunk.layout;
    if (sel.kind === 'label' && !chunk.labels) {
      throw new UserInputError(
        'SHOW_NO_LABELS',
        `${file} is a test file (no label column), so --label cannot pick digits from it`,
        {
          hint: 'use --rows or --ids on a test file, or --label on train.csv',
        },
      );
    }
    for (let r = 0; r < chunk.rows; r++) {
      const row = chunk.firstRow + r + 1;
      rowsRead = row;
      const label = chunk.labels?.[r];
      const take =
        sel.kind === 'rows'
          ? row >= sel.start && row <= sel.end
          : sel.kind === 'ids'
            ? ids!.has(row)
            : label === sel.label;
      if (take) digits.push({ row, label, pixels: Array.from(chunk.pixels.subarray(r * PIXELS, (r + 1) * PIXELS)) });
      if (row >= lastRow || (sel.kind === 'label' && digits.length >= sel.limit)) break outer;
    }
  }
  const found = new Set(digits.map((d) => d.row));
  const missing =
    sel.kind === 'rows'
      ? Array.from({ length: sel.end - sel.start + 1 }, (_, i) => sel.start + i).filter((r) => !found.has(r))
      : sel.kind === 'ids'
        ? sel.ids.filter((r) => !found.has(r))
        : [];
  if (!digits.length) {
    const what =
      sel.kind === 'label'
        ? `no digit labelled ${sel.label}`
        : `no row ${sel.kind === 'rows' ? `${sel.start}-${sel.end}` : sel.ids.join(',')}`;
    throw new UserInputError('SHOW_NOTHING', `${file} has ${what} (it has ${rowsRead} data rows)`, {
      hint: `pick rows between 1 and ${rowsRead}`,
      details: { rows: rowsRead },
    });
  }
  return { file, layout: layout ?? 'test', selection: sel, digits, missing: missing.slice(0, 50), rowsRead };
}
