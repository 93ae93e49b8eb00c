/**
 * The self-contained "data insights" page of `inspect --html`: per file, the label histogram, the
 * mean image of each class, a grid of samples per class, blank and duplicate images and the
 * pixel-value histogram. Every chart is inline SVG and every digit a <canvas> drawn from inline
 * pixels, so the page opens offline and can be mailed as is.
 */
import { esc } from './svg.js';
import type { FileInsights } from '../domain/file-insights.js';

export interface DigitPicture {
  caption: string;
  /** 784 grey levels, 0 = background. */
  pixels: Uint8Array;
  /** data-* attributes for tests and curious readers. */
  attrs?: Record<string, string | number>;
}

export interface FilePictures {
  insights: FileInsights;
  /** Per class (or one group "all" for a test file): its mean image. */
  means: DigitPicture[];
  /** Per class (or "all"): the first samples. */
  samples: Array<{ group: string; digits: DigitPicture[] }>;
  blankRows: number[];
  duplicates: Array<{ row: number; sameAs: number; pixels: Uint8Array }>;
  /** Count of pixels at each grey level 0..255. */
  pixelHistogram: number[];
}

export interface InspectPageData {
  path: string;
  generatedAt: string;
  files: FilePictures[];
}

const CSS =
  `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#fafafa;color:#1f2937}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px}h3{font-size:15px;margin:22px 0 8px}
.sub{color:#6b7280;margin:0 0 16px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 14px;min-width:120px}
.card .v{font-size:20px;font-weight:600}.card .l{color:#6b7280;font-size:12px}
.panel{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px;overflow-x:auto}
.chart .tick{font-size:11px;fill:#6b7280}.chart .axis-title{font-size:12px;fill:#374151}
.digits{display:flex;flex-wrap:wrap;gap:6px}
.digits figure{margin:0;text-align:center}
.digits canvas{width:56px;height:56px;image-rendering:pixelated;background:#000;display:block}
.digits figcaption{font-size:11px;color:#374151}
.class-row{display:flex;gap:10px;align-items:center;margin:4px 0}` +
  `.class-row .k{width:44px;font-weight:600;text-align:right}
.note{background:#fff7ed;border:1px solid #fed7aa;border-radius:6px;padding:8px 12px;margin:6px 0}
ul.problems{font-family:ui-monospace,monospace;font-size:12px}
`;

const DRAW_SCRIPT =
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

function card(label: string, value: string | number): string {
  return `<div class="card"><div class="v">${esc(value)}</div><div class="l">${esc(label)}</div></div>`;
}

/** Vertical bars with labelled ticks; `log` plots log10(1 + count) (zeros dominate pixel values). */
function barsSvg(
  id: string,
  title: string,
  values: number[],
  opts: { labels?: (i: number) => string | undefined; log?: boolean; barClass: string; dataKey: string },
): string {
  const n = values.length;
  const left = 48;
  const plotW = Math.max(300, Math.min(900, n * (n > 20 ? 3 : 40)));
  const bw = plotW / n;
  const top = 24;
  const h = 180;
  const scale = (v: number) => (opts.log ? Math.log10(1 + v) : v);
  const max = Math.max(1e-9, ...values.map(scale));
  const parts = [
    `<svg id="${id}" class="chart" viewBox="0 0 ${left + plotW + 12} ${top + h + 40}" ` +
      `width="${left + plotW + 12}" height="${top + h + 40}" role="img" data-bars="${n}">`,
    `<title>${esc(title)}</title>`,
  ];
  parts.push(`<text x="${left}" y="14" class="axis-title">${esc(title)}</text>`);
  values.forEach((v, i) => {
    const bh = (scale(v) / max) * h;
    const x = left + i * bw;
    parts.push(
      `<rect class="${opts.barClass}" data-${opts.dataKey}="${i}" data-count="${v}" ` +
        `x="${(x + (n > 20 ? 0 : 4)).toFixed(2)}" y="${(top + h - bh).toFixed(2)}" ` +
        `width="${Math.max(0.5, bw - (n > 20 ? 0.3 : 8)).toFixed(2)}" height="${bh.toFixed(2)}" fill="#2563eb">` +
        `<title>${i}: ${v}</title></rect>`,
    );
    if (n <= 20)
      parts.push(
        `<text x="${(x + bw / 2).toFixed(2)}" y="${(top + h - bh - 4).toFixed(2)}" text-anchor="middle" ` +
          `class="tick">${v}</text>`,
      );
    const label = opts.labels?.(i);
    if (label !== undefined)
      parts.push(
        `<text x="${(x + bw / 2).toFixed(2)}" y="${top + h + 16}" text-anchor="middle" ` +
          `class="tick">${esc(label)}</text>`,
      );
  });
  parts.push(`<line x1="${left}" y1="${top + h}" x2="${left + plotW}" y2="${top + h}" stroke="#9ca3af"/>`);
  parts.push('</svg>');
  return parts.join('');
}

export function renderInspectHtml(d: InspectPageData): string {
  const pictures: string[] = [];
  const canvas = (p: DigitPicture) => {
    pictures.push(Buffer.from(p.pixels.buffer, p.pixels.byteOffset, p.pixels.byteLength).toString('base64'));
    const attrs = Object.entries(p.attrs ?? {})
      .map(([k, v]) => ` data-${k}="${esc(v)}"`)
      .join('');
    return (
      `<figure${attrs}><canvas width="28" height="28" data-digit="${pictures.length - 1}" ` +
      `aria-label="${esc(p.caption)}"></canvas><figcaption>${esc(p.caption)}</figcaption></figure>`
    );
  };
  const body: string[] = [
    `<h1>digitflow inspect ${esc(d.path)}</h1><p class="sub">generated ${esc(d.generatedAt)}</p>`,
  ];
  d.files.forEach((f, i) => {
    const s = f.insights;
    body.push(
      `<section class="file" id="file-${i}" data-layout="${esc(s.layout ?? 'unknown')}" ` +
        `data-rows="${s.rows}"><h2>${esc(s.file)}</h2>`,
    );
    const cards = [card('rows', s.rows), card('layout', s.layout ?? 'unknown')];
    if (s.pixelMin !== undefined)
      cards.push(
        card('pixel range', `${s.pixelMin}–${s.pixelMax}`),
        card('mean pixel', s.pixelMean!.toFixed(1)),
        card('zero pixels', `${(100 * s.zeroFraction!).toFixed(1)}%`),
      );
    cards.push(
      card('blank images', s.blankImages),
      card('duplicate images', s.duplicateImages),
      card('problems', s.problemCount),
    );
    body.push(`<div class="cards">${cards.join('')}</div>`);
    if (s.labelCounts) {
      const total = s.labelCounts.reduce((a, b) => a + b, 0) || 1;
      body.push(
        `<h3>Labels</h3>` +
          `<div class="panel">${barsSvg(`label-histogram-${i}`, 'images per label', s.labelCounts, {
            labels: (k) => String(k),
            barClass: 'bar',
            dataKey: 'label',
          })}` +
          `<p>most frequent class: ${((100 * Math.max(...s.labelCounts)) / total).toFixed(1)}% of the rows ` +
          `(the accuracy of always guessing it)</p></div>`,
      );
    }
    if (f.means.length)
      body.push(
        `<h3>Mean image ${s.labelCounts ? 'per class' : 'of all rows'}</h3>` +
          `<div class="panel digits means">${f.means.map(canvas).join('')}</div>`,
      );
    if (f.samples.length) {
      const rows = f.samples.map(
        (g) =>
          `<div class="class-row" data-group="${esc(g.group)}"><span class="k">${esc(g.group)}</span>` +
          `<div class="digits">${g.digits.map(canvas).join('')}</div></div>`,
      );
      body.push(
        `<h3>Samples ${s.labelCounts ? 'per class' : ''}</h3><div class="panel samples">${rows.join('')}</div>`,
      );
    }
    body.push('<h3>Blank and duplicate images</h3><div class="panel blanks">');
    body.push(
      f.blankRows.length
        ? `<p>blank (every pixel 0): ` +
            `row${f.blankRows.length > 1 ? 's' : ''} ` +
            `${f.blankRows.join(', ')}${s.blankImages > f.blankRows.length ? ` … (${s.blankImages} in all)` : ''}</p>`
        : '<p>no blank images</p>',
    );
    if (f.duplicates.length) {
      body.push(
        `<p>duplicates (identical pixels; row = same as row):</p>` +
          `<div class="digits duplicates">` +
          f.duplicates
            .map((x) =>
              canvas({ caption: `${x.row} = ${x.sameAs}`, pixels: x.pixels, attrs: { row: x.row, same: x.sameAs } }),
            )
            .join('') +
          '</div>',
      );
      if (s.duplicateImages > f.duplicates.length) body.push(`<p>… ${s.duplicateImages} duplicates in all</p>`);
    } else body.push('<p>no duplicate images</p>');
    body.push('</div>');
    body.push(
      `<h3>Pixel values</h3>` +
        `<div class="panel">${barsSvg(`pixel-histogram-${i}`, 'pixels per grey level (log scale)', f.pixelHistogram, {
          labels: (k) => (k % 32 === 0 || k === 255 ? String(k) : undefined),
          log: true,
          barClass: 'bin',
          dataKey: 'value',
        })}</div>`,
    );
    if (s.problemCount) {
      body.push(
        `<h3>Problems (${s.problemCount})</h3>` +
          `<ul class="problems">` +
          s.problems.map((p) => `<li>${esc(s.file)}:${p.line}: ${esc(p.message)}</li>`).join('') +
          '</ul>',
      );
      if (s.problemCount > s.problems.length)
        body.push(`<p class="note">${s.problemCount - s.problems.length} more not listed (raise --max-problems)</p>`);
    }
    body.push('</section>');
  });
  const data =
    `<script type="application/json" id="digit-data">${JSON.stringify(pictures)}</script>` +
    `<script>${DRAW_SCRIPT}</script>`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">` +
    `<title>digitflow inspect ${esc(d.path)}</title><style>${CSS}</style></head><body>` +
    `<main>${body.join('\n')}</main>${data}</body></html>\n`
  );
}
