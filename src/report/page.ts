/**
 * The self-contained report page: every style, chart and image is inline (SVG charts, digits
 * drawn on <canvas> from their pixels), so the file opens offline and can be mailed as is.
 */
import type { RecordedEpoch } from '../domain/manifest.js';
import type { Metrics } from '../domain/metrics.js';
import { confusionHeatmapSvg, esc, groupedBarsSvg, lineChartSvg, type LineSeries } from './svg.js';

/** One epoch of the training curves: the manifest's recorded epoch. */
export type HistoryPoint = RecordedEpoch;

export interface MisclassifiedDigit {
  /** ImageId (1-based) within its source (test file or validation rows). */
  id: number;
  truth: number;
  predicted: number;
  /** 784 grey levels 0-255. */
  pixels: Uint8Array;
}

export interface ReportData {
  runId: string;
  generatedAt: string;
  /** Headline metrics and what they were measured on. */
  metrics?: { on: 'test' | 'validation'; metrics: Metrics };
  /** Validation metrics shown next to test metrics when both exist. */
  secondary?: { on: 'test' | 'validation'; metrics: Metrics };
  history?: HistoryPoint[];
  /**
   * Where training stopped and the epoch kept, in words (e.g. "stopped early at epoch 14 of 15 (...), kept epoch 11").
   */
  trainingStop?: string;
  misclassified?: { on: 'test' | 'validation'; total: number; digits: MisclassifiedDigit[] };
  /** Run parameters as label/value pairs. */
  params: [string, string][];
  /** Why a section is missing, in words. */
  notes: string[];
}

export const CSS =
  `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#fafafa;color:#1f2937}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.sub{color:#6b7280;margin:0 0 16px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 14px;min-width:140px}
.card .v{font-size:22px;font-weight:600}.card .l{color:#6b7280;font-size:12px}
.panel{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px;overflow-x:auto}
.row{display:flex;gap:16px;flex-wrap:wrap}
.chart .tick{font-size:11px;fill:#6b7280}.chart .axis-title{font-size:12px;fill:#374151}
.chart .legend{font-size:12px;fill:#374151}.chart .grid{stroke:#e5e7eb}
.chart .cell-text{font-size:11px;fill:#111827}.chart .cell-text.on-dark{fill:#fff}
.digits{display:grid;grid-template-columns:repeat(auto-fill,minmax(104px,1fr));gap:8px}
.digits figure{margin:0;background:#fff;border:1px solid #e5e7eb;border-radius:6px;padding:6px;text-align:center}
.digits canvas{width:56px;height:56px;image-rendering:pixelated;background:#000}
.digits figcaption{font-size:11px;color:#374151}.digits .p{color:#dc2626;font-weight:600}
table{border-collapse:collapse}` +
  `td,th{padding:3px 10px;border-bottom:1px solid #f0f0f0;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{background:#fff7ed;border:1px solid #fed7aa;border-radius:6px;padding:8px 12px;margin:6px 0}
`;

/** Draws each digit's base64 pixels into its canvas; no network, no libraries. */
export const DRAW_SCRIPT =
  `
(function(){
  var el=document.getElementById('digit-data'); if(!el) return;
  var data=JSON.parse(el.textContent);
  document.querySelectorAll('canvas[data-digit]').forEach(function(c){
    var b=atob(data[Number(c.getAttribute('data-digit'))]);
    var ctx=c.getContext('2d'); var img=ctx.createImageData(28,28);
    for(var i=0;i<784;i++){var v=b.charCodeAt(i);` +
  `img.data[i*4]=v;img.data[i*4+1]=v;img.data[i*4+2]=v;img.data[i*4+3]=255;}
    ctx.putImageData(img,0,0); c.setAttribute('data-drawn','1');
  });
})();`;

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

function card(label: string, value: string): string {
  return `<div class="card"><div class="v">${esc(value)}</div><div class="l">${esc(label)}</div></div>`;
}

function summaryCards(m: Metrics, on: string): string {
  const cards = [
    card(`accuracy (${on}, ${m.rows} rows)`, pct(m.accuracy)),
    card('macro-F1', m.macroF1.toFixed(4)),
    card(`baseline: always ${m.baselineClass}`, pct(m.baselineAccuracy)),
  ];
  if (m.logLoss !== undefined) cards.push(card('log loss', m.logLoss.toFixed(4)));
  return `<div class="cards">${cards.join('')}</div>`;
}

function perClassTable(m: Metrics): string {
  const rows = m.perClass
    .map(
      (c) =>
        `<tr><td>${c.label}</td><td class="num">${c.precision.toFixed(4)}</td>` +
        `<td class="num">${c.recall.toFixed(4)}</td><td class="num">${c.f1.toFixed(4)}</td>` +
        `<td class="num">${c.support}</td></tr>`,
    )
    .join('');
  return (
    `<table id="per-class-table"><thead><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th>` +
    `<th>support</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

function curves(history: HistoryPoint[]): string {
  const series = (name: string, color: string, key: keyof HistoryPoint, dashed = false): LineSeries => ({
    name,
    color,
    dashed,
    points: history.filter((h) => typeof h[key] === 'number').map((h) => ({ x: h.epoch, y: h[key] as number })),
  });
  const loss = [series('train loss', '#2563eb', 'loss'), series('validation loss', '#f97316', 'valLoss', true)].filter(
    (s) => s.points.length,
  );
  const acc = [
    series('train accuracy', '#2563eb', 'accuracy'),
    series('validation accuracy', '#f97316', 'valAccuracy', true),
  ].filter((s) => s.points.length);
  const charts: string[] = [];
  if (loss.length) charts.push(lineChartSvg(loss, { id: 'loss-curve', title: 'Loss per epoch', yLabel: 'loss' }));
  if (acc.length)
    charts.push(lineChartSvg(acc, { id: 'accuracy-curve', title: 'Accuracy per epoch', yLabel: 'accuracy' }));
  return charts.map((c) => `<div class="panel">${c}</div>`).join('');
}

/** The whole HTML document. */
export function renderReportHtml(d: ReportData): string {
  const body: string[] = [];
  body.push(`<h1>digitflow run ${esc(d.runId)}</h1><p class="sub">report generated ${esc(d.generatedAt)}</p>`);
  for (const n of d.notes) body.push(`<div class="note">${esc(n)}</div>`);
  if (d.metrics) {
    const m = d.metrics.metrics;
    body.push(`<section id="summary"><h2>Summary</h2>${summaryCards(m, d.metrics.on)}`);
    if (d.secondary)
      body.push(
        `<p class="sub" style="margin-top:8px">${esc(d.secondary.on)}: ` +
          `accuracy ${pct(d.secondary.metrics.accuracy)}, macro-F1 ${d.secondary.metrics.macroF1.toFixed(4)} ` +
          `on ${d.secondary.metrics.rows} rows</p>`,
      );
    body.push('</section>');
    body.push(
      `<section id="confusion"><h2>Confusion matrix (${esc(d.metrics.on)})</h2>` +
        `<div class="panel">${confusionHeatmapSvg(m.confusion)}</div></section>`,
    );
    body.push(
      `<section id="per-class"><h2>Per-class precision, recall and F1 (${esc(d.metrics.on)})</h2>` +
        `<div class="row"><div class="panel">${groupedBarsSvg([
          { name: 'precision', color: '#2563eb', values: m.perClass.map((c) => c.precision) },
          { name: 'recall', color: '#16a34a', values: m.perClass.map((c) => c.recall) },
          { name: 'F1', color: '#9333ea', values: m.perClass.map((c) => c.f1) },
        ])}</div><div class="panel">${perClassTable(m)}</div></div></section>`,
    );
  }
  if (d.history && d.history.length) {
    const stop = d.trainingStop ? `<p class="sub" id="training-stop">Training ${esc(d.trainingStop)}.</p>` : '';
    body.push(
      `<section id="training"><h2>Training curves</h2>${stop}<div class="row">${curves(d.history)}</div></section>`,
    );
  }
  let dataScript = '';
  if (d.misclassified && d.misclassified.digits.length) {
    const mc = d.misclassified;
    const figs = mc.digits
      .map(
        (g, i) =>
          `<figure data-true="${g.truth}" data-pred="${g.predicted}">` +
          `<canvas width="28" height="28" data-digit="${i}" aria-label="image ${g.id}"></canvas>` +
          `<figcaption>#${g.id}: true ${g.truth} → <span class="p">${g.predicted}</span></figcaption>` +
          `</figure>`,
      )
      .join('');
    body.push(
      `<section id="misclassified"><h2>Misclassified ${esc(mc.on)} digits (${mc.digits.length} of ` +
        `${mc.total})</h2><div class="panel digits">${figs}</div></section>`,
    );
    const b64 = mc.digits.map((g) =>
      Buffer.from(g.pixels.buffer, g.pixels.byteOffset, g.pixels.byteLength).toString('base64'),
    );
    dataScript =
      `<script type="application/json" id="digit-data">${JSON.stringify(b64)}</script>` +
      `<script>${DRAW_SCRIPT}</script>`;
  }
  const params = d.params.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  body.push(
    `<section id="parameters"><h2>Run parameters</h2><div class="panel"><table>${params}</table></div></section>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>digitflow report ${esc(d.runId)}</title><style>${CSS}</style></head>
<body><main>${body.join('\n')}</main>${dataScript}</body></html>
`;
}
