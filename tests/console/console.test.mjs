// The web console end to end, in real headless Chromium (Debian's /usr/bin/chromium driven by
// puppeteer-core) against the real `klozeo` binary on a fresh SQLite file (or a fresh
// PostgreSQL database with KLOZEO_TEST_BACKEND=postgres). Each flow of issue #14 is one test;
// they run in order on one server and one browser tab. Screenshots of every page go to
// $KLOZEO_CONSOLE_OUT/screenshots (docs/console/ holds the committed ones: see docs/CONSOLE.md).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
const BINARY = process.env.KLOZEO_BINARY || path.resolve('../../build/release/klozeo');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const OUT = process.env.KLOZEO_CONSOLE_OUT || path.join(os.tmpdir(), 'klozeo-console-test');
const SHOTS = process.env.KLOZEO_CONSOLE_SCREENSHOTS || path.join(OUT, 'screenshots');
const POSTGRES = process.env.KLOZEO_TEST_BACKEND === 'postgres';
if (POSTGRES && !process.env.KLOZEO_TEST_PG_DSN) {
  console.log('KLOZEO_TEST_BACKEND=postgres but KLOZEO_TEST_PG_DSN is not set: skipping');
  process.exit(0);
}

const KEY = 'sk_live_' + crypto.randomBytes(16).toString('hex');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'klozeo-console-'));
const downloads = path.join(tmp, 'downloads');
fs.mkdirSync(downloads);
fs.mkdirSync(SHOTS, { recursive: true });

let server; let base; let browser; let page; let pgName; let dsnAdmin;
const receiver = { server: null, url: '', requests: [] };
const dialogs = [];
const pageErrors = [];
const measured = {};

// ---------- helpers ----------

/// The REST API as a test client (Node's fetch), with a key.
async function rest(method, p, body, key = KEY) {
  const res = await fetch(base + '/api/v1' + p, {
    method, headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

async function go(hash) {
  const ready = await page.$eval('#main', (m) => m.dataset.ready || '0').catch(() => '0');
  await page.evaluate((h) => {
    if (location.hash === h) window.dispatchEvent(new HashChangeEvent('hashchange'));
    else location.hash = h;
  }, hash);
  await waitReady(ready);
}

/// Waits until the view rendered after `previous` (each render bumps #main[data-ready]).
async function waitReady(previous) {
  await page.waitForFunction((p) => {
    const m = document.getElementById('main');
    return m && m.dataset.ready && m.dataset.ready !== p;
  }, { timeout: 15000 }, previous);
}

async function readyMark() { return page.$eval('#main', (m) => m.dataset.ready || '0'); }

/// Clicks and waits for the next render of the view.
async function clickAndRender(selector) {
  const r = await readyMark();
  await page.click(selector);
  await waitReady(r);
}

async function shot(name) {
  await page.evaluate(() => { for (const t of document.querySelectorAll('#toasts .toast')) t.remove(); });
  await new Promise((r) => setTimeout(r, 150));  // let charts and focus rings settle
  await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: false });
}

async function texts(selector) { return page.$$eval(selector, (els) => els.map((e) => e.textContent.trim())); }

async function setValue(selector, value) {
  await page.$eval(selector, (el) => { el.value = ''; });
  await page.type(selector, value);
}

async function waitForText(selector, text, timeout = 15000) {
  await page.waitForFunction((s, t) => [...document.querySelectorAll(s)].some((e) => e.textContent.includes(t)),
    { timeout }, selector, text);
}

async function waitForFile(name, timeout = 15000) {
  const file = path.join(downloads, name);
  const until = Date.now() + timeout;
  while (Date.now() < until) {
    if (fs.existsSync(file) && !fs.existsSync(file + '.crdownload')) {
      const data = fs.readFileSync(file, 'utf8');
      if (data.length) return data;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no download ' + name);
}

async function axe(label) {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern (the page
  // itself still cannot run inline script).
  await page.evaluate(fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const serious = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious, [], `${label}: serious accessibility violations: ${JSON.stringify(serious, null, 1)}`);
  return result;
}

function startReceiver() {
  return new Promise((resolve) => {
    receiver.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        receiver.requests.push({ headers: req.headers, body });
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
      });
    });
    receiver.server.listen(0, '127.0.0.1', () => {
      receiver.url = `http://127.0.0.1:${receiver.server.address().port}/hook`;
      resolve();
    });
  });
}

function databaseUrl() {
  if (!POSTGRES) return 'sqlite:' + path.join(tmp, 'console.db');
  dsnAdmin = process.env.KLOZEO_TEST_PG_DSN;
  pgName = 'klozeo_console_' + crypto.randomBytes(6).toString('hex');
  execFileSync('psql', [dsnAdmin, '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${pgName}`]);
  const u = new URL(dsnAdmin);
  u.pathname = '/' + pgName;
  return u.toString();
}

function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(BINARY, ['serve', '--listen', '127.0.0.1:0', '--db', databaseUrl(),
      '--webhook-allow-private', '--webhook-retry-base-ms', '300', '--webhook-poll-ms', '100'],
    { env: { ...process.env, KLOZEO_BOOTSTRAP_KEY: KEY }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const log = fs.createWriteStream(path.join(OUT, 'server.log'));
    server.stderr.pipe(log);
    server.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m && !base) { base = m[1]; resolve(); }
    });
    server.on('exit', (code) => { if (!base) reject(new Error('klozeo exited ' + code + ': ' + out)); });
  });
}

// ---------- set-up ----------

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  await startServer();
  await startReceiver();
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    defaultViewport: { width: 1440, height: 900 },
  });
  page = await browser.newPage();
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/401|404|Failed to load resource/.test(m.text())) pageErrors.push(m.text()); });
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
});

after(async () => {
  if (browser) await browser.close();
  if (receiver.server) receiver.server.close();
  if (server) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  if (pgName) execFileSync('psql', [dsnAdmin, '-qc', `DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`]);
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log('measured: ' + JSON.stringify(measured));
  fs.writeFileSync(path.join(OUT, 'measurements.json'), JSON.stringify(measured, null, 2) + '\n');
});

// ---------- flows ----------

test('first load: small, compressed, strict CSP, no inline script', async () => {
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  let bytes = 0;
  const encodings = [];
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
  cdp.on('Network.responseReceived', (e) => {
    if (e.response.url.includes('/assets/')) encodings.push(e.response.headers['content-encoding'] || e.response.headers['Content-Encoding']);
  });
  const res = await page.goto(base + '/', { waitUntil: 'networkidle0' });
  await page.waitForSelector('form.signin');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
  await cdp.detach();
  const h = res.headers();
  assert.match(h['content-security-policy'], /default-src 'self'/);
  assert.match(h['content-security-policy'], /frame-ancestors 'none'/);
  assert.doesNotMatch(h['content-security-policy'], /unsafe-inline|unsafe-eval/);
  assert.equal(h['x-content-type-options'], 'nosniff');
  assert.equal(h['cache-control'], 'no-cache');
  assert.ok(encodings.length >= 10, 'the modules were loaded: ' + encodings.length);
  assert.ok(encodings.every((e) => e === 'gzip'), 'every asset gzip: ' + encodings.join(','));
  assert.equal(await page.$$eval('script:not([src])', (s) => s.length), 0, 'no inline script');
  measured.first_load_bytes = bytes;
  assert.ok(bytes < 250 * 1024, `first load ${bytes} bytes, must be < 250 KB`);
  await shot('signin');
  await axe('sign-in');
});

test('sign in: a wrong key is refused at the field, the right one opens the console', async () => {
  await page.type('form.signin input', 'sk_live_' + '0'.repeat(32));
  await page.click('form.signin button[type=submit]');
  await waitForText('.field-error', 'unknown or revoked');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('klozeo.key')), null);
  await setValue('form.signin input', KEY);
  const r = await readyMark();
  await page.click('form.signin button[type=submit]');
  await waitReady(r);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('klozeo.key')), KEY);
  assert.ok(!page.url().includes(KEY), 'the key is never in the URL');
  assert.match(page.url(), /#\/dashboard/);
});

test('create and edit a lead with attributes and a note', async () => {
  await go('#/lead/new');
  await page.type('input[name=name]', 'Acme Robotics');
  await page.type('input[name=source]', 'console');
  await page.type('input[name=email]', 'hello@acme.test');
  await page.type('input[name=city]', 'Paris');
  await page.type('input[name=latitude]', '123');  // out of range: the API says so at the field
  await page.click('form.lead-form button[type=submit]');
  await waitForText('.field-error', 'latitude');
  const invalid = await page.$eval('input[name=latitude]', (i) => i.getAttribute('aria-invalid'));
  assert.equal(invalid, 'true');
  await setValue('input[name=latitude]', '48.85');
  await page.type('input[name=longitude]', '2.35');
  await page.type('input[name=rating]', '4.6');
  await page.type('input[name=tags]', 'vip, robots');
  let r = await readyMark();
  await page.click('form.lead-form button[type=submit]');
  await waitReady(r);
  const id = decodeURIComponent(page.url().split('#/lead/')[1].split('?')[0]);
  assert.match(id, /.+/);

  // A text and a number attribute through the typed editor.
  await page.type('#new-attr-name', 'industry');
  await page.type('#new-attr-value', 'Industrial robots');
  await page.click('form.attr-new button[type=submit]');
  await page.waitForSelector('[data-attr=industry]');
  await page.type('#new-attr-name', 'employees');
  await page.select('#new-attr-type', 'number');
  await page.type('#new-attr-value', '42');
  await page.click('form.attr-new button[type=submit]');
  await page.waitForSelector('[data-attr=employees]');
  // A note, then edited.
  await page.type('#new-note', 'First call: wants a demo.');
  await page.click('form.note-new button[type=submit]');
  await waitForText('.note-content', 'wants a demo');
  await page.click('[data-note] .note-actions button');
  await page.waitForSelector('form.note-edit textarea');
  await page.$eval('form.note-edit textarea', (t) => { t.value = ''; });
  await page.type('form.note-edit textarea', 'First call: wants a demo on Friday.');
  await page.click('form.note-edit button[type=submit]');
  await waitForText('.note-content', 'on Friday');
  // Edit a field.
  await setValue('input[name=city]', 'Lyon');
  r = await readyMark();
  await page.click('form.lead-form button[type=submit]');
  await waitReady(r);
  await shot('lead');

  const lead = (await rest('GET', '/leads/' + id)).body;
  assert.equal(lead.city, 'Lyon');
  assert.equal(lead.latitude, 48.85);
  assert.deepEqual(lead.tags, ['vip', 'robots']);
  const attrs = Object.fromEntries(lead.attributes.map((a) => [a.name, a]));
  assert.deepEqual(attrs.industry, { ...attrs.industry, type: 'text', value: 'Industrial robots' });
  assert.deepEqual(attrs.employees, { ...attrs.employees, type: 'number', value: 42 });
  const notes = (await rest('GET', `/leads/${id}/notes`)).body;
  assert.equal(notes.length, 1);
  assert.equal(notes[0].content, 'First call: wants a demo on Friday.');
  await axe('lead page');
});

const CITIES = ['Paris', 'Berlin', 'Madrid', 'Rome'];
test('seed: 60 leads through the batch API', async () => {
  const leads = [];
  for (let i = 0; i < 60; i++) {
    leads.push({ name: `Seed ${String(i).padStart(2, '0')}`, source: i % 3 ? 'website' : 'referral',
      city: CITIES[i % 4], rating: (i % 5) + 1, review_count: i, tags: i % 4 === 0 ? ['vip'] : ['cold'],
      status: ['new', 'contacted', 'qualified'][i % 3], attributes: [{ name: 'employees', type: 'number', value: i * 10 }] });
  }
  const r = await rest('POST', '/leads/batch', { leads });
  assert.equal(r.status, 201, JSON.stringify(r.body));
});

test('a possible duplicate (same name and city) is linked from the new lead', async () => {
  const original = (await rest('GET', '/leads?filter=and.eq.name.Seed%2001&limit=1')).body.leads[0];
  await go('#/lead/new');
  await page.type('input[name=name]', 'seed 01');
  await page.type('input[name=source]', 'console');
  await page.type('input[name=city]', 'BERLIN');
  const r = await readyMark();
  await page.click('form.lead-form button[type=submit]');
  await waitReady(r);
  await page.waitForSelector('[data-duplicate] a');
  const copy = decodeURIComponent(page.url().split('#/lead/')[1].split('?')[0]);
  assert.notEqual(copy, original.id);  // a hint, not a merge: a new lead was created
  await clickAndRender('[data-duplicate] a');
  assert.equal(decodeURIComponent(page.url().split('#/lead/')[1]), original.id);
  assert.equal(await page.$eval('.page-head h1', (e) => e.textContent), 'Seed 01');
  assert.equal((await rest('DELETE', '/leads/' + copy)).status, 204);  // keeps the 60 seeds alone
});

test('filter with several operators, shown as the API query', async () => {
  await go('#/leads');
  await page.click('details.filters summary');
  const addRow = async (field, op, value, logic = 'and', attr = '') => {
    await page.click('[data-add-filter]');
    const row = (await page.$$('.filter-row')).at(-1);
    await (await row.$('[data-part=logic]')).select(logic);
    await (await row.$('[data-part=field]')).select(field);
    if (attr) await (await row.$('[data-part=attr]')).type(attr);
    await (await row.$('[data-part=op]')).select(op);
    if (value !== null) await (await row.$('[data-part=value]')).type(value);
  };
  await addRow('city', 'in', 'paris,berlin');
  await addRow('rating', 'gte', '3');
  await addRow('tags', 'array_contains', 'vip');
  await addRow('attr:', 'lt', '500', 'and', 'employees');
  await addRow('name', 'starts_with', 'seed');
  const preview = await page.$eval('[data-filter-preview]', (c) => c.textContent);
  assert.equal(preview, 'filter=and.in.city.paris,berlin&filter=and.gte.rating.3&filter=and.array_contains.tags.vip&filter=and.lt.attr:employees.500&filter=and.starts_with.name.seed');
  await clickAndRender('[data-apply-filters]');
  const filters = ['and.in.city.paris,berlin', 'and.gte.rating.3', 'and.array_contains.tags.vip', 'and.lt.attr:employees.500', 'and.starts_with.name.seed'];
  const qs = filters.map((f) => 'filter=' + encodeURIComponent(f)).join('&');
  const expected = (await rest('GET', '/leads?limit=1000&sort_by=created_at&sort_order=DESC&' + qs)).body.leads.map((l) => l.name);
  assert.ok(expected.length > 0 && expected.length < 60, 'the filters narrow: ' + expected.length);
  assert.deepEqual(await texts('.leads .body .row[data-id] .cell:nth-child(2)'), expected);
  // The URL holds the view: reloading it shows the same rows.
  const url = page.url();
  assert.match(decodeURIComponent(url), /filter=and\.array_contains\.tags\.vip/);
  await page.reload({ waitUntil: 'networkidle0' });
  await page.waitForSelector('.leads .body');
  assert.deepEqual(await texts('.leads .body .row[data-id] .cell:nth-child(2)'), expected);
  await shot('leads-filtered');
  // Or-logic: Madrid or Rome.
  await go('#/leads?filter=or.eq.city.Madrid&filter=or.eq.city.Rome&limit=100');
  const cities = new Set(await texts('.leads .body .row[data-id] .cell:nth-child(4)'));
  assert.deepEqual([...cities].sort(), ['Madrid', 'Rome']);
  // Geo radius through the builder: only the lead created at 48.85,2.35 is within 10 km.
  await go('#/leads');
  await page.click('details.filters summary');
  await addRow('location', 'within_radius', '48.86,2.34,10');
  assert.equal(await page.$eval('[data-filter-preview]', (c) => c.textContent), 'filter=and.within_radius.location.48.86,2.34,10');
  await clickAndRender('[data-apply-filters]');
  assert.deepEqual(await texts('.leads .body .row[data-id] .cell:nth-child(2)'), ['Acme Robotics']);
});

test('sort by clicking headers, and by an attribute column', async () => {
  await go('#/leads?filter=and.starts_with.name.Seed&limit=100');
  await clickAndRender('[data-sort=name]');
  let names = await texts('.leads .body .row[data-id] .cell:nth-child(2)');
  assert.equal(names.length, 60);
  assert.deepEqual(names, [...names].sort());
  assert.match(page.url(), /sort_by=name&sort_order=ASC/);
  await clickAndRender('[data-sort=name]');
  names = await texts('.leads .body .row[data-id] .cell:nth-child(2)');
  assert.deepEqual(names, [...names].sort().reverse());
  // With the keyboard: a header is a button.
  await page.focus('[data-sort=city]');
  const r = await readyMark();
  await page.keyboard.press('Enter');
  await waitReady(r);
  assert.match(page.url(), /sort_by=city&sort_order=ASC/);
  assert.equal(await page.$eval('[aria-sort]', (e) => e.getAttribute('aria-sort')), 'ascending');
  // An attribute column from the picker, then sorted by it.
  await go('#/leads?filter=and.starts_with.name.Seed&limit=100&cols=name,city,attr:employees');
  await clickAndRender('[data-sort="attr:employees"]');
  const employees = (await texts('.leads .body .row[data-id] .cell:nth-child(4)')).map(Number);
  assert.deepEqual(employees, [...employees].sort((a, b) => a - b));
  assert.equal(employees[0], 0);
});

test('page forward and back with keyset cursors', async () => {
  await go('#/leads?filter=and.starts_with.name.Seed&sort_by=name&sort_order=ASC&limit=25');
  const page1 = await texts('.leads .body .row[data-id] .cell:nth-child(2)');
  assert.equal(page1.length, 25);
  assert.equal(await page.$eval('[data-page=prev]', (b) => b.disabled), true);
  await clickAndRender('[data-page=next]');
  const page2 = await texts('.leads .body .row[data-id] .cell:nth-child(2)');
  assert.equal(page2[0], 'Seed 25');
  await clickAndRender('[data-page=next]');
  const page3 = await texts('.leads .body .row[data-id] .cell:nth-child(2)');
  assert.equal(page3.length, 10);
  assert.equal(await page.$eval('[data-page=next]', (b) => b.disabled), true);
  await clickAndRender('[data-page=prev]');
  assert.deepEqual(await texts('.leads .body .row[data-id] .cell:nth-child(2)'), page2);
  await clickAndRender('[data-page=prev]');
  assert.deepEqual(await texts('.leads .body .row[data-id] .cell:nth-child(2)'), page1);
  assert.equal(await page.$eval('[data-page=prev]', (b) => b.disabled), true);
  await shot('leads');
  await axe('leads');
});

test('batch change: status of selected rows, then a confirmed delete', async () => {
  await go('#/leads?filter=and.starts_with.name.Seed&sort_by=name&sort_order=ASC&limit=25');
  const ids = await page.$$eval('.leads .body .row[data-id]', (rows) => rows.slice(0, 5).map((r) => r.dataset.id));
  for (const id of ids.slice(0, 3)) await page.click(`.row[data-id="${id}"] input[type=checkbox]`);
  await page.waitForSelector('.batch-bar:not([hidden])');
  await page.select('#batch-status', 'converted');
  await clickAndRender('[data-batch=status]');
  for (const id of ids.slice(0, 3)) assert.equal((await rest('GET', '/leads/' + id)).body.status, 'converted');
  assert.equal((await rest('GET', '/leads/' + ids[3])).body.status, 'new');
  // Delete two, confirming in the dialog.
  for (const id of ids.slice(3, 5)) await page.click(`.row[data-id="${id}"] input[type=checkbox]`);
  await page.click('[data-batch=delete]');
  await page.waitForSelector('dialog.confirm[open]');
  await shot('batch-delete-confirm');
  await clickAndRender('dialog.confirm [data-confirm]');
  for (const id of ids.slice(3, 5)) assert.equal((await rest('GET', '/leads/' + id)).status, 404);
});

test('a scoring rule with a syntax error, fixed, then every lead recalculated', async () => {
  await go('#/rules');
  await page.type('#rule-name', 'Well rated');
  await page.type('#rule-expression', 'rating >= 4 ? 80');
  await page.waitForFunction(() => document.querySelector('#rule-expression').getAttribute('aria-invalid') === 'true', { timeout: 10000 });
  const message = await page.$eval('#rule-expression-error', (e) => e.textContent);
  assert.match(message, /invalid expression: .*column \d+/);
  assert.match(await page.$eval('pre.caret', (p) => p.textContent), /\^$/);
  await shot('rules-error');
  await page.type('#rule-expression', ' : 10');
  await waitForText('[data-expression-ok]', 'compiles');
  await clickAndRender('form.rule-form button[type=submit]');
  await page.waitForSelector('tr[data-rule="Well rated"]');
  // Leads stored before the rule keep their score until recalculated.
  const five = (await rest('GET', '/leads?filter=and.eq.rating.5&filter=and.starts_with.name.Seed&limit=1')).body.leads[0];
  assert.equal(five.score, 0);
  await page.click('[data-recalculate]');
  await waitForText('[data-rescore-status]', 'Recalculated all');
  assert.equal(await page.$eval('#rescore-progress', (p) => p.value === p.max), true);
  assert.equal((await rest('GET', '/leads/' + five.id)).body.score, 80);
  const one = (await rest('GET', '/leads?filter=and.eq.rating.1&limit=1')).body.leads[0];
  assert.equal(one.score, 10);
  await shot('rules');
  await axe('rules');
});

test('a webhook test ping reaches a loopback receiver and shows in the delivery log', async () => {
  await go('#/webhooks');
  await page.type('#hook-url', receiver.url);
  await page.type('#hook-secret', 'shh');
  await page.click('fieldset.events input[value="lead.created"]');
  await clickAndRender('form[aria-label="New webhook"] button[type=submit]');
  await page.waitForSelector(`[data-ping="${receiver.url}"]`);
  await clickAndRender(`[data-ping="${receiver.url}"]`);
  const until = Date.now() + 20000;
  while (!receiver.requests.some((r) => r.headers['x-klozeo-event'] === 'ping') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  const ping = receiver.requests.find((r) => r.headers['x-klozeo-event'] === 'ping');
  assert.ok(ping, 'the receiver got the ping');
  const expected = crypto.createHmac('sha256', 'shh').update(ping.body).digest('hex');
  assert.equal(ping.headers['x-klozeo-signature'], expected);
  // The log shows it delivered with the receiver's status code.
  for (let i = 0; i < 50; i++) {
    await page.click('[data-refresh-deliveries]');
    await new Promise((r) => setTimeout(r, 300));
    if (await page.$('tr[data-delivery=ping][data-state=delivered]')) break;
  }
  await page.waitForSelector('tr[data-delivery=ping][data-state=delivered]');
  assert.match(await page.$eval('tr[data-delivery=ping] .status-code', (e) => e.textContent), /HTTP 200/);
  // Redeliver: the same delivery (same X-Klozeo-Delivery and body) arrives again.
  await page.click('tr[data-delivery=ping] td:last-child button');
  const until2 = Date.now() + 20000;
  while (receiver.requests.filter((r) => r.headers['x-klozeo-event'] === 'ping').length < 2 && Date.now() < until2) await new Promise((r) => setTimeout(r, 100));
  const pings = receiver.requests.filter((r) => r.headers['x-klozeo-event'] === 'ping');
  assert.equal(pings.length, 2);
  assert.equal(pings[1].headers['x-klozeo-delivery'], pings[0].headers['x-klozeo-delivery']);
  assert.equal(pings[1].body, pings[0].body);
  await waitForText('tr[data-delivery=ping] .attempts', '#2');
  await shot('webhooks');
  await axe('webhooks');
});

test('CSV import with one bad row: progress, summary, failed rows downloaded', async () => {
  const csv = 'name,source,city,rating,tags,attr:plan\r\n' +
    'Import One,csv,Oslo,4.5,a;b,pro\r\n' +
    '"Import, Two",csv,Oslo,3,,free\r\n' +
    'Import Bad,csv,Oslo,not-a-number,,free\r\n' +
    'Import Four,csv,Bergen,5,vip,pro\r\n';
  const file = path.join(tmp, 'import.csv');
  fs.writeFileSync(file, csv);
  await go('#/import');
  const input = await page.$('#import-file');
  await input.uploadFile(file);
  await page.waitForSelector('[data-start-import]');
  assert.equal(await page.$eval('select[data-column=rating]', (s) => s.value), 'rating');
  assert.equal(await page.$eval('select[data-column="attr:plan"]', (s) => s.value), 'attr:plan');
  assert.deepEqual((await texts('table.preview tbody tr td:first-child')).slice(0, 2), ['Import One', 'Import, Two']);
  await shot('import-mapping');
  await page.click('[data-start-import]');
  await waitForText('[data-import-status]', 'Done');
  assert.equal(await page.$eval('[data-import-status]', (e) => e.textContent), 'Done: 4 rows, 3 created, 1 failed.');
  assert.equal(await page.$eval('#import-progress', (p) => p.value), 4);
  assert.match(await page.$eval('table.failed tbody', (t) => t.textContent), /rating/);
  await page.click('[data-download-failed]');
  const failed = await waitForFile('import.failed.csv');
  const lines = failed.trim().split(/\r\n/);
  assert.equal(lines[0], 'error,name,source,city,rating,tags,attr:plan');
  assert.equal(lines.length, 2);
  assert.match(lines[1], /rating.*Import Bad,csv,Oslo,not-a-number,,free$/);
  const imported = (await rest('GET', '/leads?filter=and.starts_with.name.Import&sort_by=name&limit=10')).body.leads;
  assert.deepEqual(imported.map((l) => l.name), ['Import Four', 'Import One', 'Import, Two']);
  const one = imported.find((l) => l.name === 'Import One');
  assert.deepEqual(one.tags, ['a', 'b']);
  assert.deepEqual(one.attributes.map((a) => [a.name, a.type, a.value]), [['plan', 'text', 'pro']]);
  await shot('import');
  await axe('import');
});

test('export the current view as CSV and JSON downloads', async () => {
  await go('#/leads?filter=and.eq.city.Oslo&sort_by=name&sort_order=ASC');
  await page.click('[data-export=csv]');
  const csv = await waitForFile('leads.csv');
  const rows = csv.trim().split(/\r\n/);
  assert.match(rows[0], /^id,name,source,/);
  assert.equal(rows.length, 3);  // header + the two Oslo leads imported
  assert.match(rows[1], /Import One/);
  await page.click('[data-export=json]');
  const json = JSON.parse(await waitForFile('leads.json'));
  assert.deepEqual(json.map((l) => l.name), ['Import One', 'Import, Two']);
  await page.click('[data-export=xlsx]');
  await waitForFile('leads.xlsx');
  assert.equal(fs.readFileSync(path.join(downloads, 'leads.xlsx')).subarray(0, 2).toString('latin1'), 'PK');
});

test('an XSS payload in lead data renders as inert text', async () => {
  const payload = '<img src=x onerror=alert(1)>';
  const created = await rest('POST', '/leads', { name: payload, source: '<script>alert(2)</script>', city: '"><svg onload=alert(3)>',
    tags: ['<b>x</b>'], attributes: [{ name: 'html', type: 'text', value: '<iframe src=javascript:alert(4)>' }] });
  assert.equal(created.status, 201);
  await rest('POST', `/leads/${created.body.id}/notes`, { content: '<script>alert(5)</script>' });
  await go('#/leads?filter=and.eq.name.' + encodeURIComponent(payload) + '&cols=name,source,city,tags,attr:html');
  assert.deepEqual(await texts('.leads .body .row[data-id] .cell:nth-child(2)'), [payload]);
  await go('#/lead/' + created.body.id);
  await waitForText('.note-content', '<script>');
  assert.equal(await page.$eval('.page-head h1', (e) => e.textContent), payload);
  const injected = await page.evaluate(() => document.querySelectorAll('main img, main script, main iframe, main svg:not(.chart) , main b').length);
  assert.equal(injected, 0, 'no element was created from lead data');
  assert.deepEqual(dialogs, [], 'no alert ran');
  await shot('xss-inert');
});

// The 300 ms goal is a speed target: `make bench` (bench/run.sh, part `console`) asserts it with
// KLOZEO_CONSOLE_TIMING=1 on a quiet machine; the test suite checks the 1,000 rows and records
// the times (measurements.json) without failing on a loaded machine's clock.
const TIMED = process.env.KLOZEO_CONSOLE_TIMING === '1';
test('performance: a 1,000-row page renders (under 300 ms in `make bench`)', async () => {
  const leads = Array.from({ length: 1000 }, (_, i) => ({ name: `Bulk ${String(i).padStart(4, '0')}`, source: 'bulk', city: CITIES[i % 4],
    email: `bulk${i}@example.test`, rating: (i % 5) + 1, tags: ['bulk', 't' + (i % 7)], status: 'new' }));
  const r = await rest('POST', '/leads/batch', { leads });
  assert.equal(r.status, 201);
  const samples = [];
  const endToEnd = [];
  for (let i = 0; i < 5; i++) {
    await go('#/leads?filter=and.eq.source.bulk&limit=1000&sort_by=name&sort_order=' + (i % 2 ? 'DESC' : 'ASC'));
    assert.equal(await page.$$eval('.leads .body .row[data-id]', (rows) => rows.length), 1000);
    endToEnd.push(Number(await page.$eval('#main', (m) => m.dataset.viewMs)));
    samples.push(Number(await page.$eval('.view', (v) => v.dataset.renderMs)));
  }
  samples.sort((a, b) => a - b);
  endToEnd.sort((a, b) => a - b);
  // Render: building the rows plus the browser's style and layout of the table. End to end:
  // from the URL change to the rendered page, the API call included (reported, not asserted).
  measured.render_1000_rows_ms = samples;
  measured.view_with_api_call_1000_rows_ms = endToEnd;
  await shot('leads-1000');
  const median = samples[2];
  console.log(`render of 1,000 rows: median ${median} ms (${samples.join(', ')})`);
  if (TIMED) assert.ok(median < 300, `median render ${median} ms must be < 300 ms (${samples.join(', ')})`);
});

test('dashboard: totals and charts from GET /api/v1/stats', async (t) => {
  const stats = await rest('GET', '/stats?days=30');
  if (stats.status === 404) { t.skip('GET /api/v1/stats is not in this build'); return; }
  assert.equal(stats.status, 200);
  await go('#/dashboard');
  await page.waitForSelector('svg.chart');
  assert.equal(await page.$eval('[data-kpi=total]', (e) => e.textContent), stats.body.total_leads.toLocaleString('en-US'));
  assert.equal((await page.$$('svg.chart')).length, 5);
  // The pipeline's bars carry the API's counts; the histogram has its 10 bands.
  const tips = await texts('svg.chart rect title');
  for (const [status, n] of Object.entries(stats.body.by_status)) assert.ok(tips.includes(`${status}: ${n}`), `${status}: ${n} in ${tips}`);
  assert.equal(await page.$$eval('section[aria-label="Score distribution"] svg rect', (r) => r.length), 10);
  const perDay = await page.$$eval('section[aria-label="Created per day"] svg rect', (r) => r.length);
  assert.equal(perDay, 30);
  await shot('dashboard');
  await axe('dashboard');
});

test('account: plan, usage, keys; a revoked key is sent back to sign-in', async () => {
  await go('#/account');
  assert.equal(await page.$eval('[data-plan]', (e) => e.textContent), 'unlimited');
  const used = (await rest('GET', '/account')).body.leads_used;
  assert.match(await page.$eval('[data-usage]', (e) => e.textContent), new RegExp(used.toLocaleString('en-US')));
  // The key in use cannot be revoked from here.
  assert.equal(await page.$eval(`tr[data-key="${KEY.slice(0, 12)}"] button`, (b) => b.disabled), true);
  await page.click('[data-create-key]');
  await page.waitForSelector('[data-new-key]');
  const second = await page.$eval('[data-new-key]', (e) => e.textContent);
  assert.match(second, /^sk_live_[0-9a-f]{32}$/);
  await shot('account');
  await axe('account');
  // Another holder revokes the key this tab uses: the next call returns the tab to sign-in.
  const keys = (await rest('GET', '/keys', undefined, second)).body.keys;
  const mine = keys.find((k) => k.prefix === KEY.slice(0, 12));
  assert.equal((await rest('DELETE', '/keys/' + mine.id, undefined, second)).status, 204);
  await page.click('a[data-route=leads]');
  await page.waitForSelector('form.signin', { timeout: 10000 });
  assert.equal(await page.evaluate(() => sessionStorage.getItem('klozeo.key')), null);
  // Signing in with the new key returns to the page that was asked for.
  await page.type('form.signin input', second);
  const r = await readyMark();
  await page.click('form.signin button[type=submit]');
  await waitReady(r);
  assert.match(page.url(), /#\/leads/);
});

test('no script errors and no CSP violations on any page; the key is in no server log line', () => {
  assert.deepEqual(pageErrors, []);
  const log = fs.readFileSync(path.join(OUT, 'server.log'), 'utf8');
  assert.match(log, /access method=GET route=console status=200/);
  assert.ok(!log.includes(KEY), 'the API key appears in the server log');
});
