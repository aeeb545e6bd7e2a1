// The console's shell: sign-in, navigation, and a hash router whose URL holds the view
// (#/leads?filter=...&sort_by=...&cursor=...), so any view can be bookmarked and shared.
import { api, onUnauthorized, session } from './api.js';
import { clear, field, h, setFieldError } from './dom.js';
import { renderLeads } from './leads.js';
import { renderLead } from './lead.js';
import { renderRules } from './rules.js';
import { renderWebhooks } from './webhooks.js';
import { renderImport } from './import.js';
import { renderDashboard } from './dashboard.js';
import { renderAccount } from './account.js';
import { currentRoute } from './router.js';

const ROUTES = [
  { path: 'dashboard', label: 'Dashboard', render: renderDashboard },
  { path: 'leads', label: 'Leads', render: renderLeads },
  { path: 'rules', label: 'Scoring rules', render: renderRules },
  { path: 'webhooks', label: 'Webhooks', render: renderWebhooks },
  { path: 'import', label: 'Import', render: renderImport },
  { path: 'account', label: 'Account', render: renderAccount },
];

let generation = 0;

async function render() {
  const main = document.getElementById('main');
  const nav = document.getElementById('nav');
  const route = currentRoute();
  if (!session.key || route.name === 'signin') {
    nav.hidden = true;
    renderSignIn(clear(main));
    return;
  }
  nav.hidden = false;
  const active = route.name === 'lead' ? 'leads' : route.name;
  for (const a of nav.querySelectorAll('a[data-route]')) {
    if (a.dataset.route === active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const view = route.name === 'lead' ? { render: renderLead, label: 'Lead' } : ROUTES.find((r) => r.path === route.name);
  const mine = ++generation;
  const started = performance.now();
  const container = h('div', { class: 'view', 'data-view': route.name });
  clear(main).append(container);
  document.title = (view ? view.label : 'Not found') + ' · klozeo';
  if (!view) { container.append(h('h1', {}, 'Not found')); return; }
  // A later navigation supersedes this render: views check isCurrent() after each await.
  try {
    await view.render(container, route, () => mine === generation);
  } catch (e) {
    if (e && e.status !== 401) container.append(h('p', { class: 'error-text', role: 'alert' }, String(e.message || e)));
  } finally {
    if (mine === generation) {
      // How long the view took, API calls included (the end-to-end tests report it).
      main.dataset.viewMs = String(Math.round(performance.now() - started));
      main.setAttribute('data-ready', String(mine));
    }
  }
}

function renderSignIn(main) {
  document.title = 'Sign in · klozeo';
  const key = field('API key', h('input', { type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, placeholder: 'sk_live_…' }),
    'Kept for this tab only (sessionStorage) and sent as the X-API-Key header.');
  const form = h('form', { class: 'signin card', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to klozeo'),
    h('p', { class: 'muted' }, 'Paste the API key that `klozeo serve` printed on its first start (or one from `klozeo keys create`).'),
    key.wrap,
    h('button', { class: 'btn primary', type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    setFieldError(key, '');
    session.set(key.input.value.trim());
    try {
      await api('GET', '/account');
    } catch (err) {
      session.clear();
      setFieldError(key, err.status === 401 ? 'This key is unknown or revoked.' : err.message);
      return;
    }
    const back = sessionStorage.getItem('klozeo.back');
    sessionStorage.removeItem('klozeo.back');
    go(back && !back.startsWith('#/signin') ? back : '#/dashboard');
  });
  main.append(h('div', { class: 'signin-wrap' }, form));
  key.input.focus();
}

function shell() {
  const nav = h('nav', { id: 'nav', 'aria-label': 'Main' },
    h('a', { class: 'brand', href: '#/dashboard' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, 'k'), 'klozeo'),
    h('ul', {}, ROUTES.map((r) => h('li', {}, h('a', { href: '#/' + r.path, 'data-route': r.path }, r.label)))),
    h('button', { class: 'btn ghost signout', type: 'button', onclick: signOut }, 'Sign out'));
  document.body.append(
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    nav,
    h('main', { id: 'main', tabindex: '-1' }),
    h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' }));
}

function signOut() {
  session.clear();
  location.hash = '#/signin';
}

onUnauthorized(() => {
  if (document.querySelector('form.signin')) return;  // the sign-in form reports it itself
  if (currentRoute().name !== 'signin') sessionStorage.setItem('klozeo.back', location.hash);
  go('#/signin');
});

/// Shows `hash`, rendering even when the URL already holds it.
function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

shell();
window.addEventListener('hashchange', render);
render();
