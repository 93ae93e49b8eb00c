/**
 * Renders stage progress events for three audiences: a person at a terminal (bars, colour),
 * a CI log (plain, throttled lines, no carriage returns), and a program (--json: JSON lines).
 * All of it goes to stderr; stdout carries only the command's result.
 */
import cliProgress from 'cli-progress';
import type { ProgressEvent, Reporter } from '../runtime/deps.js';
import { jsonSafe, terminalSafe } from '../domain/terminal-text.js';

export type OutputMode = 'tty' | 'plain' | 'json';

export interface ReporterOptions {
  mode: OutputMode;
  quiet: boolean;
  stream?: NodeJS.WriteStream;
  now?: () => number;
}

function fmtInfo(info?: Record<string, string | number>): string {
  if (!info) return '';
  return Object.entries(info)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? fmtNumber(v) : v}`)
    .join('  ');
}

export function fmtNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 1) return v.toFixed(2);
  return v.toPrecision(4);
}

function fmtAmount(v: number, unit: string): string {
  if (unit === 'bytes') return `${(v / 1e6).toFixed(1)} MB`;
  return `${v} ${unit}`;
}

/** Text form of one event, shared by the TTY and plain renderers. */
export function eventLine(e: ProgressEvent): string | undefined {
  switch (e.kind) {
    case 'step':
      return `» ${e.message}`;
    case 'info':
      return e.message;
    case 'warn':
      return `warning[${e.code}]: ${e.message}`;
    case 'epoch': {
      const val = e.valAccuracy !== undefined ? `  val_acc ${e.valAccuracy.toFixed(4)}` : '';
      const valLoss = e.valLoss !== undefined ? `  val_loss ${e.valLoss.toPrecision(4)}` : '';
      return (
        `epoch ${e.epoch}/${e.epochs}  loss ${e.loss.toPrecision(4)}  acc ${e.accuracy.toFixed(4)}` +
        `${valLoss}${val}  ${Math.round(e.examplesPerSecond)} ex/s  eta ${Math.round(e.etaSeconds)}s`
      );
    }
    case 'status':
      return (
        `${e.resource}: ${e.status}${e.secondary ? ` (${e.secondary})` : ''}` +
        (e.elapsedSeconds !== undefined ? `  ${Math.round(e.elapsedSeconds)}s` : '')
      );
    case 'log':
      return `[${e.source}] ${e.message}`;
    case 'progress': {
      const pct = e.total ? ` ${((100 * e.done) / e.total).toFixed(0)}%` : '';
      const total = e.total !== undefined ? ` / ${fmtAmount(e.total, e.unit)}` : '';
      const info = fmtInfo(e.info);
      return `${e.label}: ${fmtAmount(e.done, e.unit)}${total}${pct}${info ? `  ${info}` : ''}`;
    }
    case 'progress-end':
      return undefined;
  }
}

class JsonReporter implements Reporter {
  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly quiet: boolean,
  ) {}
  emit(e: ProgressEvent): void {
    if (this.quiet && e.kind !== 'warn') return;
    this.out.write(jsonSafe(JSON.stringify({ event: e.kind, ...e, kind: undefined })) + '\n');
  }
}

/** Plain lines for logs: progress at most every 10% or 5 s per task, never a carriage return. */
class PlainReporter implements Reporter {
  private readonly last = new Map<string, { at: number; pct: number }>();
  /**
   * The latest progress event of each task that was throttled away: printed at its end, so a log ends on the final
   * count.
   */
  private readonly unprinted = new Map<string, ProgressEvent>();
  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly quiet: boolean,
    private readonly now: () => number,
  ) {}
  emit(e: ProgressEvent): void {
    if (this.quiet && e.kind !== 'warn') return;
    if (e.kind === 'progress') {
      const t = this.now();
      const pct = e.total ? Math.floor((10 * e.done) / e.total) : -1;
      const prev = this.last.get(e.task);
      const finishedNow = e.total !== undefined && e.done >= e.total;
      if (
        (prev && !finishedNow && pct === prev.pct && t - prev.at < 5000) ||
        (prev && finishedNow && prev.pct === 10)
      ) {
        this.unprinted.set(e.task, e);
        return;
      }
      this.unprinted.delete(e.task);
      this.last.set(e.task, { at: t, pct: finishedNow ? 10 : pct });
    }
    if (e.kind === 'progress-end') {
      const pending = this.unprinted.get(e.task);
      if (pending) this.out.write(eventLine(pending) + '\n');
      this.unprinted.delete(e.task);
      this.last.delete(e.task);
      return;
    }
    const line = eventLine(e);
    if (line !== undefined) this.out.write(terminalSafe(line) + '\n');
  }
}

/** Bars on a terminal; other events are printed above the bars. */
class TtyReporter implements Reporter {
  private multibar?: cliProgress.MultiBar;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly quiet: boolean,
  ) {}

  private ensureMultibar(): cliProgress.MultiBar {
    this.multibar ??= new cliProgress.MultiBar(
      {
        stream: this.out,
        format: ' {label} |{bar}| {percentage}% {amount} {info}',
        hideCursor: true,
        clearOnComplete: true,
        stopOnComplete: false,
        barsize: 24,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    return this.multibar;
  }

  emit(e: ProgressEvent): void {
    if (this.quiet && e.kind !== 'warn') return;
    if (e.kind === 'progress') {
      const mb = this.ensureMultibar();
      const payload = {
        label: terminalSafe(e.label),
        amount:
          e.total !== undefined
            ? `${fmtAmount(e.done, e.unit)}/${fmtAmount(e.total, e.unit)}`
            : fmtAmount(e.done, e.unit),
        info: fmtInfo(e.info),
      };
      const total = e.total ?? Math.max(e.done, 1);
      let bar = this.bars.get(e.task);
      if (!bar) {
        bar = mb.create(total, e.done, payload);
        this.bars.set(e.task, bar);
      } else {
        bar.setTotal(total);
        bar.update(e.done, payload);
      }
      return;
    }
    if (e.kind === 'progress-end') {
      const bar = this.bars.get(e.task);
      if (bar && this.multibar) {
        this.multibar.remove(bar);
        this.bars.delete(e.task);
      }
      if (this.bars.size === 0) this.close();
      return;
    }
    const raw = eventLine(e);
    if (raw === undefined) return;
    const line = terminalSafe(raw);
    const coloured = e.kind === 'warn' ? `\x1b[33m${line}\x1b[0m` : e.kind === 'step' ? `\x1b[1m${line}\x1b[0m` : line;
    if (this.multibar && this.bars.size > 0) this.multibar.log(coloured + '\n');
    else this.out.write(coloured + '\n');
  }

  close(): void {
    this.multibar?.stop();
    this.multibar = undefined;
    this.bars.clear();
  }
}

export function createReporter(options: ReporterOptions): Reporter & { close(): void } {
  const out = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  if (options.mode === 'json') {
    const r = new JsonReporter(out, options.quiet);
    return { emit: (e) => r.emit(e), close: () => undefined };
  }
  if (options.mode === 'tty') {
    const r = new TtyReporter(out, options.quiet);
    return { emit: (e) => r.emit(e), close: () => r.close() };
  }
  const r = new PlainReporter(out, options.quiet, now);
  return { emit: (e) => r.emit(e), close: () => undefined };
}
