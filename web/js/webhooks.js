// Webhooks: create and edit (URL, events, secret, active), a test ping, the delivery log
// with status codes and attempts, and redelivery.
import { api } from './api.js';
import { clear, confirmDialog, field, fmtDate, guarded, h, header, setFieldError, toast } from './dom.js';
import { navigate } from './router.js';

const EVENTS = ['lead.created', 'lead.updated', 'lead.deleted', 'lead.scored', 'note.created', 'note.updated',
  'note.deleted', 'leads.created', 'leads.updated', 'leads.deleted', 'leads.scored'];

export async function renderWebhooks(root, route, isCurrent) {
  const hooks = await guarded(() => api('GET', '/webhooks'));
  if (!isCurrent() || !hooks) return;
  const list = Array.isArray(hooks) ? hooks : hooks.webhooks;
  const selected = list.find((w) => w.id === route.id);
  root.append(header('Webhooks', selected ? h('a', { class: 'btn', href: '#/webhooks' }, 'New webhook') : null));
  root.append(h('div', { class: 'card' }, h('table', { class: 'hooks' }, h('caption', { class: 'sr-only' }, 'Webhooks'),
    h('thead', {}, h('tr', {}, ['URL', 'Events', 'Secret', 'State', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, list.length === 0 ? h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No webhooks yet.')) :
      list.map((w) => h('tr', { 'data-webhook': w.url, class: w.id === route.id ? 'current' : null },
        h('td', {}, h('a', { href: '#/webhooks/' + w.id }, w.url)),
        h('td', {}, w.events.length ? w.events.join(', ') : 'all events'),
        h('td', {}, w.has_secret ? 'set' : '—'),
        h('td', {}, h('span', { class: 'pill ' + (w.active ? 'status-converted' : 'status-disqualified') }, w.active ? 'active' : 'inactive')),
        h('td', { class: 'row-actions' },
          h('button', { class: 'btn small', type: 'button', 'data-ping': w.url, onclick: () => ping(w) }, 'Send test ping'),
          h('button', { class: 'btn ghost small', type: 'button', 'aria-label': 'Delete webhook ' + w.url, onclick: async () => {
            if (await confirmDialog(`Delete the webhook to ${w.url} and its delivery log?`) &&
                (await guarded(() => api('DELETE', '/webhooks/' + w.id))) !== undefined) { toast('Webhook deleted'); navigate('webhooks'); }
          } }, 'Delete'))))))));
  root.append(webhookForm(selected || null));
  if (selected) root.append(await deliveriesCard(selected, isCurrent));
}

async function ping(w) {
  const d = await guarded(() => api('POST', '/webhooks/' + w.id + '/test', {}));
  if (!d) return;
  toast('Test ping queued');
  navigate('webhooks', w.id, new URLSearchParams({ t: String(Date.now()) }));
}

function webhookForm(w) {
  const url = field('URL', h('input', { type: 'url', id: 'hook-url', value: w ? w.url : '', placeholder: 'https://example.com/hooks/klozeo' }));
  const secret = field('Secret', h('input', { type: 'password', id: 'hook-secret', autocomplete: 'off',
    placeholder: w && w.has_secret ? 'unchanged (write a new one to replace it)' : 'optional: signs each delivery' }));
  const active = h('input', { type: 'checkbox', id: 'hook-active', checked: w ? w.active : true });
  const boxes = EVENTS.map((e) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: e, checked: w ? w.events.includes(e) : false }), e));
  const eventsError = h('p', { class: 'field-error', role: 'alert' });
  const form = h('form', { class: 'card', 'aria-label': w ? 'Edit webhook' : 'New webhook' },
    h('h2', {}, w ? 'Edit webhook' : 'New webhook'), url.wrap,
    h('fieldset', { class: 'events' }, h('legend', {}, 'Events (none checked: every event)'), boxes), eventsError,
    secret.wrap,
    h('label', { class: 'check' }, active, 'Active'),
    h('div', { class: 'actions' }, h('button', { class: 'btn primary', type: 'submit' }, w ? 'Save webhook' : 'Create webhook')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    setFieldError(url, ''); setFieldError(secret, ''); eventsError.textContent = '';
    const body = { url: url.input.value.trim(), events: boxes.map((b) => b.firstChild).filter((i) => i.checked).map((i) => i.value), active: active.checked };
    if (secret.input.value !== '') body.secret = secret.input.value;
    try {
      const saved = w ? await api('PUT', '/webhooks/' + w.id, body) : await api('POST', '/webhooks', body);
      toast(w ? 'Webhook saved' : 'Webhook created');
      navigate('webhooks', saved.id);
    } catch (err) {
      if (err.status === 401) return;
      if (/event/.test(err.message)) eventsError.textContent = err.message;
      else if (/secret/.test(err.message)) setFieldError(secret, err.message);
      else setFieldError(url, err.message);
    }
  });
  return form;
}

async function deliveriesCard(w, isCurrent) {
  const card = h('section', { class: 'card', 'aria-labelledby': 'deliveries-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'deliveries-title' }, 'Delivery log'),
      h('button', { class: 'btn small', type: 'button', 'data-refresh-deliveries': '', onclick: () => load() }, 'Refresh')));
  const body = h('div');
  card.append(body);
  const load = async () => {
    const r = await guarded(() => api('GET', '/webhooks/' + w.id + '/deliveries?limit=50'));
    if (!r || !isCurrent()) return;
    clear(body);
    if (!r.deliveries.length) { body.append(h('p', { class: 'muted' }, 'No deliveries yet.')); return; }
    body.append(h('table', { class: 'deliveries' }, h('caption', { class: 'sr-only' }, 'Deliveries, newest first'),
      h('thead', {}, h('tr', {}, ['Event', 'State', 'Attempts', 'Created', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, r.deliveries.map((d) => h('tr', { 'data-delivery': d.event, 'data-state': d.state },
        h('td', {}, d.event),
        h('td', {}, h('span', { class: 'pill delivery-' + d.state }, d.state)),
        h('td', {}, h('ol', { class: 'attempts' }, d.attempts.map((a) => h('li', {},
          `#${a.attempt} · `, h('span', { class: 'status-code' }, a.status_code === null ? 'no answer' : 'HTTP ' + a.status_code),
          ` · ${a.duration_ms} ms`, a.error ? h('span', { class: 'error-text' }, ' · ' + a.error) : null)))),
        h('td', {}, fmtDate(d.created_at)),
        h('td', {}, h('button', { class: 'btn small', type: 'button', onclick: async () => {
          if (await guarded(() => api('POST', `/webhooks/${w.id}/deliveries/${d.id}/redeliver`, {}))) { toast('Redelivery queued'); setTimeout(load, 800); }
        } }, 'Redeliver')))))));
  };
  await load();
  return card;
}
