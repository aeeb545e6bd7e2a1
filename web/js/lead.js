// One lead: every field editable (the API's validation message shown at its field), a typed
// attribute editor, the notes timeline, and the score with each rule's part in it.
import { api } from './api.js';
import { STATUSES, clear, confirmDialog, field, fmtDate, guarded, h, header, scoreChip, setFieldError, statusPill, toast } from './dom.js';
import { navigate } from './router.js';

const TEXT = ['name', 'source', 'email', 'phone', 'website', 'address', 'city', 'state', 'country',
  'postal_code', 'category', 'source_id', 'logo_url'];
const NUMBERS = ['latitude', 'longitude', 'rating', 'review_count'];
const ATTR_TYPES = ['text', 'number', 'bool', 'list', 'object'];

export async function renderLead(root, route, isCurrent) {
  const isNew = route.id === 'new' || route.id === '';
  let lead = null;
  if (!isNew) {
    lead = await guarded(() => api('GET', '/leads/' + encodeURIComponent(route.id)));
    if (!isCurrent()) return;
    if (!lead) { root.append(header('Lead not found'), h('p', {}, h('a', { href: '#/leads' }, 'Back to the leads'))); return; }
  }
  root.append(header(isNew ? 'New lead' : lead.name,
    h('a', { class: 'btn', href: '#/leads' }, '← Leads'),
    isNew ? null : h('button', { class: 'btn danger', type: 'button', onclick: async () => {
      if (!(await confirmDialog(`Delete the lead “${lead.name}” with its attributes and notes?`))) return;
      if ((await guarded(() => api('DELETE', '/leads/' + encodeURIComponent(lead.id)))) !== undefined) { toast('Lead deleted'); navigate('leads'); }
    } }, 'Delete lead')));
  const dup = route.params.get('duplicate_of');
  if (dup) {
    root.append(h('p', { class: 'notice', 'data-duplicate': '' }, 'Possible duplicate of ',
      h('a', { href: '#/lead/' + encodeURIComponent(dup) }, 'this lead'), ' (same name and city).'));
  }
  if (!isNew) {
    root.append(h('p', { class: 'meta' }, statusPill(lead.status), ' ', scoreChip(lead.score),
      ` created ${fmtDate(lead.created_at)} · updated ${fmtDate(lead.updated_at)} · last interaction ${fmtDate(lead.last_interaction_at)}`));
  }
  const grid = h('div', { class: 'lead-grid' });
  root.append(grid);
  grid.append(leadForm(lead));
  if (isNew) return;
  const side = h('div', { class: 'side' });
  grid.append(side);
  side.append(attributesCard(lead), scoreCard(lead));
  root.append(await notesCard(lead));
}

function leadForm(lead) {
  const fields = {};
  const make = (name, input) => { fields[name] = field(name.replace(/_/g, ' '), input); return fields[name].wrap; };
  const v = (k) => (lead && lead[k] !== null && lead[k] !== undefined ? String(lead[k]) : '');
  const form = h('form', { class: 'card lead-form', novalidate: true, 'aria-label': 'Lead fields' },
    h('h2', {}, 'Fields'),
    h('div', { class: 'form-grid' },
      TEXT.map((k) => make(k, h('input', { type: 'text', name: k, value: v(k) }))),
      NUMBERS.map((k) => make(k, h('input', { type: 'text', inputmode: 'decimal', name: k, value: v(k) }))),
      make('status', h('select', { name: 'status' }, STATUSES.map((s) => h('option', { value: s, selected: (lead ? lead.status : 'new') === s }, s)))),
      make('tags', h('input', { type: 'text', name: 'tags', value: lead ? lead.tags.join(', ') : '', placeholder: 'comma, separated' }))),
    make('description', h('textarea', { name: 'description', rows: 3 }, v('description'))),
    h('div', { class: 'actions' }, h('button', { class: 'btn primary', type: 'submit' }, lead ? 'Save changes' : 'Create lead')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const f of Object.values(fields)) setFieldError(f, '');
    const body = {};
    for (const k of [...TEXT, 'description']) {
      const val = fields[k].input.value;
      if (lead) { if (val !== v(k)) body[k] = val === '' ? (k === 'name' || k === 'source' ? '' : null) : val; }
      else if (val !== '') body[k] = val;
    }
    for (const k of NUMBERS) {
      const raw = fields[k].input.value.trim();
      if (lead && raw === v(k)) continue;
      if (raw === '') { if (lead) body[k] = null; continue; }
      const n = Number(raw);
      body[k] = Number.isFinite(n) ? n : raw;  // the API names the field when it is not a number
    }
    if (!lead || fields.status.input.value !== lead.status) body.status = fields.status.input.value;
    const tags = fields.tags.input.value.split(',').map((t) => t.trim()).filter(Boolean);
    if (!lead || tags.join(',') !== lead.tags.join(',')) body.tags = tags;
    try {
      if (lead) {
        await api('PUT', '/leads/' + encodeURIComponent(lead.id), body);
        toast('Lead saved');
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      } else {
        const created = await api('POST', '/leads', body);
        toast(created.duplicate ? 'Duplicate detected: the existing lead was updated' : 'Lead created');
        const p = new URLSearchParams();
        if (created.potential_duplicate_id) p.set('duplicate_of', created.potential_duplicate_id);
        navigate('lead', created.id, p);
      }
    } catch (err) {
      if (err.status === 401) return;
      const m = /field '([a-z_]+)/.exec(err.message);
      if (m && fields[m[1]]) { setFieldError(fields[m[1]], err.message); fields[m[1]].input.focus(); }
      else toast(err.message, 'error');
    }
  });
  return form;
}

/// A typed input for an attribute value; read() gives the JSON value (or throws a message).
function attrInput(type, value, id) {
  let input;
  if (type === 'bool') input = h('input', { type: 'checkbox', id, checked: value === true });
  else if (type === 'object') input = h('textarea', { id, rows: 2 }, value === undefined ? '{}' : JSON.stringify(value));
  else input = h('input', { type: 'text', id, inputmode: type === 'number' ? 'decimal' : null,
    value: value === undefined ? '' : type === 'list' ? value.join(', ') : String(value),
    placeholder: type === 'list' ? 'a, b, c' : '' });
  const read = () => {
    if (type === 'bool') return input.checked;
    if (type === 'number') { const n = Number(input.value); if (input.value.trim() === '' || !Number.isFinite(n)) throw new Error('a number is needed'); return n; }
    if (type === 'list') return input.value.split(',').map((x) => x.trim()).filter(Boolean);
    if (type === 'object') { try { return JSON.parse(input.value); } catch { throw new Error('not valid JSON'); } }
    return input.value;
  };
  return { input, read };
}

function attributesCard(lead) {
  const base = '/leads/' + encodeURIComponent(lead.id) + '/attributes';
  const card = h('section', { class: 'card', 'aria-labelledby': 'attrs-title' }, h('h2', { id: 'attrs-title' }, 'Attributes'));
  const list = h('div', { class: 'attr-list' });
  const reload = async () => {
    const attrs = await guarded(() => api('GET', base));
    if (!attrs) return;
    clear(list);
    const items = Array.isArray(attrs) ? attrs : attrs.attributes;
    if (!items.length) list.append(h('p', { class: 'muted' }, 'No attributes.'));
    for (const a of items) {
      const id = 'attr-' + a.id;
      const ed = attrInput(a.type, a.value, id);
      const err = h('p', { class: 'field-error', role: 'alert' });
      list.append(h('div', { class: 'attr-row', 'data-attr': a.name },
        h('label', { for: id }, a.name, h('span', { class: 'type' }, a.type)), ed.input,
        h('button', { class: 'btn', type: 'button', onclick: async () => {
          err.textContent = '';
          let value;
          try { value = ed.read(); } catch (e) { err.textContent = e.message; return; }
          try { await api('PUT', base + '/' + a.id, { value }); toast(`Attribute ${a.name} saved`); } catch (e) { err.textContent = e.message; }
        } }, 'Save'),
        h('button', { class: 'btn ghost', type: 'button', 'aria-label': 'Delete attribute ' + a.name, onclick: async () => {
          if ((await guarded(() => api('DELETE', base + '/' + a.id))) !== undefined) reload();
        } }, '✕'), err));
    }
  };
  // New attribute: name, type, a value input that follows the type.
  const name = h('input', { type: 'text', id: 'new-attr-name', placeholder: 'industry' });
  const type = h('select', { id: 'new-attr-type' }, ATTR_TYPES.map((t) => h('option', { value: t }, t)));
  const slot = h('span', { class: 'slot' });
  let ed;
  const retype = () => { ed = attrInput(type.value, undefined, 'new-attr-value'); clear(slot).append(ed.input); };
  type.addEventListener('change', retype);
  retype();
  const err = h('p', { class: 'field-error', role: 'alert' });
  const form = h('form', { class: 'attr-new' },
    h('label', { for: 'new-attr-name' }, 'Name'), name,
    h('label', { for: 'new-attr-type' }, 'Type'), type,
    h('label', { for: 'new-attr-value' }, 'Value'), slot,
    h('button', { class: 'btn primary', type: 'submit' }, 'Add attribute'), err);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    let value;
    try { value = ed.read(); } catch (x) { err.textContent = x.message; return; }
    try {
      await api('POST', base, { name: name.value.trim(), type: type.value, value });
      name.value = '';
      retype();
      toast('Attribute added');
      reload();
    } catch (x) { err.textContent = x.message; }
  });
  card.append(list, h('h3', {}, 'Add an attribute'), form);
  reload();
  return card;
}

function scoreCard(lead) {
  const path = '/leads/' + encodeURIComponent(lead.id) + '/score';
  const card = h('section', { class: 'card', 'aria-labelledby': 'score-title' }, h('h2', { id: 'score-title' }, 'Score'));
  const body = h('div');
  const load = async () => {
    const ex = await guarded(() => api('GET', path));
    if (!ex) return;
    clear(body).append(
      h('p', { class: 'score-big' }, scoreChip(ex.score), h('span', { class: 'muted' }, ` stored ${ex.stored_score} · sum before clamping ${ex.total}`)),
      ex.rules.length === 0 ? h('p', { class: 'muted' }, 'No scoring rules yet: ', h('a', { href: '#/rules' }, 'add one')) :
        h('table', { class: 'explain' }, h('caption', { class: 'sr-only' }, 'Score by rule'),
          h('thead', {}, h('tr', {}, ['Rule', 'Value', 'Weight', 'Points'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, ex.rules.map((r) => h('tr', {},
            h('td', {}, r.name, h('code', { class: 'expr' }, r.expression)),
            h('td', {}, r.error ? h('span', { class: 'error-text' }, r.error) : String(r.value)),
            h('td', {}, String(r.weight)), h('td', {}, String(r.contribution)))))));
  };
  card.append(body, h('button', { class: 'btn', type: 'button', onclick: async () => {
    const r = await guarded(() => api('POST', path, {}));
    if (r) { toast('Score recalculated: ' + r.score); load(); }
  } }, 'Recalculate'));
  load();
  return card;
}

async function notesCard(lead) {
  const base = '/leads/' + encodeURIComponent(lead.id) + '/notes';
  const card = h('section', { class: 'card notes', 'aria-labelledby': 'notes-title' }, h('h2', { id: 'notes-title' }, 'Notes'));
  const list = h('ol', { class: 'timeline' });
  const reload = async () => {
    const notes = await guarded(() => api('GET', base));
    if (!notes) return;
    const items = Array.isArray(notes) ? notes : notes.notes;
    clear(list);
    if (!items.length) list.append(h('li', { class: 'muted' }, 'No notes yet.'));
    for (const n of items) list.append(noteItem(n, reload));
  };
  const text = h('textarea', { id: 'new-note', rows: 3, placeholder: 'Called, interested in the Pro plan…' });
  const form = h('form', { class: 'note-new' }, h('label', { for: 'new-note' }, 'Add a note'), text,
    h('button', { class: 'btn primary', type: 'submit' }, 'Add note'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!text.value.trim()) return;
    if (await guarded(() => api('POST', base, { content: text.value }))) { text.value = ''; toast('Note added'); reload(); }
  });
  await reload();
  card.append(form, list);
  return card;
}

function noteItem(n, reload) {
  const content = h('p', { class: 'note-content' }, n.content);
  const li = h('li', { 'data-note': n.id },
    h('div', { class: 'note-head' }, h('time', {}, fmtDate(n.created_at)), n.updated_at !== n.created_at ? h('span', { class: 'muted' }, ` · edited ${fmtDate(n.updated_at)}`) : null,
      h('span', { class: 'note-actions' },
        h('button', { class: 'btn ghost small', type: 'button', onclick: () => edit() }, 'Edit'),
        h('button', { class: 'btn ghost small', type: 'button', onclick: async () => {
          if (await confirmDialog('Delete this note?') && (await guarded(() => api('DELETE', '/notes/' + n.id))) !== undefined) reload();
        } }, 'Delete'))),
    content);
  const edit = () => {
    const id = 'edit-' + n.id;
    const area = h('textarea', { id, rows: 3 }, n.content);
    const form = h('form', { class: 'note-edit' }, h('label', { for: id, class: 'sr-only' }, 'Note text'), area,
      h('button', { class: 'btn primary small', type: 'submit' }, 'Save note'),
      h('button', { class: 'btn ghost small', type: 'button', onclick: () => form.replaceWith(content) }, 'Cancel'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (await guarded(() => api('PUT', '/notes/' + n.id, { content: area.value }))) { toast('Note saved'); reload(); }
    });
    content.replaceWith(form);
    area.focus();
  };
  return li;
}
