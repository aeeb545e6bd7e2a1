// The dashboard: totals, the pipeline (leads by status), the score distribution, leads created
// per day, top sources and cities, from GET /api/v1/stats.
import { api } from './api.js';
import { STATUSES, fmtNumber, h, header } from './dom.js';
import { barChart, columnChart } from './charts.js';
import { navigate } from './router.js';

const RANGES = ['7', '30', '90', '365'];

export async function renderDashboard(root, route, isCurrent) {
  const days = RANGES.includes(route.params.get('days')) ? route.params.get('days') : '30';
  const range = h('select', { id: 'stats-days', onchange: (e) => navigate('dashboard', '', new URLSearchParams({ days: e.target.value })) },
    RANGES.map((d) => h('option', { value: d, selected: d === days }, `last ${d} days`)));
  root.append(header('Dashboard', h('label', { for: 'stats-days' }, 'Created per day over'), range));
  let stats;
  try {
    stats = await api('GET', '/stats?days=' + days);
  } catch (e) {
    if (!isCurrent()) return;
    root.append(h('p', { class: 'error-text', role: 'alert' }, 'Statistics are unavailable: ' + e.message));
    return;
  }
  if (!isCurrent()) return;
  const card = (title, ...body) => h('section', { class: 'card chart-card', 'aria-label': title }, h('h2', {}, title), body);
  const byStatus = STATUSES.map((st) => ({ label: st, value: (stats.by_status && stats.by_status[st]) || 0, cls: 'status-' + st }));
  const histogram = stats.score_histogram.map((b) => ({
    label: `${b.from}`, value: b.count, cls: b.from >= 70 ? 'score-high' : b.from >= 40 ? 'score-mid' : 'score-low' }));
  const perDay = stats.created_per_day.map((d) => ({ label: d.date.slice(5), value: d.count }));
  root.append(h('div', { class: 'kpis' },
    h('div', { class: 'kpi card' }, h('span', { class: 'kpi-label' }, 'Leads'), h('strong', { 'data-kpi': 'total' }, fmtNumber(stats.total_leads))),
    h('div', { class: 'kpi card' }, h('span', { class: 'kpi-label' }, 'Average score'), h('strong', { 'data-kpi': 'average' }, stats.average_score === null ? '—' : fmtNumber(stats.average_score, 1))),
    h('div', { class: 'kpi card' }, h('span', { class: 'kpi-label' }, 'Converted'), h('strong', {}, fmtNumber((stats.by_status || {}).converted || 0))),
    h('div', { class: 'kpi card' }, h('span', { class: 'kpi-label' }, `Created, last ${days} days`), h('strong', {}, fmtNumber(perDay.reduce((a, d) => a + d.value, 0))))));
  root.append(h('div', { class: 'charts' },
    card('Pipeline', barChart('Leads by status', byStatus)),
    card('Score distribution', columnChart('Leads per score band of 10 points', histogram)),
    card(`Created per day`, columnChart(`Leads created per day, last ${days} days`, perDay, { labelEvery: Math.max(1, Math.ceil(perDay.length / 8)) })),
    card('Top sources', barChart('Leads by source', stats.by_source.map((x) => ({ label: x.source, value: x.count })))),
    card('Top cities', barChart('Leads by city', stats.top_cities.map((x) => ({ label: x.city, value: x.count }))))));
}
