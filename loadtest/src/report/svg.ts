/**
 * Inline SVG charts for the HTML report: plain strings, no script, no external assets, so the file
 * reads the same offline, in a CI artifact viewer, or printed.
 */

/** Escapes text for HTML and SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** One bar: a label, a value that sets its length, and the text printed beside it. */
export interface Bar {
  label: string;
  value: number;
  text: string;
  color?: string;
}

const FONT = 'font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif" font-size="12"';

/** The outer `<svg>` of a figure: named by `data-figure`, titled for screen readers, scaled to its box. */
function figureSvg(
  { figure, title, width, height }: { figure: string; title: string; width: number; height: number },
  content: string,
): string {
  return (
    `<svg data-figure="${escapeXml(figure)}" role="img" aria-label="${escapeXml(title)}" viewBox="0 0 ${width} ` +
    `${height}" width="100%" style="max-width:${width}px" xmlns="http://www.w3.org/2000/svg" ${FONT}><title>` +
    `${escapeXml(title)}</title>${content}</svg>`
  );
}

/** A horizontal bar chart; `figure` names it (`data-figure`) so tests and readers can find it. */
export function barChart(figure: string, title: string, bars: Bar[], width = 560): string {
  const labelWidth = Math.min(200, Math.max(60, ...bars.map((b) => b.label.length * 7 + 10)));
  const textWidth = 90;
  const rowHeight = 26;
  const height = bars.length * rowHeight + 10;
  const plot = width - labelWidth - textWidth;
  const max = Math.max(...bars.map((b) => b.value), 0) || 1;
  const rows = bars.map((bar, i) => {
    const y = 5 + i * rowHeight;
    const length = Math.max(bar.value > 0 ? 2 : 0, (bar.value / max) * plot);
    return (
      `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end" fill="#333">${escapeXml(bar.label)}</text>` +
      `<rect class="bar" x="${labelWidth}" y="${y + 3}" width="${length.toFixed(1)}" height="${rowHeight - 8}" ` +
      `rx="3" fill="${bar.color ?? '#4c78a8'}"><title>${escapeXml(`${bar.label}: ${bar.text}`)}` +
      `</title></rect>` +
      `<text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + 16}" fill="#111">${escapeXml(bar.text)}</text>`
    );
  });
  return figureSvg({ figure, title, width, height }, rows.join(''));
}

/** One line of a line chart. */
export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  /** Fill the area under the line (the main series). */
  area?: boolean;
}

function niceStep(range: number, ticks: number): number {
  const raw = range / ticks;
  const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
  const residual = raw / magnitude;
  const nice = residual > 5 ? 10 : residual > 2 ? 5 : residual > 1 ? 2 : 1;
  return nice * magnitude;
}

/** The drawing size of a chart, in SVG units. */
export interface ChartSize {
  width?: number;
  height?: number;
}

/** The plotting area inside a chart's margins, and the scales from data to SVG units. */
interface Plot {
  left: number;
  top: number;
  width: number;
  height: number;
  maxX: number;
  maxY: number;
  stepY: number;
  x: (value: number) => number;
  y: (value: number) => number;
}

function plotArea(series: Series[], width: number, height: number): Plot {
  const left = 64;
  const right = 16;
  const top = 28;
  const bottom = 34;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const all = series.flatMap((s) => s.points);
  const maxX = Math.max(1, ...all.map((p) => p[0]));
  const rawMaxY = Math.max(0, ...all.map((p) => p[1]));
  const stepY = rawMaxY > 0 ? niceStep(rawMaxY, 4) : 1;
  const maxY = Math.max(stepY, Math.ceil(rawMaxY / stepY) * stepY);
  return {
    left,
    top,
    width: plotW,
    height: plotH,
    maxX,
    maxY,
    stepY,
    x: (v: number): number => left + (v / maxX) * plotW,
    y: (v: number): number => top + plotH - (v / maxY) * plotH,
  };
}

/** Horizontal grid lines, each labelled with its y value. */
function yGrid({ left, width, maxY, stepY, y }: Plot, formatY: (value: number) => string): string[] {
  const parts: string[] = [];
  for (let v = 0; v <= maxY + stepY / 2; v += stepY) {
    parts.push(
      `<line x1="${left}" x2="${left + width}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e3e3e3"/>`,
    );
    parts.push(
      `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" ` +
        `text-anchor="end" fill="#555">${escapeXml(formatY(v))}</text>`,
    );
  }
  return parts;
}

/** The x axis: a tick and a seconds label at each step, then the axis line itself. */
function xAxis({ left, top, width, height, maxX, x }: Plot): string[] {
  const parts: string[] = [];
  const stepX = niceStep(maxX, 6);
  for (let v = 0; v <= maxX + 1e-9; v += stepX) {
    parts.push(
      `<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${top + height}" y2="${top + height + 4}" ` +
        `stroke="#888"/>`,
    );
    parts.push(
      `<text x="${x(v).toFixed(1)}" y="${top + height + 17}" text-anchor="middle" fill="#555">` +
        `${escapeXml(`${Number(v.toFixed(2))}s`)}</text>`,
    );
  }
  parts.push(`<line x1="${left}" x2="${left + width}" y1="${top + height}" y2="${top + height}" stroke="#888"/>`);
  return parts;
}

/** One path per series with points, and the shaded area under it when the series asks for one. */
function seriesPaths({ x, y }: Plot, series: Series[]): string[] {
  const parts: string[] = [];
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
    if (s.area) {
      const first = s.points[0]!;
      const last = s.points[s.points.length - 1]!;
      parts.push(
        `<path d="${d}L${x(last[0]).toFixed(1)},${y(0).toFixed(1)}L${x(first[0]).toFixed(1)},${y(0).toFixed(1)}Z" ` +
          `fill="${s.color}" fill-opacity="0.15" stroke="none"/>`,
      );
    }
    parts.push(
      `<path class="series" data-series="${escapeXml(s.name)}" d="${d}" fill="none" stroke="${s.color}" ` +
        `stroke-width="2" stroke-linejoin="round"/>`,
    );
  }
  return parts;
}

function legend({ left }: Plot, series: Series[]): string[] {
  const parts: string[] = [];
  let legendX = left;
  for (const s of series) {
    parts.push(
      `<rect x="${legendX}" y="8" width="12" height="12" rx="2" fill="${s.color}"/><text x="${legendX + 16}" y="18" ` +
        `fill="#333">${escapeXml(s.name)}</text>`,
    );
    legendX += 30 + s.name.length * 7;
  }
  return parts;
}

/**
 * A line chart over time with axes, grid and a legend. `formatY` labels the y axis; x is seconds
 * from the start of the run.
 */
export function lineChart(
  figure: string,
  title: string,
  series: Series[],
  formatY: (value: number) => string,
  { width = 760, height = 260 }: ChartSize = {},
): string {
  const plot = plotArea(series, width, height);
  const parts = [...yGrid(plot, formatY), ...xAxis(plot), ...seriesPaths(plot, series), ...legend(plot, series)];
  return figureSvg({ figure, title, width, height }, parts.join(''));
}
