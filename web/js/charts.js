// Small hand-written SVG charts. Labels and values are text nodes; each chart has a title and
// a description for screen readers, and each bar a <title> tooltip.
import { h, s } from './dom.js';

let chartSeq = 0;

function frame(title, width, height, children) {
  chartSeq += 1;
  const id = 'chart-' + chartSeq;
  return s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-labelledby': id },
    s('title', { id }, title), children);
}

/// Horizontal bars: [{label, value, cls?}].
export function barChart(title, items, { width = 420, row = 26 } = {}) {
  if (!items.length) return h('p', { class: 'muted' }, 'No data yet.');
  const max = Math.max(1, ...items.map((i) => i.value));
  const labelW = 120;
  const barW = width - labelW - 50;
  const height = items.length * row + 4;
  return frame(title, width, height, items.map((it, i) => {
    const y = i * row + 2;
    const w = Math.max(2, (it.value / max) * barW);
    return s('g', {},
      s('text', { x: labelW - 8, y: y + row / 2 + 4, 'text-anchor': 'end', class: 'label' },
        it.label.length > 18 ? it.label.slice(0, 17) + '…' : it.label),
      s('rect', { x: labelW, y: y + 3, width: w, height: row - 8, rx: 3, class: 'bar ' + (it.cls || '') },
        s('title', {}, `${it.label}: ${it.value}`)),
      s('text', { x: labelW + w + 6, y: y + row / 2 + 4, class: 'value' }, String(it.value)));
  }));
}

/// Vertical columns: [{label, value, cls?}]; every `labelEvery`-th label is written under them.
export function columnChart(title, items, { width = 560, height = 200, labelEvery = 1 } = {}) {
  if (!items.length) return h('p', { class: 'muted' }, 'No data yet.');
  const max = Math.max(1, ...items.map((i) => i.value));
  const top = 16;
  const bottom = 28;
  const left = 34;
  const plotH = height - top - bottom;
  const step = (width - left - 8) / items.length;
  const ticks = [0, Math.round(max / 2), max];
  return frame(title, width, height, [
    ticks.map((t) => {
      const y = top + plotH - (t / max) * plotH;
      return s('g', {}, s('line', { x1: left, x2: width - 4, y1: y, y2: y, class: 'grid' }),
        s('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', class: 'axis' }, String(t)));
    }),
    items.map((it, i) => {
      const hgt = (it.value / max) * plotH;
      const x = left + i * step + step * 0.12;
      return s('g', {},
        s('rect', { x, y: top + plotH - hgt, width: Math.max(1, step * 0.76), height: Math.max(hgt, it.value ? 1 : 0), rx: 2, class: 'bar ' + (it.cls || '') },
          s('title', {}, `${it.label}: ${it.value}`)),
        i % labelEvery === 0 ? s('text', { x: x + step * 0.38, y: height - 10, 'text-anchor': 'middle', class: 'axis' }, it.label) : null);
    })]);
}
