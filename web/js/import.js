// Import: a CSV or JSON file parsed in the browser, the column mapping and first rows shown,
// then POST /leads/batch in batches of the plan's size with a progress bar, a summary, and
// the failed rows with their reasons to download.
import { api } from './api.js';
import { clear, download, guarded, h, header, toast } from './dom.js';
import { parseCsv, toCsv } from './csv.js';

const TARGETS = ['name', 'source', 'description', 'email', 'phone', 'website', 'address', 'city', 'state',
  'country', 'postal_code', 'category', 'source_id', 'logo_url', 'latitude', 'longitude', 'rating',
  'review_count', 'tags', 'status'];
const NUMERIC = new Set(['latitude', 'longitude', 'rating', 'review_count']);
const READ_ONLY = new Set(['id', 'score', 'created_at', 'updated_at', 'last_interaction_at']);

export async function renderImport(root) {
  root.append(header('Import leads'),
    h('p', { class: 'muted' }, 'CSV with a header row (the export\'s column names are recognised: tags split on “;”, attr:<name> columns become attributes) or JSON (an array of lead objects). The file is read in this browser; rows are sent in batches to POST /api/v1/leads/batch.'));
  const input = h('input', { type: 'file', id: 'import-file', accept: '.csv,.json,.jsonl,text/csv,application/json' });
  const stage = h('div');
  root.append(h('div', { class: 'card file-pick' }, h('label', { for: 'import-file' }, 'File to import'), input), stage);
  input.addEventListener('change', async () => {
    const file = input.files[0];
    if (!file) return;
    const text = await file.text();
    let table;
    try { table = toTable(file.name, text); } catch (e) { toast('Cannot read ' + file.name + ': ' + e.message, 'error'); return; }
    clear(stage).append(mappingCard(file.name, table));
  });
}

/// {columns, rows (arrays of cells, or objects for JSON)}.
function toTable(name, text) {
  if (/\.jsonl$/i.test(name)) {
    const rows = text.split(/\r?\n/).filter((l) => l.trim()).map((l) => JSON.parse(l));
    return { json: true, columns: [], rows };
  }
  if (/\.json$/i.test(name) || /^\s*[[{]/.test(text)) {
    const data = JSON.parse(text);
    const rows = Array.isArray(data) ? data : data.leads;
    if (!Array.isArray(rows)) throw new Error('expected a JSON array of leads');
    return { json: true, columns: [], rows };
  }
  const all = parseCsv(text);
  if (all.length < 1) throw new Error('the file is empty');
  return { json: false, columns: all[0].map((c) => c.trim()), rows: all.slice(1) };
}

function autoTarget(column) {
  const c = column.toLowerCase();
  if (c.startsWith('attr:')) return column;
  if (READ_ONLY.has(c)) return '';
  return TARGETS.includes(c) ? c : '';
}

function mappingCard(fileName, table) {
  const card = h('section', { class: 'card', 'aria-labelledby': 'mapping-title' });
  const n = table.rows.length;
  card.append(h('h2', { id: 'mapping-title' }, `${fileName}: ${n} row${n === 1 ? '' : 's'}`));
  let selects = [];
  if (!table.json) {
    card.append(h('h3', {}, 'Column mapping'));
    const grid = h('div', { class: 'mapping' });
    selects = table.columns.map((col, i) => {
      const id = 'map-' + i;
      const target = autoTarget(col);
      const sel = h('select', { id, 'data-column': col },
        h('option', { value: '' }, '(ignore)'),
        TARGETS.map((t) => h('option', { value: t, selected: t === target }, t)),
        h('option', { value: 'attr:' + col.replace(/^attr:/i, ''), selected: target.startsWith('attr:') }, 'attribute ' + col.replace(/^attr:/i, '')));
      grid.append(h('label', { for: id }, col), sel);
      return sel;
    });
    card.append(grid);
  } else {
    card.append(h('p', { class: 'muted' }, 'JSON objects are sent as they are (the API\'s field names).'));
  }
  // The first rows as read.
  const first = table.rows.slice(0, 5);
  const cols = table.json ? [...new Set(first.flatMap((r) => Object.keys(r)))] : table.columns;
  card.append(h('h3', {}, 'First rows'), h('div', { class: 'table-wrap' }, h('table', { class: 'preview' },
    h('caption', { class: 'sr-only' }, 'First rows of the file'),
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, first.map((r) => h('tr', {}, cols.map((c, i) => {
      const v = table.json ? r[c] : r[i];
      return h('td', {}, v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
    })))))));
  const progress = h('progress', { max: Math.max(n, 1), value: 0, id: 'import-progress', 'aria-label': 'Import progress' });
  const status = h('p', { 'aria-live': 'polite', 'data-import-status': '' });
  const result = h('div');
  const start = h('button', { class: 'btn primary', type: 'button', 'data-start-import': '' }, `Import ${n} rows`);
  start.addEventListener('click', async () => {
    start.disabled = true;
    const mapping = selects.map((s) => s.value);
    await runImport(fileName, table, mapping, progress, status, result);
  });
  card.append(h('div', { class: 'actions' }, start), h('p', { class: 'progress-line' }, progress), status, result);
  return card;
}

/// Attribute cells get a type the way `klozeo import` gives it.
function attributeOf(name, cell) {
  if (cell === 'true' || cell === 'false') return { name, type: 'bool', value: cell === 'true' };
  if (cell.trim() !== '' && Number.isFinite(Number(cell))) return { name, type: 'number', value: Number(cell) };
  if (/^\s*[[{]/.test(cell)) {
    try {
      const v = JSON.parse(cell);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return { name, type: 'list', value: v };
      if (v && typeof v === 'object' && !Array.isArray(v)) return { name, type: 'object', value: v };
    } catch { /* text */ }
  }
  return { name, type: 'text', value: cell };
}

function leadOf(row, mapping) {
  const lead = {};
  const attributes = [];
  mapping.forEach((target, i) => {
    const cell = row[i] ?? '';
    if (!target || cell === '') return;
    if (target.startsWith('attr:')) attributes.push(attributeOf(target.slice(5), cell));
    else if (target === 'tags') lead.tags = cell.split(';').map((t) => t.trim()).filter(Boolean);
    else if (NUMERIC.has(target)) lead[target] = cell.trim() !== '' && Number.isFinite(Number(cell)) ? Number(cell) : cell;
    else lead[target] = cell;
  });
  if (attributes.length) lead.attributes = attributes;
  return lead;
}

async function runImport(fileName, table, mapping, progress, status, result) {
  const account = await guarded(() => api('GET', '/account'));
  if (!account) return;
  const size = Math.max(1, Math.min(account.limits.max_batch || 100, 500));
  const leads = table.rows.map((r) => (table.json ? r : leadOf(r, mapping)));
  const failed = [];
  let created = 0;
  for (let at = 0; at < leads.length; at += size) {
    const chunk = leads.slice(at, at + size);
    try {
      const r = await api('POST', '/leads/batch', { leads: chunk });
      created += r.success;
      for (const e of r.errors) failed.push({ index: at + e.index, message: e.message });
    } catch (e) {
      if (e.status === 401) return;
      chunk.forEach((_, i) => failed.push({ index: at + i, message: e.message }));
    }
    progress.value = Math.min(at + chunk.length, leads.length);
    status.textContent = `Imported ${progress.value} of ${leads.length} rows…`;
  }
  status.textContent = `Done: ${leads.length} rows, ${created} created, ${failed.length} failed.`;
  clear(result);
  if (!failed.length) { toast(`Imported ${created} leads`); return; }
  toast(`${failed.length} row${failed.length === 1 ? '' : 's'} failed`, 'error');
  const base = fileName.replace(/\.[^.]+$/, '');
  result.append(h('h3', {}, 'Failed rows'),
    h('table', { class: 'failed' }, h('caption', { class: 'sr-only' }, 'Failed rows and their reasons'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Row (after the header)'), h('th', { scope: 'col' }, 'Reason'))),
      h('tbody', {}, failed.slice(0, 100).map((f) => h('tr', {}, h('td', {}, String(f.index + 1)), h('td', {}, f.message))))),
    h('button', { class: 'btn', type: 'button', 'data-download-failed': '', onclick: () => {
      if (table.json) {
        const lines = failed.map((f) => JSON.stringify({ row: f.index + 1, error: f.message, lead: table.rows[f.index] }));
        download(new Blob([lines.join('\n') + '\n'], { type: 'application/x-ndjson' }), base + '.failed.jsonl');
      } else {
        const rows = [['error', ...table.columns], ...failed.map((f) => [f.message, ...table.rows[f.index]])];
        download(new Blob([toCsv(rows)], { type: 'text/csv' }), base + '.failed.csv');
      }
    } }, 'Download failed rows'));
}
