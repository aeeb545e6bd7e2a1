// Scoring rules: list, create, edit, delete; the expression compiled as it is typed
// (POST /scoring-rules/check: the compiler's message and column under the field); and
// "recalculate all" with progress, reading the streamed answer of POST /leads/score/batch.
import { api, apiRaw } from './api.js';
import { clear, confirmDialog, field, guarded, h, header, setFieldError, toast } from './dom.js';

export async function renderRules(root, route, isCurrent) {
  const rules = await guarded(() => api('GET', '/scoring-rules'));
  if (!isCurrent() || !rules) return;
  const list = Array.isArray(rules) ? rules : rules.rules;
  const progress = h('progress', { max: 100, value: 0, hidden: true, id: 'rescore-progress', 'aria-label': 'Recalculation progress' });
  const progressText = h('span', { class: 'muted', 'aria-live': 'polite', 'data-rescore-status': '' });
  root.append(header('Scoring rules',
    h('button', { class: 'btn', type: 'button', 'data-recalculate': '', onclick: () => recalculate(progress, progressText) }, 'Recalculate all leads')),
  h('p', { class: 'progress-line' }, progress, progressText),
  h('p', { class: 'muted' }, 'A lead\'s score is the sum of value × weight over the rules, clamped to 0–100. See docs/SCORING.md for the language, e.g. ',
    h('code', {}, 'rating >= 4.5 ? 30 : 0'), ' or ', h('code', {}, 'contains(tags, "vip") ? 40 : 0'), '.'));

  const editor = h('div');
  const table = h('table', { class: 'rules' }, h('caption', { class: 'sr-only' }, 'Scoring rules'),
    h('thead', {}, h('tr', {}, ['Name', 'Expression', 'Weight', 'Priority', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, list.length === 0 ? h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No rules yet.')) :
      list.map((r) => h('tr', { 'data-rule': r.name },
        h('td', {}, r.name), h('td', {}, h('code', {}, r.expression)), h('td', {}, String(r.weight)), h('td', {}, String(r.priority)),
        h('td', { class: 'row-actions' },
          h('button', { class: 'btn small', type: 'button', onclick: () => { clear(editor).append(ruleForm(r)); editor.querySelector('input').focus(); } }, 'Edit'),
          h('button', { class: 'btn ghost small', type: 'button', 'aria-label': 'Delete rule ' + r.name, onclick: async () => {
            if (await confirmDialog(`Delete the rule “${r.name}”? Scores change at the next recalculation.`) &&
                (await guarded(() => api('DELETE', '/scoring-rules/' + r.id))) !== undefined) {
              toast('Rule deleted');
              window.dispatchEvent(new HashChangeEvent('hashchange'));
            }
          } }, 'Delete'))))));
  editor.append(ruleForm(null));
  root.append(h('div', { class: 'card' }, table), editor);
}

function ruleForm(rule) {
  const name = field('Name', h('input', { type: 'text', id: 'rule-name', value: rule ? rule.name : '' }));
  const expr = field('Expression', h('textarea', { id: 'rule-expression', rows: 2, spellcheck: 'false', class: 'mono' }, rule ? rule.expression : ''));
  const weight = field('Weight', h('input', { type: 'text', inputmode: 'decimal', id: 'rule-weight', value: rule ? String(rule.weight) : '1' }));
  const priority = field('Priority', h('input', { type: 'text', inputmode: 'numeric', id: 'rule-priority', value: rule ? String(rule.priority) : '0' }));
  const caret = h('pre', { class: 'caret', 'aria-hidden': 'true' });
  const ok = h('p', { class: 'ok-text', 'data-expression-ok': '' });
  expr.wrap.insertBefore(caret, expr.error);
  expr.wrap.append(ok);
  let timer = 0;
  let seq = 0;
  const check = async () => {
    const mine = ++seq;
    const text = expr.input.value;
    if (!text.trim()) { setFieldError(expr, ''); ok.textContent = ''; caret.textContent = ''; return; }
    const r = await guarded(() => api('POST', '/scoring-rules/check', { expression: text }));
    if (!r || mine !== seq) return;
    setFieldError(expr, r.valid ? '' : r.message);
    ok.textContent = r.valid ? '✓ compiles' : '';
    // A caret under the column the compiler names.
    caret.textContent = !r.valid && r.column ? text.split('\n')[0] + '\n' + ' '.repeat(Math.max(0, r.column - 1)) + '^' : '';
  };
  expr.input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(check, 200); });
  const form = h('form', { class: 'card rule-form', 'aria-label': rule ? 'Edit rule' : 'New rule' },
    h('h2', {}, rule ? `Edit “${rule.name}”` : 'New rule'),
    h('div', { class: 'form-grid' }, name.wrap, weight.wrap, priority.wrap), expr.wrap,
    h('div', { class: 'actions' },
      h('button', { class: 'btn primary', type: 'submit' }, rule ? 'Save rule' : 'Create rule'),
      rule ? h('button', { class: 'btn ghost', type: 'button', onclick: () => form.replaceWith(ruleForm(null)) }, 'Cancel') : null));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const f of [name, expr, weight, priority]) setFieldError(f, '');
    const body = { name: name.input.value, expression: expr.input.value,
      weight: Number(weight.input.value), priority: Number(priority.input.value) };
    try {
      if (rule) await api('PUT', '/scoring-rules/' + rule.id, body);
      else await api('POST', '/scoring-rules', body);
      toast(rule ? 'Rule saved' : 'Rule created');
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (err) {
      if (err.status === 401) return;
      const target = /expression/.test(err.message) ? expr : /weight/.test(err.message) ? weight : /priority/.test(err.message) ? priority : name;
      setFieldError(target, err.message);
    }
  });
  if (rule) setTimeout(check, 0);
  return form;
}

async function recalculate(progress, text) {
  const account = await guarded(() => api('GET', '/account'));
  if (!account) return;
  const total = account.leads_used;
  progress.hidden = false;
  progress.max = Math.max(total, 1);
  progress.value = 0;
  text.textContent = `Recalculating ${total} leads…`;
  await guarded(async () => {
    const res = await apiRaw('POST', '/leads/score/batch', {});
    // The body streams as each chunk of 1,000 leads commits: count the ids as they arrive.
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let seen = 0;
    let tail = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = tail + decoder.decode(value, { stream: true });
      seen += (chunk.match(/"id":/g) || []).length;
      tail = chunk.slice(-5);
      seen -= (tail.match(/"id":/g) || []).length;
      progress.value = Math.min(seen, total);
      text.textContent = `Recalculated ${seen} of ${total}…`;
    }
    progress.value = progress.max;
    text.textContent = `Recalculated all ${total} leads.`;
    toast('Scores recalculated');
  });
}
