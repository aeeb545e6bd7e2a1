// The leads table: keyset paging, sort by header, column picker, filter builder, quick search,
// selection with batch changes, export. Everything the view shows is in the URL.
import { api, apiRaw, query } from './api.js';
import { STATUSES, clear, confirmDialog, download, fmtDate, guarded, h, header, scoreChip, statusPill, toast } from './dom.js';
import { OPERATORS, OPERATOR_LABELS, TEXT_FIELDS, NUMBER_FIELDS, fieldKind, formatFilter, needsValue, parseFilter } from './filters.js';
import { navigate } from './router.js';

const DEFAULT_COLUMNS = ['name', 'email', 'city', 'status', 'score', 'tags', 'created_at'];
const ALL_FIELDS = ['name', 'source', 'email', 'phone', 'website', 'city', 'state', 'country', 'category',
  'status', 'score', 'rating', 'review_count', 'tags', 'source_id', 'created_at', 'updated_at', 'last_interaction_at'];
const PAGE_SIZES = ['25', '50', '100', '250', '1000'];
const QUICK_FIELDS = ['name', 'email', 'city', 'phone'];

/// The view's state, read from the URL.
function stateOf(params) {
  return {
    filters: params.getAll('filter'),
    q: params.get('q') || '',
    sortBy: params.get('sort_by') || 'created_at',
    sortOrder: (params.get('sort_order') || 'DESC').toUpperCase(),
    limit: PAGE_SIZES.includes(params.get('limit')) ? params.get('limit') : '50',
    cursor: params.get('cursor') || '',
    prev: (params.get('prev') || '').split(',').filter((c) => c !== ''),
    cols: params.get('cols') ? params.get('cols').split(',') : DEFAULT_COLUMNS,
  };
}

function paramsOf(st) {
  const p = new URLSearchParams();
  for (const f of st.filters) p.append('filter', f);
  if (st.q) p.set('q', st.q);
  p.set('sort_by', st.sortBy);
  p.set('sort_order', st.sortOrder);
  p.set('limit', st.limit);
  if (st.cursor) p.set('cursor', st.cursor);
  // "-" stands for the first page (no cursor) in the stack of pages already seen.
  if (st.prev.length) p.set('prev', st.prev.join(','));
  if (st.cols.join(',') !== DEFAULT_COLUMNS.join(',')) p.set('cols', st.cols.join(','));
  return p;
}

/// The filters the API gets: the builder's, plus the quick search. The quick search looks in
/// name, e-mail, city and phone (an `or` group) unless the builder has `or` filters of its own,
/// where it narrows by name only (one `or` group per request).
export function apiFilters(st) {
  const out = [...st.filters];
  if (st.q) {
    if (st.filters.some((f) => f.startsWith('or.'))) out.push(`and.contains.name.${st.q}`);
    else for (const f of QUICK_FIELDS) out.push(`or.contains.${f}.${st.q}`);
  }
  return out;
}

function listPairs(st, extra = []) {
  return [...apiFilters(st).map((f) => ['filter', f]), ['sort_by', st.sortBy], ['sort_order', st.sortOrder], ...extra];
}

export async function renderLeads(root, route, isCurrent) {
  const st = stateOf(route.params);
  const go = (changes) => navigate('leads', '', paramsOf({ ...st, ...changes }));
  const firstPage = { cursor: '', prev: [] };

  const status = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading…');
  const exportMenu = ['csv', 'json', 'xlsx'].map((fmt) =>
    h('button', { class: 'btn', type: 'button', 'data-export': fmt, onclick: () => exportAs(st, fmt) }, 'Export ' + fmt.toUpperCase()));
  root.append(header('Leads',
    h('a', { class: 'btn primary', href: '#/lead/new' }, 'New lead'), ...exportMenu));

  // Quick search and page size.
  const search = h('input', { type: 'search', id: 'quick-search', value: st.q, placeholder: 'Name, e-mail, city or phone' });
  const searchForm = h('form', { class: 'toolbar', role: 'search' },
    h('label', { for: 'quick-search' }, 'Search'), search,
    h('button', { class: 'btn', type: 'submit' }, 'Search'),
    h('label', { for: 'page-size' }, 'Page size'),
    h('select', { id: 'page-size', onchange: (e) => go({ limit: e.target.value, ...firstPage }) },
      PAGE_SIZES.map((n) => h('option', { value: n, selected: n === st.limit }, n))));
  searchForm.addEventListener('submit', (e) => { e.preventDefault(); go({ q: search.value.trim(), ...firstPage }); });
  root.append(searchForm);

  root.append(filterBuilder(st, (filters) => go({ filters, ...firstPage })));

  const batchBar = h('div', { class: 'batch-bar', hidden: true, role: 'region', 'aria-label': 'Selected leads' });
  root.append(batchBar);
  const tableWrap = h('div', { class: 'table-wrap' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  root.append(status, tableWrap, pager);

  let page;
  try {
    page = await api('GET', '/leads' + query(listPairs(st, [['limit', st.limit], ['cursor', st.cursor]])));
  } catch (e) {
    if (!isCurrent()) return;
    status.textContent = '';
    status.append(h('span', { class: 'error-text', role: 'alert' }, e.message));
    return;
  }
  if (!isCurrent()) return;

  // The column picker knows the attributes present on this page.
  const attrNames = [...new Set(page.leads.flatMap((l) => l.attributes.map((a) => 'attr:' + a.name)))].sort();
  root.querySelector('.page-head .actions').prepend(columnPicker(st, attrNames, (cols) => go({ cols })));

  const pageNo = st.prev.length + 1;
  status.textContent = `Page ${pageNo} · ${page.count} lead${page.count === 1 ? '' : 's'} shown` + (page.has_more ? ' · more after' : '');

  const t0 = performance.now();
  const table = leadsTable(page.leads, st, go, (ids) => renderBatchBar(batchBar, ids, () => go({})));
  tableWrap.append(table);
  root.dataset.buildMs = String(Math.round((performance.now() - t0) * 10) / 10);
  void table.offsetHeight;  // include style and layout in the measured time
  root.dataset.renderMs = String(Math.round((performance.now() - t0) * 10) / 10);

  const back = st.prev.length > 0;
  pager.append(
    h('button', { class: 'btn', type: 'button', 'data-page': 'prev', disabled: !back, onclick: () => {
      const prev = st.prev.slice(0, -1);
      const cursor = st.prev[st.prev.length - 1];
      go({ cursor: cursor === '-' ? '' : cursor, prev });
    } }, '← Previous'),
    h('span', { class: 'muted' }, `Page ${pageNo}`),
    h('button', { class: 'btn', type: 'button', 'data-page': 'next', disabled: !page.has_more, onclick: () =>
      go({ cursor: page.next_cursor, prev: [...st.prev, st.cursor || '-'] }) }, 'Next →'));
}

function columnLabel(c) { return c.startsWith('attr:') ? c.slice(5) : c.replace(/_/g, ' '); }

/// The class that sizes a column (the header and every row use it, so they line up).
function colClass(col) { return 'cell col-' + col.replace(/[^a-z_]/g, '-'); }

/// An ARIA table made of blocks rather than a <table>: each row is its own box with
/// `content-visibility: auto`, so the browser lays out only the rows on screen and a 1,000-row
/// page costs about what a 50-row page does (every row stays in the DOM, found by Ctrl+F and by
/// screen readers).
function leadsTable(leads, st, go, onSelect) {
  const selected = new Set();
  const all = h('input', { type: 'checkbox', 'aria-label': 'Select all leads on this page' });
  const boxes = [];
  const sync = () => {
    all.checked = leads.length > 0 && selected.size === leads.length;
    onSelect([...selected]);
  };
  all.addEventListener('change', () => {
    for (const b of boxes) { b.checked = all.checked; if (all.checked) selected.add(b.value); else selected.delete(b.value); }
    sync();
  });
  const headRow = h('div', { role: 'row', class: 'row head' }, h('div', { role: 'columnheader', class: 'cell select' }, all));
  for (const col of st.cols) {
    const sortable = col !== 'tags';
    const active = st.sortBy === col;
    const th = h('div', { role: 'columnheader', class: colClass(col), 'aria-sort': active ? (st.sortOrder === 'ASC' ? 'ascending' : 'descending') : null });
    if (sortable) {
      th.append(h('button', { type: 'button', class: 'sort', 'data-sort': col, onclick: () =>
        go({ sortBy: col, sortOrder: active && st.sortOrder === 'ASC' ? 'DESC' : 'ASC', cursor: '', prev: [] }) },
        columnLabel(col), h('span', { class: 'arrow', 'aria-hidden': 'true' }, active ? (st.sortOrder === 'ASC' ? ' ▲' : ' ▼') : '')));
    } else th.append(columnLabel(col));
    headRow.append(th);
  }
  const body = h('div', { role: 'rowgroup', class: 'body' });
  // One listener for every row's checkbox, and rows cloned from one template.
  body.addEventListener('change', (e) => {
    const box = e.target;
    if (!(box instanceof HTMLInputElement) || box.type !== 'checkbox') return;
    if (box.checked) selected.add(box.value); else selected.delete(box.value);
    sync();
  });
  const template = document.createElement('div');
  template.className = 'row';
  template.setAttribute('role', 'row');
  const td0 = document.createElement('div');
  td0.className = 'cell select';
  td0.setAttribute('role', 'cell');
  const box0 = document.createElement('input');
  box0.type = 'checkbox';
  td0.append(box0);
  template.append(td0);
  for (const col of st.cols) {
    const td = document.createElement('div');
    td.className = colClass(col);
    td.setAttribute('role', 'cell');
    template.append(td);
  }
  const frag = document.createDocumentFragment();
  for (const lead of leads) {
    const tr = template.cloneNode(true);
    tr.dataset.id = lead.id;
    const box = tr.firstChild.firstChild;
    box.value = lead.id;
    box.setAttribute('aria-label', 'Select ' + lead.name);
    boxes.push(box);
    let td = tr.firstChild.nextSibling;
    for (const col of st.cols) { fillCell(td, lead, col); td = td.nextSibling; }
    frag.append(tr);
  }
  body.append(frag);
  if (leads.length === 0) body.append(h('div', { role: 'row', class: 'row' }, h('div', { role: 'cell', class: 'cell empty' }, 'No leads match.')));
  return h('div', { role: 'table', class: 'leads', 'aria-label': 'Leads', 'aria-rowcount': leads.length + 1 },
    h('div', { role: 'rowgroup', class: 'head' }, headRow), body);
}

function fillCell(td, lead, col) {
  if (col === 'name') {
    const a = document.createElement('a');
    a.href = '#/lead/' + encodeURIComponent(lead.id);
    a.textContent = lead.name;
    td.append(a);
  } else if (col === 'score') td.append(scoreChip(lead.score));
  else if (col === 'status') td.append(statusPill(lead.status));
  else if (col === 'tags') td.textContent = lead.tags.join(', ');
  else if (col.endsWith('_at')) td.textContent = fmtDate(lead[col]);
  else if (col.startsWith('attr:')) {
    const a = lead.attributes.find((x) => x.name === col.slice(5));
    td.textContent = a ? (typeof a.value === 'object' ? JSON.stringify(a.value) : String(a.value)) : '';
  } else td.textContent = lead[col] ?? '';
}

function columnPicker(st, attrNames, apply) {
  const options = [...ALL_FIELDS, ...attrNames.filter((a) => !ALL_FIELDS.includes(a)), ...st.cols.filter((c) => c.startsWith('attr:') && !attrNames.includes(c))];
  const boxes = options.map((c) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', value: c, checked: st.cols.includes(c) }), columnLabel(c) + (c.startsWith('attr:') ? ' (attribute)' : '')));
  const extra = h('input', { type: 'text', id: 'col-attr', placeholder: 'attribute name' });
  return h('details', { class: 'picker' }, h('summary', { class: 'btn' }, 'Columns'),
    h('div', { class: 'picker-body' }, boxes,
      h('div', { class: 'field' }, h('label', { for: 'col-attr' }, 'Add an attribute column'), extra),
      h('button', { class: 'btn primary', type: 'button', onclick: () => {
        const cols = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
        if (extra.value.trim()) cols.push('attr:' + extra.value.trim());
        apply(cols.length ? cols : DEFAULT_COLUMNS);
      } }, 'Apply columns')));
}

/// The filter builder: one row per filter (logic, field, operator, value) and the equivalent
/// `filter=` query.
function filterBuilder(st, apply) {
  const rows = h('div', { class: 'filter-rows' });
  const preview = h('code', { class: 'filter-preview', 'data-filter-preview': '' });
  const collect = () => [...rows.children].map((r) => r.readFilter()).filter((f) => f !== null);
  const refresh = () => {
    const filters = collect();
    preview.textContent = filters.length ? filters.map((f) => 'filter=' + f).join('&') : '(no filter)';
  };
  const addRow = (text) => { rows.append(filterRow(text ? parseFilter(text) : { logic: 'and', op: 'eq', field: 'name', value: '' }, refresh)); refresh(); };
  for (const f of st.filters) addRow(f);
  const box = h('details', { class: 'filters card', open: st.filters.length > 0 },
    h('summary', {}, 'Filters' + (st.filters.length ? ` (${st.filters.length})` : '')),
    rows,
    h('div', { class: 'filter-actions' },
      h('button', { class: 'btn', type: 'button', 'data-add-filter': '', onclick: () => addRow() }, '+ Add filter'),
      h('button', { class: 'btn primary', type: 'button', 'data-apply-filters': '', onclick: () => apply(collect()) }, 'Apply filters'),
      h('button', { class: 'btn ghost', type: 'button', onclick: () => apply([]) }, 'Clear')),
    h('p', { class: 'muted' }, 'API query: ', preview));
  refresh();
  return box;
}

let rowSeq = 0;
function filterRow(f, changed) {
  rowSeq += 1;
  const id = (n) => `flt-${rowSeq}-${n}`;
  const kindOf = (field) => fieldKind(field);
  let field = f.field;
  const logic = h('select', { id: id('logic'), 'data-part': 'logic' }, ['and', 'or'].map((l) => h('option', { value: l, selected: f.logic === l }, l)));
  const fieldSel = h('select', { id: id('field'), 'data-part': 'field' },
    h('optgroup', { label: 'Text' }, TEXT_FIELDS.map((x) => h('option', { value: x }, x))),
    h('optgroup', { label: 'Number' }, NUMBER_FIELDS.map((x) => h('option', { value: x }, x))),
    h('optgroup', { label: 'Other' }, h('option', { value: 'tags' }, 'tags'), h('option', { value: 'location' }, 'location'), h('option', { value: 'attr:' }, 'attribute…')));
  const attrName = h('input', { type: 'text', id: id('attr'), 'data-part': 'attr', placeholder: 'attribute name', value: field.startsWith('attr:') ? field.slice(5) : '' });
  const attrLabel = h('label', { for: id('attr'), class: 'sr-only' }, 'Attribute name');
  const opSel = h('select', { id: id('op'), 'data-part': 'op' });
  const value = h('input', { type: 'text', id: id('value'), 'data-part': 'value', value: f.value });
  const fillOps = (selected) => {
    clear(opSel);
    for (const op of OPERATORS[kindOf(field)]) opSel.append(h('option', { value: op, selected: op === selected }, OPERATOR_LABELS[op]));
  };
  const sync = () => {
    attrName.hidden = !field.startsWith('attr:');
    value.hidden = !needsValue(opSel.value);
    value.placeholder = opSel.value === 'within_radius' ? '48.85,2.35,10' : opSel.value === 'in' ? 'a,b,c' : 'value';
    changed();
  };
  fieldSel.value = field.startsWith('attr:') ? 'attr:' : field;
  fillOps(f.op);
  fieldSel.addEventListener('change', () => {
    field = fieldSel.value === 'attr:' ? 'attr:' + attrName.value.trim() : fieldSel.value;
    fillOps(opSel.value);
    sync();
  });
  attrName.addEventListener('input', () => { field = 'attr:' + attrName.value.trim(); changed(); });
  opSel.addEventListener('change', sync);
  value.addEventListener('input', changed);
  logic.addEventListener('change', changed);
  const row = h('div', { class: 'filter-row' },
    h('label', { for: id('logic'), class: 'sr-only' }, 'Logic'), logic,
    h('label', { for: id('field'), class: 'sr-only' }, 'Field'), fieldSel,
    attrLabel, attrName,
    h('label', { for: id('op'), class: 'sr-only' }, 'Operator'), opSel,
    h('label', { for: id('value'), class: 'sr-only' }, 'Value'), value,
    h('button', { class: 'btn ghost', type: 'button', 'aria-label': 'Remove this filter', onclick: () => { row.remove(); changed(); } }, '✕'));
  row.readFilter = () => {
    if (field === 'attr:') return null;
    return formatFilter({ logic: logic.value, op: opSel.value, field, value: value.value });
  };
  sync();
  return row;
}

function renderBatchBar(bar, ids, reload) {
  clear(bar);
  bar.hidden = ids.length === 0;
  if (!ids.length) return;
  const statusSel = h('select', { id: 'batch-status' }, STATUSES.map((s) => h('option', { value: s }, s)));
  const tags = h('input', { type: 'text', id: 'batch-tags', placeholder: 'vip, q3' });
  const run = async (method, body, verb) => {
    const res = await guarded(() => api(method, '/leads/batch', body));
    if (!res) return;
    toast(`${verb}: ${res.success} of ${res.total}` + (res.failed ? ` (${res.failed} failed)` : ''), res.failed ? 'error' : 'ok');
    reload();
  };
  bar.append(
    h('strong', {}, `${ids.length} selected`),
    h('label', { for: 'batch-status' }, 'Status'), statusSel,
    h('button', { class: 'btn', type: 'button', 'data-batch': 'status', onclick: () => run('PUT', { ids, data: { status: statusSel.value } }, 'Status changed') }, 'Set status'),
    h('label', { for: 'batch-tags' }, 'Tags'), tags,
    h('button', { class: 'btn', type: 'button', 'data-batch': 'tags', onclick: () =>
      run('PUT', { ids, data: { tags: tags.value.split(',').map((t) => t.trim()).filter(Boolean) } }, 'Tags replaced') }, 'Replace tags'),
    h('button', { class: 'btn danger', type: 'button', 'data-batch': 'delete', onclick: async () => {
      if (await confirmDialog(`Delete ${ids.length} lead${ids.length === 1 ? '' : 's'}? This cannot be undone.`)) run('DELETE', { ids }, 'Deleted');
    } }, 'Delete'));
}

async function exportAs(st, format) {
  await guarded(async () => {
    const res = await apiRaw('GET', '/leads/export' + query(listPairs(st, [['format', format]])));
    download(await res.blob(), 'leads.' + format);
    toast('Export of leads.' + format + ' downloaded');
  });
}
