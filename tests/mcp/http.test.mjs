// MCP over Streamable HTTP: the real `klozeo serve`, the official SDK client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import {
  call, createAccount, freshDatabase, httpClient, initializeRequest, rawPost, skipReason,
  startServer, text,
} from './helpers.mjs';
import { checkToolList, exerciseEveryTool } from './tools.mjs';

describe('MCP over Streamable HTTP', { skip: skipReason }, () => {
  let db;
  let server;
  let aliceKey;
  let bobKey;
  const open = [];

  before(async () => {
    db = freshDatabase();
    aliceKey = createAccount(db.url, 'alice');
    bobKey = createAccount(db.url, 'bob');
    server = await startServer(db.url, ['--mcp-allowed-origins', 'https://console.example.com']);
  });

  after(async () => {
    for (const t of open) await t.close().catch(() => {});
    await server?.stop();
    db?.drop();
  });

  async function connect(key, headers) {
    const c = await httpClient(server, key, headers);
    open.push(c.transport);
    return c;
  }

  test('initialize negotiates 2025-06-18 and issues a session', async () => {
    const { client, transport } = await connect(aliceKey);
    assert.equal(client.getServerVersion().name, 'klozeo');
    assert.ok(client.getServerCapabilities().tools);
    assert.match(transport.sessionId, /^[0-9a-f]{32}$/);
    assert.equal(transport.protocolVersion, '2025-06-18');
    assert.match(client.getInstructions(), /confirm: true/);
    await client.ping();
  });

  test('tools/list: 33 tools with schemas and annotations', async () => {
    const { client } = await connect(aliceKey);
    await checkToolList(client);
  });

  test('every tool with good and bad arguments', async () => {
    const { client } = await connect(aliceKey);
    await exerciseEveryTool(client);
  });

  test('a lead created over MCP reads back over REST, and the reverse', async () => {
    const { client } = await connect(aliceKey);
    const created = await call(client, 'create_lead', { name: 'Over MCP', source: 'mcp', city: 'Nantes' });
    const id = created.structuredContent.id;
    const rest = await fetch(`${server.url}/api/v1/leads/${id}`, { headers: { 'X-API-Key': aliceKey } });
    assert.equal(rest.status, 200);
    const lead = await rest.json();
    assert.equal(lead.name, 'Over MCP');
    assert.equal(lead.city, 'Nantes');
    const posted = await fetch(`${server.url}/api/v1/leads`, {
      method: 'POST',
      headers: { 'X-API-Key': aliceKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Over REST', source: 'rest' }),
    });
    const restId = (await posted.json()).id;
    const got = await call(client, 'get_lead', { id: restId });
    assert.equal(got.structuredContent.name, 'Over REST');
    // The same message as the REST API for the same fault.
    const restBad = await (await fetch(`${server.url}/api/v1/leads/cl_missing`, { headers: { 'X-API-Key': aliceKey } })).json();
    const mcpBad = await call(client, 'get_lead', { id: 'cl_missing' });
    assert.equal(mcpBad.isError, true);
    assert.equal(text(mcpBad), restBad.message);
  });

  test('tenant isolation: another account sees none of it', async () => {
    const alice = (await connect(aliceKey)).client;
    const bob = (await connect(bobKey)).client;
    const id = (await call(alice, 'create_lead', { name: 'Secret', source: 's' })).structuredContent.id;
    for (const [tool, args] of [
      ['get_lead', { id }], ['update_lead', { id, name: 'Hijacked' }],
      ['create_note', { lead_id: id, content: 'x' }], ['create_lead_tag', { id, tag: 'x' }],
      ['delete_lead', { id, confirm: true }], ['explain_score', { lead_id: id }],
    ]) {
      const r = await call(bob, tool, args);
      assert.equal(r.isError, true, tool);
      assert.match(text(r), /not found/i, tool);
    }
    const listed = await call(bob, 'list_leads', { filters: ['and.eq.name.Secret'] });
    assert.equal(listed.structuredContent.count, 0);
    const batch = await call(bob, 'batch_delete_leads', { ids: [id], confirm: true });
    assert.equal(batch.structuredContent.failed, 1);
    assert.equal((await call(alice, 'get_lead', { id })).structuredContent.name, 'Secret');
  });

  test('auth: no key or a bad key is 401 with WWW-Authenticate: Bearer', async () => {
    for (const headers of [{}, { Authorization: 'Bearer sk_live_00000000000000000000000000000000' }, { 'X-API-Key': 'nope' }]) {
      const r = await rawPost(server, initializeRequest(), headers);
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('www-authenticate'), 'Bearer');
    }
    const ok = await rawPost(server, initializeRequest(), { 'X-API-Key': aliceKey });
    assert.equal(ok.status, 200, 'X-API-Key works too');
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: { Authorization: 'Bearer sk_live_wrong' } },
    });
    await assert.rejects(new Client({ name: 't', version: '1' }).connect(transport));
  });

  test('sessions: required, unknown, other account, ended', async () => {
    const auth = { Authorization: `Bearer ${aliceKey}` };
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
    let r = await rawPost(server, list, auth);
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /Mcp-Session-Id/);
    r = await rawPost(server, list, { ...auth, 'Mcp-Session-Id': 'deadbeef' });
    assert.equal(r.status, 404);
    assert.equal(r.json.error.code, -32001);

    const { client, transport } = await connect(aliceKey);
    const sid = transport.sessionId;
    r = await rawPost(server, list, { ...auth, 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-06-18' });
    assert.equal(r.status, 200);
    assert.equal(r.json.result.tools.length, 33);
    r = await rawPost(server, list, { Authorization: `Bearer ${bobKey}`, 'Mcp-Session-Id': sid });
    assert.equal(r.status, 404, "another account's session is unknown to it");
    r = await rawPost(server, list, { ...auth, 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '1999-01-01' });
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /MCP-Protocol-Version/);

    await transport.terminateSession();
    r = await rawPost(server, list, { ...auth, 'Mcp-Session-Id': sid });
    assert.equal(r.status, 404, 'an ended session is gone');
    await assert.rejects(client.listTools());

    const get = await fetch(`${server.url}/mcp`, { headers: { ...auth, Accept: 'text/event-stream' } });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST, DELETE');
  });

  test('2025-03-26 clients are accepted; unknown revisions get the latest', async () => {
    const auth = { Authorization: `Bearer ${aliceKey}` };
    let r = await rawPost(server, initializeRequest('2025-03-26'), auth);
    assert.equal(r.json.result.protocolVersion, '2025-03-26');
    const sid = r.headers.get('mcp-session-id');
    // No MCP-Protocol-Version header: 2025-03-26 is assumed.
    r = await rawPost(server, { jsonrpc: '2.0', id: 3, method: 'ping' }, { ...auth, 'Mcp-Session-Id': sid });
    assert.deepEqual(r.json, { jsonrpc: '2.0', id: 3, result: {} });
    r = await rawPost(server, initializeRequest('2099-01-01'), auth);
    assert.equal(r.json.result.protocolVersion, '2025-06-18');
  });

  test('Origin: foreign origins are 403, loopback and allow-listed ones pass', async () => {
    const auth = { Authorization: `Bearer ${aliceKey}` };
    for (const origin of ['http://evil.example', 'http://localhost.evil.example', 'null', 'http://127.0.0.1.nip.io:8080']) {
      const r = await rawPost(server, initializeRequest(), { ...auth, Origin: origin });
      assert.equal(r.status, 403, origin);
    }
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1:6274', 'https://console.example.com']) {
      const r = await rawPost(server, initializeRequest(), { ...auth, Origin: origin });
      assert.equal(r.status, 200, origin);
    }
    // The SDK client from an allowed origin works end to end.
    const { client } = await connect(aliceKey, { Origin: 'https://console.example.com' });
    assert.equal((await client.listTools()).tools.length, 33);
  });

  test('recalculate_all_scores streams progress over SSE to a client with a progressToken', async () => {
    const { client } = await connect(bobKey);
    const leads = Array.from({ length: 2500 }, (_, i) => ({ name: `L${i}`, source: 'bulk', rating: i % 5 }));
    for (let i = 0; i < leads.length; i += 500) {
      const r = await fetch(`${server.url}/api/v1/leads/batch`, {
        method: 'POST',
        headers: { 'X-API-Key': bobKey, 'Content-Type': 'application/json' },
        body: JSON.stringify({ leads: leads.slice(i, i + 500) }),
      });
      assert.equal(r.status, 201);
    }
    await call(client, 'create_scoring_rule', { name: 'r', expression: 'rating * 10' });
    const progress = [];
    const result = await call(client, 'recalculate_all_scores', {}, { onprogress: (p) => progress.push(p) });
    assert.equal(result.isError, false);
    assert.ok(result.structuredContent.count >= 2500);
    assert.ok(progress.length >= 3, `progress notifications: ${JSON.stringify(progress)}`);
    assert.equal(progress.at(-1).progress, result.structuredContent.count);
    assert.equal(progress.at(-1).total, result.structuredContent.count);
    const stats = await call(client, 'get_stats');
    assert.equal(stats.structuredContent.score_histogram[4].count, 500, 'rating 4 -> 40');
  });

  test('the access log records MCP requests like REST ones', async () => {
    const { client } = await connect(aliceKey);
    await call(client, 'list_leads');
    await new Promise((r) => setTimeout(r, 1200)); // the log sink flushes every second
    assert.match(server.logs(), /access method=POST route=\/mcp status=200 .*account_id=[0-9a-f-]{36}/);
  });
});
