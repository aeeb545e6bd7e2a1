// Every one of the 33 tools with good and bad arguments, through whichever transport `client`
// is connected over. Returns the ids it made, for the caller's own checks.
import assert from 'node:assert/strict';
import { call, text } from './helpers.mjs';

export const TOOL_NAMES = [
  'list_leads', 'get_lead', 'create_lead', 'update_lead', 'delete_lead', 'create_lead_tag',
  'remove_lead_tag', 'batch_create_leads', 'batch_update_leads', 'batch_delete_leads',
  'create_note', 'list_notes', 'update_note', 'delete_note', 'list_attributes',
  'create_attribute', 'update_attribute', 'delete_attribute', 'list_scoring_rules',
  'get_scoring_rule', 'create_scoring_rule', 'update_scoring_rule', 'delete_scoring_rule',
  'recalculate_score', 'recalculate_all_scores', 'explain_score', 'list_webhooks',
  'create_webhook', 'update_webhook', 'delete_webhook', 'list_webhook_deliveries',
  'export_leads', 'get_stats',
];

export const DESTRUCTIVE = [
  'delete_lead', 'batch_delete_leads', 'delete_note', 'delete_attribute', 'delete_scoring_rule',
  'delete_webhook',
];

function ok(result, what) {
  assert.equal(result.isError, false, `${what}: ${text(result)}`);
  assert.ok(result.structuredContent, `${what}: structuredContent`);
  assert.deepEqual(JSON.parse(text(result)), result.structuredContent, `${what}: text is the JSON`);
  return result.structuredContent;
}

function fails(result, pattern, what) {
  assert.equal(result.isError, true, `${what} should fail: ${JSON.stringify(result)}`);
  assert.match(text(result), pattern, what);
}

export async function checkToolList(client) {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOL_NAMES].sort());
  assert.equal(tools.length, 33);
  for (const t of tools) {
    assert.ok(t.description.length > 20, `${t.name} description`);
    assert.equal(t.inputSchema.type, 'object', t.name);
    assert.equal(t.outputSchema?.type, 'object', `${t.name} outputSchema`);
    for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint']) {
      assert.equal(typeof t.annotations?.[hint], 'boolean', `${t.name} ${hint}`);
    }
    const destructive = DESTRUCTIVE.includes(t.name);
    assert.equal(t.annotations.destructiveHint, destructive, `${t.name} destructiveHint`);
    if (destructive) {
      assert.equal(t.inputSchema.properties.confirm.type, 'boolean', `${t.name} confirm`);
      assert.ok(t.inputSchema.required.includes('confirm'), `${t.name} requires confirm`);
      assert.match(t.description, /confirm: true/);
    }
    if (t.name.startsWith('list_') || t.name.startsWith('get_') || t.name === 'explain_score') {
      assert.equal(t.annotations.readOnlyHint, true, `${t.name} readOnlyHint`);
    }
    for (const [name, prop] of Object.entries(t.inputSchema.properties ?? {})) {
      assert.ok(prop.description || prop.anyOf || prop.items, `${t.name}.${name} is described`);
    }
  }
  const list = tools.find((t) => t.name === 'list_leads');
  const operators = list.inputSchema.properties.filters.items.anyOf[1].properties.operator.enum;
  assert.equal(operators.length, 20);
  assert.ok(operators.includes('within_radius'));
  const create = tools.find((t) => t.name === 'create_lead');
  assert.deepEqual(create.inputSchema.properties.status.enum,
    ['new', 'contacted', 'qualified', 'disqualified', 'converted']);
  assert.deepEqual(create.inputSchema.required, ['name', 'source']);
  return tools;
}

export async function exerciseEveryTool(client) {
  // --- leads ---
  const created = ok(await call(client, 'create_lead', {
    name: 'Acme', source: 'website', city: 'Paris', email: 'hello@acme.test', rating: 4.5,
    tags: ['b2b'], attributes: [{ name: 'industry', type: 'text', value: 'SaaS' }],
  }), 'create_lead');
  assert.equal(created.duplicate, false);
  assert.match(created.id, /^cl_/);
  const id = created.id;
  fails(await call(client, 'create_lead', { name: 'No source' }), /source/, 'create_lead without source');
  fails(await call(client, 'create_lead', { name: 'X', source: 's', status: 'won' }), /status/, 'bad status');
  // Deduplication as POST /leads: the same e-mail merges.
  const dup = ok(await call(client, 'create_lead', { name: 'Acme Inc', source: 'ads', email: 'HELLO@acme.test' }), 'dup');
  assert.equal(dup.duplicate, true);
  assert.equal(dup.id, id);
  assert.match(dup.message, /Duplicate/);

  const got = ok(await call(client, 'get_lead', { id }), 'get_lead');
  assert.equal(got.name, 'Acme Inc');
  assert.equal(got.attributes[0].name, 'industry');
  fails(await call(client, 'get_lead', { id: 'cl_nope' }), /not found/i, 'get_lead unknown');
  fails(await call(client, 'get_lead', {}), /'id' is required/, 'get_lead without id');

  const updated = ok(await call(client, 'update_lead', { id, status: 'contacted', city: 'Lyon' }), 'update_lead');
  assert.equal(updated.status, 'contacted');
  assert.equal(updated.city, 'Lyon');
  fails(await call(client, 'update_lead', { id, rating: 'high' }), /rating/, 'update_lead bad rating');
  fails(await call(client, 'update_lead', { id: 'cl_nope', city: 'X' }), /not found/i, 'update unknown');

  let tagged = ok(await call(client, 'create_lead_tag', { id, tag: 'vip' }), 'create_lead_tag');
  assert.deepEqual(tagged.tags, ['b2b', 'vip']);
  tagged = ok(await call(client, 'create_lead_tag', { id, tag: 'vip' }), 'tag again');
  assert.deepEqual(tagged.tags, ['b2b', 'vip'], 'idempotent');
  fails(await call(client, 'create_lead_tag', { id }), /'tag'/, 'tag without tag');
  tagged = ok(await call(client, 'remove_lead_tag', { id, tag: 'b2b' }), 'remove_lead_tag');
  assert.deepEqual(tagged.tags, ['vip']);
  fails(await call(client, 'remove_lead_tag', { id: 'cl_nope', tag: 'x' }), /not found/i, 'untag unknown');

  // list_leads: string and object filters, sort, paging.
  const batch = ok(await call(client, 'batch_create_leads', {
    leads: [
      { name: 'Beta', source: 'fair', city: 'Paris', rating: 3 },
      { name: 'Gamma', source: 'fair', city: 'Berlin', rating: 5 },
      { name: 'Gamma GmbH', source: 'fair', email: 'hello@acme.test' },
      { name: 'Broken' },
    ],
  }), 'batch_create_leads');
  assert.equal(batch.total, 4);
  assert.equal(batch.created, 2);
  assert.equal(batch.duplicates, 1, 'dedup per item');
  assert.equal(batch.failed, 1);
  assert.equal(batch.results[2].id, id);
  // Merged, last touch wins: the lead now carries the batch item's name.
  assert.equal(ok(await call(client, 'get_lead', { id }), 'merged').name, 'Gamma GmbH');
  assert.equal(batch.results[3].outcome, 'error');
  assert.match(batch.results[3].message, /source/);
  fails(await call(client, 'batch_create_leads', { leads: [] }), /must not be empty/, 'empty batch');
  const [beta, gamma] = [batch.results[0].id, batch.results[1].id];

  let page = ok(await call(client, 'list_leads', { filters: ['and.eq.city.paris'] }), 'list string filter');
  assert.deepEqual(page.leads.map((l) => l.name), ['Beta']);
  page = ok(await call(client, 'list_leads', {
    filters: [{ operator: 'gte', field: 'rating', value: 4 }], sort_by: 'rating', sort_order: 'DESC',
  }), 'list object filter');
  assert.deepEqual(page.leads.map((l) => l.id), [gamma, id]);
  page = ok(await call(client, 'list_leads', { filters: [{ logic: 'and', operator: 'in', field: 'city', value: ['Berlin', 'Lyon'] }] }), 'in');
  assert.equal(page.count, 2);
  page = ok(await call(client, 'list_leads', { filters: ['and.eq.attr:industry.saas'] }), 'attr filter');
  assert.deepEqual(page.leads.map((l) => l.id), [id]);
  page = ok(await call(client, 'list_leads', { limit: 2 }), 'limit');
  assert.equal(page.count, 2);
  assert.equal(page.has_more, true);
  const next = ok(await call(client, 'list_leads', { limit: 2, cursor: page.next_cursor }), 'cursor');
  assert.equal(next.count, 1);
  assert.equal(next.has_more, false);
  fails(await call(client, 'list_leads', { filters: ['and.bogus.city.x'] }), /bogus/, 'bad operator');
  fails(await call(client, 'list_leads', { filters: [{ field: 'city' }] }), /operator/, 'object without operator');
  fails(await call(client, 'list_leads', { limit: 0 }), /limit/, 'limit 0');
  fails(await call(client, 'list_leads', { sort_by: 'nope' }), /nope/, 'bad sort');

  const updatedBatch = ok(await call(client, 'batch_update_leads', { ids: [beta, 'cl_nope'], data: { status: 'qualified' } }), 'batch_update');
  assert.equal(updatedBatch.success, 1);
  assert.equal(updatedBatch.failed, 1);
  fails(await call(client, 'batch_update_leads', { ids: [beta] }), /'data'/, 'batch_update without data');

  // --- notes ---
  const note = ok(await call(client, 'create_note', { lead_id: id, content: 'Called, wants a demo' }), 'create_note');
  fails(await call(client, 'create_note', { lead_id: id, content: '' }), /content/, 'empty note');
  fails(await call(client, 'create_note', { lead_id: 'cl_nope', content: 'x' }), /not found/i, 'note unknown lead');
  assert.equal(ok(await call(client, 'list_notes', { lead_id: id }), 'list_notes').count, 1);
  fails(await call(client, 'list_notes', { lead_id: 'cl_nope' }), /not found/i, 'list_notes unknown');
  assert.equal(ok(await call(client, 'update_note', { note_id: note.id, content: 'Demo booked' }), 'update_note').content, 'Demo booked');
  fails(await call(client, 'update_note', { note_id: 'note_nope', content: 'x' }), /not found/i, 'update_note unknown');
  fails(await call(client, 'delete_note', { note_id: note.id }), /confirm/, 'delete_note unconfirmed');
  assert.equal(ok(await call(client, 'list_notes', { lead_id: id }), 'notes kept').count, 1);
  ok(await call(client, 'delete_note', { note_id: note.id, confirm: true }), 'delete_note');
  fails(await call(client, 'delete_note', { note_id: note.id, confirm: true }), /not found/i, 'delete_note twice');

  // --- attributes ---
  const attr = ok(await call(client, 'create_attribute', { lead_id: id, name: 'employees', type: 'number', value: 50 }), 'create_attribute');
  fails(await call(client, 'create_attribute', { lead_id: id, name: 'employees', type: 'number', value: 'many' }), /value/, 'bad attribute value');
  assert.equal(ok(await call(client, 'list_attributes', { lead_id: id }), 'list_attributes').count, 2);
  assert.equal(ok(await call(client, 'update_attribute', { lead_id: id, attribute_id: attr.id, value: 75 }), 'update_attribute').value, 75);
  fails(await call(client, 'update_attribute', { lead_id: id, attribute_id: attr.id, value: true }), /number/i, 'wrong type');
  fails(await call(client, 'delete_attribute', { lead_id: id, attribute_id: attr.id, confirm: false }), /confirm/, 'unconfirmed');
  ok(await call(client, 'delete_attribute', { lead_id: id, attribute_id: attr.id, confirm: true }), 'delete_attribute');
  fails(await call(client, 'list_attributes', { lead_id: 'cl_nope' }), /not found/i, 'attributes unknown lead');

  // --- scoring ---
  const rule = ok(await call(client, 'create_scoring_rule', { name: 'rating', expression: 'rating * 20' }), 'create_scoring_rule');
  fails(await call(client, 'create_scoring_rule', { name: 'bad', expression: 'rating = 4' }), /invalid expression/, 'bad expression');
  assert.equal(ok(await call(client, 'list_scoring_rules'), 'list_scoring_rules').count, 1);
  assert.equal(ok(await call(client, 'get_scoring_rule', { id: rule.id }), 'get_scoring_rule').expression, 'rating * 20');
  fails(await call(client, 'get_scoring_rule', { id: 'rule_nope' }), /not found/i, 'rule unknown');
  assert.equal(ok(await call(client, 'update_scoring_rule', { id: rule.id, weight: 0.5 }), 'update_scoring_rule').weight, 0.5);
  fails(await call(client, 'update_scoring_rule', { id: rule.id, weight: 'x' }), /weight/, 'bad weight');
  const rescored = ok(await call(client, 'recalculate_score', { lead_id: gamma }), 'recalculate_score');
  assert.equal(rescored.score, 50);
  fails(await call(client, 'recalculate_score', { lead_id: 'cl_nope' }), /not found/i, 'rescore unknown');
  const all = ok(await call(client, 'recalculate_all_scores'), 'recalculate_all_scores');
  assert.equal(all.count, 3);
  const explained = ok(await call(client, 'explain_score', { lead_id: beta }), 'explain_score');
  assert.equal(explained.score, 30);
  assert.equal(explained.rules[0].contribution, 30);
  fails(await call(client, 'explain_score', { lead_id: 'cl_nope' }), /not found/i, 'explain unknown');
  fails(await call(client, 'delete_scoring_rule', { id: rule.id }), /confirm/, 'rule unconfirmed');
  ok(await call(client, 'delete_scoring_rule', { id: rule.id, confirm: true }), 'delete_scoring_rule');

  // --- webhooks (public address: stdio runs without --webhook-allow-private) ---
  const hook = ok(await call(client, 'create_webhook', { url: 'https://hooks.example.com/klozeo', events: ['lead.created'] }), 'create_webhook');
  fails(await call(client, 'create_webhook', { url: 'ftp://x' }), /url/i, 'bad url');
  fails(await call(client, 'create_webhook', { url: 'https://a.example.com', events: ['lead.exploded'] }), /event/i, 'bad event');
  assert.equal(ok(await call(client, 'list_webhooks'), 'list_webhooks').count, 1);
  assert.equal(ok(await call(client, 'update_webhook', { id: hook.id, active: false }), 'update_webhook').active, false);
  fails(await call(client, 'update_webhook', { id: 'wh_nope', active: true }), /not found/i, 'update unknown webhook');
  assert.equal(ok(await call(client, 'list_webhook_deliveries', { webhook_id: hook.id }), 'deliveries').count, 0);
  fails(await call(client, 'list_webhook_deliveries', { webhook_id: hook.id, limit: 0 }), /limit/, 'bad limit');
  fails(await call(client, 'delete_webhook', { id: hook.id }), /confirm/, 'webhook unconfirmed');
  ok(await call(client, 'delete_webhook', { id: hook.id, confirm: true }), 'delete_webhook');

  // --- export and statistics ---
  const csv = await call(client, 'export_leads', { format: 'csv', filters: ['and.eq.source.fair'] });
  assert.equal(csv.isError, false, text(csv));
  assert.equal(csv.structuredContent.leads, 3, 'Beta, Gamma and the lead merged from the batch');
  const rows = text(csv).trim().split('\n');
  assert.match(rows[0], /^id,name,source/);
  assert.equal(rows.length, 4);
  assert.equal(csv.structuredContent.bytes, Buffer.byteLength(text(csv)));
  const json = await call(client, 'export_leads', { format: 'json' });
  assert.equal(json.structuredContent.leads, 3);
  assert.equal(JSON.parse(json.content[0].text).length, 3);
  const xlsx = await call(client, 'export_leads', { format: 'xlsx' });
  assert.equal(xlsx.isError, false);
  const resource = xlsx.content.find((c) => c.type === 'resource').resource;
  assert.equal(resource.mimeType, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  assert.equal(Buffer.from(resource.blob, 'base64').subarray(0, 2).toString(), 'PK', 'a zip file');
  fails(await call(client, 'export_leads', { format: 'pdf' }), /format/, 'bad format');

  const stats = ok(await call(client, 'get_stats', { days: 7 }), 'get_stats');
  assert.equal(stats.total_leads, 3);
  assert.equal(stats.score_histogram.length, 10);
  assert.equal(stats.created_per_day.length, 7);
  assert.equal(stats.by_source[0].source, 'fair');
  fails(await call(client, 'get_stats', { days: 0 }), /days/, 'bad days');

  // --- deletes last: confirm semantics ---
  fails(await call(client, 'delete_lead', { id }), /confirm/, 'delete_lead unconfirmed');
  fails(await call(client, 'delete_lead', { id, confirm: 'yes' }), /confirm/, 'confirm must be true');
  ok(await call(client, 'get_lead', { id }), 'still there after unconfirmed deletes');
  fails(await call(client, 'batch_delete_leads', { ids: [beta, gamma] }), /confirm/, 'batch unconfirmed');
  assert.equal(ok(await call(client, 'list_leads'), 'all kept').count, 3);
  const deleted = ok(await call(client, 'batch_delete_leads', { ids: [beta, gamma, 'cl_nope'], confirm: true }), 'batch_delete');
  assert.equal(deleted.success, 2);
  assert.equal(deleted.failed, 1);
  ok(await call(client, 'delete_lead', { id, confirm: true }), 'delete_lead');
  fails(await call(client, 'get_lead', { id }), /not found/i, 'deleted');
  return { id };
}
