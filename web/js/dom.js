// Building the page: every piece of data reaches it as text (textContent or a text node),
// never as HTML.
const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/// An HTML element: h('a', {href: '#/x', class: 'y'}, 'text', child, ...).
export function h(tag, attrs, ...children) { return build(document.createElement(tag), attrs, children); }
/// An SVG element, likewise.
export function s(tag, attrs, ...children) { return build(document.createElementNS(SVG_NS, tag), attrs, children); }

export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }

let uid = 0;
/// A fresh element id (labels, aria-describedby).
export function nextId(prefix = 'f') { uid += 1; return `${prefix}-${uid}`; }

/// A labelled form field: returns {wrap, input, error}.
export function field(label, input, hint) {
  const id = input.id || nextId();
  input.id = id;
  const error = h('p', { class: 'field-error', id: id + '-error', role: 'alert' });
  input.setAttribute('aria-describedby', id + '-error');
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), input,
    hint ? h('p', { class: 'hint' }, hint) : null, error);
  return { wrap, input, error };
}

export function setFieldError(f, message) {
  f.error.textContent = message || '';
  if (message) f.input.setAttribute('aria-invalid', 'true');
  else f.input.removeAttribute('aria-invalid');
}

const toasts = () => document.getElementById('toasts');
/// A short message at the corner of the screen (role=status, so screen readers hear it).
export function toast(message, kind = 'ok') {
  const t = h('div', { class: 'toast ' + kind }, message);
  const box = toasts();
  while (box.children.length >= 3) box.firstChild.remove();
  box.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

/// Asks for confirmation in a modal dialog; resolves true or false.
export function confirmDialog(message, action = 'Delete') {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'confirm', 'aria-label': 'Confirm' },
      h('p', {}, message),
      h('div', { class: 'actions' },
        h('button', { class: 'btn', type: 'button', onclick: () => dialog.close('no') }, 'Cancel'),
        h('button', { class: 'btn danger', type: 'button', 'data-confirm': '', onclick: () => dialog.close('yes') }, action)));
    dialog.addEventListener('close', () => { resolve(dialog.returnValue === 'yes'); dialog.remove(); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function fmtDate(unix) {
  if (unix === null || unix === undefined) return '';
  return new Date(unix * 1000).toISOString().replace('T', ' ').slice(0, 16);
}

export function fmtNumber(n, digits = 0) {
  if (n === null || n === undefined) return '';
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits });
}

/// A score chip: green from 70, amber from 40, red below.
export function scoreChip(score) {
  const v = Number(score || 0);
  const band = v >= 70 ? 'high' : v >= 40 ? 'mid' : 'low';
  return h('span', { class: 'chip score-' + band, title: 'score ' + v }, fmtNumber(v, 2));
}

export const STATUSES = ['new', 'contacted', 'qualified', 'disqualified', 'converted'];

export function statusPill(status) {
  return h('span', { class: 'pill status-' + (STATUSES.includes(status) ? status : 'new') }, status || '');
}

/// A page heading with optional actions at its right.
export function header(title, ...actions) {
  return h('div', { class: 'page-head' }, h('h1', {}, title), h('div', { class: 'actions' }, actions));
}

/// Saves a Blob as a file through a temporary link.
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, class: 'hidden' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/// Runs an async action, showing its error as a toast; returns its result or undefined.
export async function guarded(fn) {
  try { return await fn(); } catch (e) {
    if (e && e.status !== 401) toast(e.message || String(e), 'error');
    return undefined;
  }
}
