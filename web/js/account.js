// The account: plan, leads used against the cap, rate-limit headroom (the X-RateLimit-*
// headers of the last answer), and this account's API keys: listed, created (the secret shown
// once) and revoked. The key in use cannot revoke itself.
import { api, rate, session } from './api.js';
import { clear, confirmDialog, fmtDate, fmtNumber, guarded, h, header, toast } from './dom.js';

const UNLIMITED = 1000000000;

export async function renderAccount(root, route, isCurrent) {
  const account = await guarded(() => api('GET', '/account'));
  if (!isCurrent() || !account) return;
  const l = account.limits;
  const cap = l.max_leads;
  const usage = cap ? h('div', { class: 'usage' },
    h('label', { for: 'leads-meter' }, 'Leads stored'),
    h('meter', { id: 'leads-meter', min: 0, max: cap, value: account.leads_used, high: cap * 0.9 }),
    h('span', { 'data-usage': '' }, `${fmtNumber(account.leads_used)} of ${fmtNumber(cap)}`)) :
    h('div', { class: 'usage' }, h('strong', {}, 'Leads stored'),
      h('span', { 'data-usage': '' }, `${fmtNumber(account.leads_used)} (this plan has no cap)`));
  const limited = rate.limit !== null && rate.limit < UNLIMITED;
  root.append(header('Account', h('button', { class: 'btn', type: 'button', onclick: () => { session.clear(); location.hash = '#/signin'; } }, 'Sign out')),
    h('div', { class: 'kpis' },
      h('div', { class: 'kpi card' }, h('span', { class: 'kpi-label' }, 'Plan'), h('strong', { 'data-plan': '' }, account.plan)),
      h('div', { class: 'kpi card' }, h('span', { class: 'kpi-label' }, 'Requests left in this window'),
        h('strong', { 'data-rate': '' }, limited ? `${fmtNumber(rate.remaining)} of ${fmtNumber(rate.limit)}` : 'no limit'),
        h('span', { class: 'muted' }, l.requests_per_window ? `window of ${l.window_seconds} s` : '')),
      h('div', { class: 'kpi card' }, h('span', { class: 'kpi-label' }, 'Batch size'), h('strong', {}, fmtNumber(l.max_batch)))),
    h('section', { class: 'card' }, h('h2', {}, 'Usage'), usage));

  const keys = h('section', { class: 'card', 'aria-labelledby': 'keys-title' });
  root.append(keys);
  const shown = h('div', { 'aria-live': 'polite' });
  const load = async () => {
    const r = await guarded(() => api('GET', '/keys'));
    if (!r || !isCurrent()) return;
    clear(keys).append(
      h('div', { class: 'card-head' }, h('h2', { id: 'keys-title' }, 'API keys'),
        h('button', { class: 'btn primary', type: 'button', 'data-create-key': '', onclick: async () => {
          const k = await guarded(() => api('POST', '/keys', {}));
          if (!k) return;
          clear(shown).append(h('div', { class: 'notice' },
            h('p', {}, h('strong', {}, 'New key — copy it now: it is not shown again.')),
            h('code', { class: 'secret', 'data-new-key': '' }, k.key), ' ',
            h('button', { class: 'btn small', type: 'button', onclick: () => navigator.clipboard.writeText(k.key).then(() => toast('Copied')) }, 'Copy')));
          load();
        } }, 'Create key')),
      shown,
      h('table', { class: 'keys' }, h('caption', { class: 'sr-only' }, 'API keys of this account'),
        h('thead', {}, h('tr', {}, ['Key', 'Created', 'State', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, r.keys.map((k) => h('tr', { 'data-key': k.prefix },
          h('td', {}, h('code', {}, k.prefix + '…'), k.current ? h('span', { class: 'pill status-qualified' }, 'this tab') : null),
          h('td', {}, fmtDate(k.created_at)),
          h('td', {}, k.revoked_at ? `revoked ${fmtDate(k.revoked_at)}` : 'active'),
          h('td', {}, k.revoked_at ? null : h('button', { class: 'btn ghost small', type: 'button', disabled: k.current,
            title: k.current ? 'The key in use cannot revoke itself' : null, 'aria-label': 'Revoke key ' + k.prefix, onclick: async () => {
              if (await confirmDialog(`Revoke the key ${k.prefix}…? Programs using it stop working.`, 'Revoke') &&
                  (await guarded(() => api('DELETE', '/keys/' + k.id))) !== undefined) { toast('Key revoked'); load(); }
            } }, 'Revoke')))))));
  };
  await load();
}
