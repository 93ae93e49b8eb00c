/**
 * The self-contained comparison page for several runs: metrics side by side, the held-out checks,
 * confusion difference heatmaps, the digits one run gets right and the other wrong (drawn on
 * <canvas> from their pixels) and the training curves of every run. No network, no CDN.
 */
import { displayValue } from '../domain/display-value.js';
import type { CompareReportData, DisagreementDigit } from './compare-collect.js';
import { CSS, DRAW_SCRIPT } from './page.js';
import { esc, lineChartSvg, type LineSeries } from './svg.js';

const EXTRA_CSS = `
.ok{color:#15803d}.warn{color:#b91c1c;font-weight:600}
tr.differs th{color:#1d4ed8}td.best{font-weight:700}
.chart .cell-text.neg{fill:#fff}
`;

const PALETTE = ['#2563eb', '#f97316', '#16a34a', '#9333ea', '#dc2626', '#0891b2', '#ca8a04', '#db2777'];

/**
 * A confusion difference (b minus a): green where b is better (more on the diagonal, fewer off
 * it), red where it is worse; shade by size relative to the largest change.
 */
export function confusionDiffSvg(diff: number[][], id: string): string {
  const k = diff.length;
  const cell = 40;
  const left = 56;
  const top = 48;
  const size = cell * k;
  const width = left + size + 16;
  const height = top + size + 16;
  const maxAbs = Math.max(1, ...diff.flat().map(Math.abs));
  const parts: string[] = [];
  parts.push(
    `<svg id="${esc(id)}" class="chart confusion-diff" viewBox="0 0 ${width} ${height}" width="${width}" ` +
      `height="${height}" role="img" data-classes="${k}">`,
  );
  parts.push(
    '<title>Confusion difference: rows are true classes, columns predicted classes; green = better, ' +
      'red = worse</title>',
  );
  parts.push(`<text x="${left + size / 2}" y="16" text-anchor="middle" class="axis-title">predicted class</text>`);
  parts.push(
    `<text x="14" y="${top + size / 2}" text-anchor="middle" class="axis-title" transform="rotate(-90 14 ` +
      `${top + size / 2})">true class</text>`,
  );
  for (let p = 0; p < k; p++)
    parts.push(`<text x="${left + p * cell + cell / 2}" y="${top - 8}" text-anchor="middle" class="tick">${p}</text>`);
  for (let t = 0; t < k; t++) {
    parts.push(`<text x="${left - 8}" y="${top + t * cell + cell / 2 + 4}" text-anchor="end" class="tick">${t}</text>`);
    for (let p = 0; p < k; p++) {
      const v = diff[t][p];
      const better = t === p ? v > 0 : v < 0;
      const alpha = Number((0.15 + (0.85 * Math.abs(v)) / maxAbs).toFixed(3));
      const fill = v === 0 ? '#f6f7f9' : better ? `rgba(22,163,74,${alpha})` : `rgba(220,38,38,${alpha})`;
      const x = left + p * cell;
      const y = top + t * cell;
      const label = v > 0 ? `+${v}` : String(v);
      parts.push(
        `<g class="cell" data-true="${t}" data-pred="${p}" data-diff="${v}" ` +
          `data-better="${v === 0 ? '' : better}"><rect x="${x}" y="${y}" width="${cell - 2}" ` +
          `height="${cell - 2}" rx="3" fill="${fill}"><title>true ${t}, predicted ${p}: ${label}</title>` +
          `</rect>` +
          (v !== 0
            ? `<text x="${x + (cell - 2) / 2}" y="${y + cell / 2 + 3}" text-anchor="middle" ` +
              `class="cell-text${alpha > 0.6 ? ' neg' : ''}">${label}</text>`
            : '') +
          '</g>',
      );
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

function digitGrid(id: string, digits: DisagreementDigit[], offset: number, a: string, b: string): string {
  const figs = digits
    .map(
      (g, i) =>
        `<figure data-true="${g.truth}" data-a="${g.a}" data-b="${g.b}">` +
        `<canvas width="28" height="28" data-digit="${offset + i}" aria-label="image ${g.id}"></canvas>` +
        `<figcaption>#${g.id}: true ${g.truth}<br>${esc(a)}: ` +
        `${g.a === g.truth ? g.a : `<span class="p">${g.a}</span>`} · ${esc(b)}: ` +
        `${g.b === g.truth ? g.b : `<span class="p">${g.b}</span>`}</figcaption></figure>`,
    )
    .join('');
  return `<div class="panel digits" id="${esc(id)}">${figs || '<p class="sub">none</p>'}</div>`;
}

export function renderCompareReportHtml(d: CompareReportData): string {
  const ids = d.runs.map((r) => r.runId);
  const body: string[] = [];
  body.push(
    `<h1>digitflow comparison: ${ids.map(esc).join(' vs ')}</h1>` +
      `<p class="sub">report generated ${esc(d.generatedAt)}</p>`,
  );
  const checks = d.compare.heldOut.messages
    .map((m) =>
      m.startsWith('DIFFERENT') || m.startsWith('cannot')
        ? `<li class="warn">${esc(m)}</li>`
        : `<li class="ok">✓ ${esc(m)}</li>`,
    )
    .join('');
  if (checks) body.push(`<section id="checks"><h2>Same rows?</h2><ul>${checks}</ul></section>`);
  for (const n of d.notes) body.push(`<div class="note">${esc(n)}</div>`);

  // Metrics side by side; the best accuracy per row in bold.
  const head = `<tr><th></th>${d.runs.map((r) => `<th>${esc(r.runId)}</th>`).join('')}</tr>`;
  const rows = d.compare.rows
    .filter((row) => row.key !== 'runId')
    .map((row) => {
      const nums = row.values.map((v) => (typeof v === 'number' ? v : null));
      const higherBetter = /accuracy|macroF1|recall/.test(row.key);
      const best =
        higherBetter && nums.filter((v) => v !== null).length > 1
          ? Math.max(...nums.filter((v): v is number => v !== null))
          : undefined;
      const cells = row.values
        .map(
          (v, i) =>
            `<td class="num${best !== undefined && nums[i] === best ? ' best' : ''}">` +
            `${esc(displayValue(v, row.key))}</td>`,
        )
        .join('');
      return (
        `<tr class="${row.differs ? 'differs' : ''}" data-key="${esc(row.key)}">` +
        `<th>${esc(row.label)}</th>${cells}</tr>`
      );
    })
    .join('');
  body.push(
    `<section id="metrics"><h2>Side by side</h2><div class="panel">` +
      `<table id="compare-table">${head}${rows}</table></div><p class="sub">Blue labels: ` +
      `rows whose values differ. Bold: the best accuracy, macro-F1 or recall.</p></section>`,
  );

  if (d.confusionDiffs.length) {
    const panels = d.confusionDiffs
      .map(
        (c, i) =>
          `<div class="panel"><p><b>${esc(c.b)}</b> minus <b>${esc(c.a)}</b> on the ${esc(c.on)} ` +
          `rows</p>${confusionDiffSvg(c.diff, `confusion-diff-${i + 1}`)}</div>`,
      )
      .join('');
    body.push(
      `<section id="confusion-diff"><h2>Confusion difference</h2>` +
        `<p class="sub">Green: the second run is better there (more right on the diagonal, ` +
        `fewer mistakes off it); red: worse.</p><div class="row">${panels}</div></section>`,
    );
  }

  let dataScript = '';
  if (d.disagreements) {
    const g = d.disagreements;
    const all = [...g.aRightBWrong.digits, ...g.bRightAWrong.digits];
    body.push(
      `<section id="disagreements"><h2>Digits one run gets right and the other wrong (${esc(g.on)} rows)</h2>` +
        `<p class="sub">Of ${g.rows} rows: only ${esc(g.a)} right ${g.aRightBWrong.total}, ` +
        `only ${esc(g.b)} right ${g.bRightAWrong.total}, both wrong ${g.bothWrong}.</p>` +
        `<h3>${esc(g.a)} right, ${esc(g.b)} wrong (${g.aRightBWrong.digits.length} of ` +
        `${g.aRightBWrong.total})</h3>${digitGrid('a-right', g.aRightBWrong.digits, 0, g.a, g.b)}` +
        `<h3>${esc(g.b)} right, ${esc(g.a)} wrong (${g.bRightAWrong.digits.length} of ` +
        `${g.bRightAWrong.total})</h3>` +
        `${digitGrid('b-right', g.bRightAWrong.digits, g.aRightBWrong.digits.length, g.a, g.b)}</section>`,
    );
    if (all.length) {
      const b64 = all.map((x) =>
        Buffer.from(x.pixels.buffer, x.pixels.byteOffset, x.pixels.byteLength).toString('base64'),
      );
      dataScript =
        `<script type="application/json" id="digit-data">${JSON.stringify(b64)}</script>` +
        `<script>${DRAW_SCRIPT}</script>`;
    }
  }

  if (d.curves.length) {
    const series = (key: 'valAccuracy' | 'accuracy' | 'valLoss' | 'loss'): LineSeries[] =>
      d.curves
        .map((c, i) => ({
          name: c.runId,
          color: PALETTE[i % PALETTE.length],
          points: c.history.filter((h) => typeof h[key] === 'number').map((h) => ({ x: h.epoch, y: h[key] as number })),
        }))
        .filter((s) => s.points.length > 0);
    const acc = series('valAccuracy').length
      ? { s: series('valAccuracy'), t: 'Validation accuracy per epoch', y: 'validation accuracy' }
      : { s: series('accuracy'), t: 'Training accuracy per epoch', y: 'accuracy' };
    const loss = series('valLoss').length
      ? { s: series('valLoss'), t: 'Validation loss per epoch', y: 'validation loss' }
      : { s: series('loss'), t: 'Training loss per epoch', y: 'loss' };
    const charts = [
      acc.s.length ? lineChartSvg(acc.s, { id: 'compare-accuracy-curve', title: acc.t, yLabel: acc.y }) : '',
      loss.s.length ? lineChartSvg(loss.s, { id: 'compare-loss-curve', title: loss.t, yLabel: loss.y }) : '',
    ]
      .filter(Boolean)
      .map((c) => `<div class="panel">${c}</div>`)
      .join('');
    body.push(`<section id="curves"><h2>Training curves</h2><div class="row">${charts}</div></section>`);
  }

  const runsTable = d.runs
    .map(
      (r) =>
        `<tr><th>${esc(r.runId)}</th><td>${esc(r.engine)}</td><td>${esc(r.model ?? '')}</td>` +
        `<td>${esc(r.dir)}</td></tr>`,
    )
    .join('');
  body.push(
    `<section id="runs"><h2>Runs</h2><div class="panel"><table><tr><th>run</th><th>engine</th><th>model</th>` +
      `<th>folder</th></tr>${runsTable}</table></div></section>`,
  );
  return (
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>digitflow comparison ${ids.map(esc).join(' vs ')}</title>` +
    `<style>${CSS}${EXTRA_CSS}</style></head>
<body><main>${body.join('\n')}</main>${dataScript}</body></html>
`
  );
}
