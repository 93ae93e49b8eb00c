/**
 * Inline SVG charts for the HTML report: no library, no external asset, deterministic output.
 * Each chart is a string of SVG with an id, a <title> for screen readers and data-* attributes
 * that tests (and curious readers) can check.
 */

/** Escapes text for HTML/SVG content and attributes. */
export function esc(s: unknown): string {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const fmt = (x: number, d = 1) => Number(x.toFixed(d)).toString();

/** Confusion matrix heatmap: cell shade = share of the true class's rows; diagonal blue, errors red. */
export function confusionHeatmapSvg(confusion: number[][], id = 'confusion-heatmap'): string {
  const k = confusion.length;
  const cell = 40;
  const left = 56;
  const top = 48;
  const size = cell * k;
  const width = left + size + 16;
  const height = top + size + 16;
  const parts: string[] = [];
  parts.push(
    `<svg id="${id}" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ` +
      `role="img" data-classes="${k}">`,
  );
  parts.push('<title>Confusion matrix: rows are true classes, columns predicted classes</title>');
  parts.push(`<text x="${left + size / 2}" y="16" text-anchor="middle" class="axis-title">predicted class</text>`);
  parts.push(
    `<text x="14" y="${top + size / 2}" text-anchor="middle" class="axis-title" transform="rotate(-90 14 ` +
      `${top + size / 2})">true class</text>`,
  );
  for (let p = 0; p < k; p++)
    parts.push(`<text x="${left + p * cell + cell / 2}" y="${top - 8}" text-anchor="middle" class="tick">${p}</text>`);
  for (let t = 0; t < k; t++) {
    const support = confusion[t].reduce((a, b) => a + b, 0);
    parts.push(`<text x="${left - 8}" y="${top + t * cell + cell / 2 + 4}" text-anchor="end" class="tick">${t}</text>`);
    for (let p = 0; p < k; p++) {
      const v = confusion[t][p];
      const share = support > 0 ? v / support : 0;
      // Errors are rare (a few %), so stretch their scale: 10% of a row is already full red.
      const alpha = t === p ? share : Math.min(1, share * 10);
      const fill =
        v === 0
          ? '#f6f7f9'
          : t === p
            ? `rgba(37,99,235,${fmt(0.15 + 0.85 * alpha, 3)})`
            : `rgba(220,38,38,${fmt(0.12 + 0.88 * alpha, 3)})`;
      const dark = (t === p && alpha > 0.55) || (t !== p && alpha > 0.6);
      const x = left + p * cell;
      const y = top + t * cell;
      parts.push(
        `<g class="cell" data-true="${t}" data-pred="${p}" data-count="${v}">` +
          `<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" rx="3" fill="${fill}">` +
          `<title>true ${t}, predicted ${p}: ${v} (${fmt(share * 100)}% of class ${t})</title></rect>` +
          (v > 0
            ? `<text x="${x + (cell - 2) / 2}" y="${y + cell / 2 + 3}" text-anchor="middle" ` +
              `class="cell-text${dark ? ' on-dark' : ''}">${v}</text>`
            : '') +
          '</g>',
      );
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

export interface BarSeries {
  name: string;
  color: string;
  values: number[];
}

/** Grouped vertical bars on a 0..1 scale, one group per class. */
export function groupedBarsSvg(series: BarSeries[], id = 'per-class-bars'): string {
  const k = series[0]?.values.length ?? 0;
  const group = 52;
  const left = 40;
  const top = 28;
  const plotH = 200;
  const width = left + group * k + 16;
  const height = top + plotH + 40;
  const barW = Math.floor((group - 12) / Math.max(1, series.length));
  const parts: string[] = [];
  parts.push(
    `<svg id="${id}" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ` +
      `role="img" data-classes="${k}">`,
  );
  parts.push('<title>Per-class precision, recall and F1</title>');
  for (let i = 0; i <= 4; i++) {
    const v = i / 4;
    const y = top + plotH - v * plotH;
    parts.push(
      `<line x1="${left}" x2="${width - 8}" y1="${y}" y2="${y}" class="grid"/>` +
        `<text x="${left - 6}" y="${y + 4}" text-anchor="end" class="tick">${fmt(v, 2)}</text>`,
    );
  }
  for (let c = 0; c < k; c++) {
    const gx = left + c * group + 6;
    series.forEach((s, j) => {
      const v = Math.max(0, Math.min(1, s.values[c]));
      const h = v * plotH;
      parts.push(
        `<rect class="bar" data-series="${esc(s.name)}" data-class="${c}" ` +
          `data-value="${fmt(s.values[c], 4)}" x="${gx + j * barW}" y="${top + plotH - h}" width="${barW - 2}" ` +
          `height="${h}" fill="${s.color}"><title>class ${c} ${esc(s.name)}: ${fmt(s.values[c], 4)}</title>` +
          `</rect>`,
      );
    });
    parts.push(
      `<text x="${gx + (barW * series.length) / 2}" y="${top + plotH + 16}" text-anchor="middle" ` +
        `class="tick">${c}</text>`,
    );
  }
  let lx = left;
  for (const s of series) {
    parts.push(
      `<rect x="${lx}" y="${height - 14}" width="10" height="10" fill="${s.color}"/>` +
        `<text x="${lx + 14}" y="${height - 5}" class="legend">${esc(s.name)}</text>`,
    );
    lx += 90;
  }
  parts.push('</svg>');
  return parts.join('');
}

export interface LineSeries {
  name: string;
  color: string;
  points: { x: number; y: number }[];
  dashed?: boolean;
}

/** A small line chart (epochs on x). */
export function lineChartSvg(
  series: LineSeries[],
  opts: { id: string; title: string; yLabel: string; yMin?: number; yMax?: number },
): string {
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y));
  const width = 420;
  const height = 240;
  const left = 52;
  const right = 12;
  const top = 24;
  const bottom = 58;
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  let yMin = opts.yMin ?? Math.min(...ys);
  let yMax = opts.yMax ?? Math.max(...ys);
  if (yMax - yMin < 1e-9) {
    yMin -= 0.5;
    yMax += 0.5;
  }
  // Enough decimals to tell the 5 gridlines apart, no more.
  const decimals = Math.min(4, Math.max(0, Math.ceil(-Math.log10((yMax - yMin) / 4)) + 1));
  const px = (x: number) =>
    left + (xMax === xMin ? (width - left - right) / 2 : ((x - xMin) / (xMax - xMin)) * (width - left - right));
  const py = (y: number) => top + (1 - (y - yMin) / (yMax - yMin)) * (height - top - bottom);
  const parts: string[] = [];
  parts.push(
    `<svg id="${opts.id}" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" ` +
      `height="${height}" role="img">`,
  );
  parts.push(`<title>${esc(opts.title)}</title>`);
  for (let i = 0; i <= 4; i++) {
    const v = yMin + ((yMax - yMin) * i) / 4;
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${py(v)}" y2="${py(v)}" class="grid"/>` +
        `<text x="${left - 6}" y="${py(v) + 4}" text-anchor="end" class="tick">${v.toFixed(decimals)}</text>`,
    );
  }
  const xTicks =
    xMax - xMin <= 10
      ? Array.from({ length: xMax - xMin + 1 }, (_, i) => xMin + i)
      : [xMin, Math.round((xMin + xMax) / 2), xMax];
  for (const x of xTicks)
    parts.push(`<text x="${px(x)}" y="${height - bottom + 16}" text-anchor="middle" class="tick">${x}</text>`);
  parts.push(
    `<text x="${(left + width - right) / 2}" y="${height - bottom + 32}" text-anchor="middle" ` +
      `class="axis-title">epoch</text>`,
  );
  parts.push(
    `<text x="12" y="${(top + height - bottom) / 2}" text-anchor="middle" class="axis-title" ` +
      `transform="rotate(-90 12 ${(top + height - bottom) / 2})">${esc(opts.yLabel)}</text>`,
  );
  for (const s of series) {
    const pts = s.points.filter((p) => Number.isFinite(p.y));
    if (pts.length === 0) continue;
    const d = pts.map((p, i) => `${i ? 'L' : 'M'}${fmt(px(p.x), 2)},${fmt(py(p.y), 2)}`).join('');
    parts.push(
      `<path class="series" data-series="${esc(s.name)}" d="${d}" fill="none" stroke="${s.color}" ` +
        `stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`,
    );
    for (const p of pts)
      parts.push(
        `<circle cx="${fmt(px(p.x), 2)}" cy="${fmt(py(p.y), 2)}" r="3" fill="${s.color}">` +
          `<title>${esc(s.name)} epoch ${p.x}: ${fmt(p.y, 4)}</title></circle>`,
      );
  }
  let lx = left;
  for (const s of series) {
    parts.push(
      `<line x1="${lx}" x2="${lx + 16}" y1="${height - 6}" y2="${height - 6}" stroke="${s.color}" ` +
        `stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>` +
        `<text x="${lx + 20}" y="${height - 2}" class="legend">${esc(s.name)}</text>`,
    );
    lx += 110;
  }
  parts.push('</svg>');
  return parts.join('');
}
