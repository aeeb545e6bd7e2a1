// MCP over stdio: `klozeo mcp --db URL --account NAME` launched by the official SDK client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import { BINARY, call, createAccount, freshDatabase, skipReason, stdioClient, text } from './helpers.mjs';
import { checkToolList, exerciseEveryTool } from './tools.mjs';

describe('MCP over stdio', { skip: skipReason }, () => {
  let db;
  const open = [];

  before(() => {
    db = freshDatabase();
    createAccount(db.url, 'carol');
    createAccount(db.url, 'dave');
  });

  after(async () => {
    for (const c of open) await c.close().catch(() => {});
    db?.drop();
  });

  async function connect(account) {
    const c = await stdioClient(db.url, account);
    open.push(c.client);
    return c;
  }

  test('initialize and tools/list', async () => {
    const { client } = await connect('carol');
    assert.equal(client.getServerVersion().name, 'klozeo');
    await checkToolList(client);
  });

  test('every tool with good and bad arguments', async () => {
    const { client } = await connect('carol');
    await exerciseEveryTool(client);
  });

  test('the account is the tenant; logs go to stderr only', async () => {
    const carol = await connect('carol');
    const dave = await connect('dave');
    const id = (await call(carol.client, 'create_lead', { name: 'Mine', source: 's' })).structuredContent.id;
    const r = await call(dave.client, 'get_lead', { id });
    assert.equal(r.isError, true);
    assert.match(text(r), /not found/i);
    const all = await call(carol.client, 'recalculate_all_scores');
    assert.equal(all.isError, false);
    await new Promise((res) => setTimeout(res, 1200));
    assert.match(carol.stderr(), /mcp: serving account 'carol'/);
  });

  test('protocol faults answer JSON-RPC errors, one line each, on stdout', () => {
    const lines = [
      '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}',
      '{not json',
      '{"jsonrpc":"2.0","id":2,"method":"nope"}',
      '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"no_such_tool"}}',
      '{"jsonrpc":"2.0","method":"notifications/initialized"}',
      '[{"jsonrpc":"2.0","id":4,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"}]',
      '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"recalculate_all_scores","_meta":{"progressToken":"p1"}}}',
    ];
    const run = spawnSync(BINARY, ['mcp', '--db', db.url, '--account', 'carol'], { input: lines.join('\n') + '\n', encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const out = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(out.length, 7);
    assert.equal(out[0].result.protocolVersion, '2025-03-26');
    assert.equal(out[1].error.code, -32700);
    assert.equal(out[2].error.code, -32601);
    assert.equal(out[3].error.code, -32602);
    assert.deepEqual(out[4], [{ jsonrpc: '2.0', id: 4, result: {} }]);
    // Progress goes out before the response. (The SDK client handles notifications a tick later
    // than responses, so it may miss progress that arrives in the same read as the response.)
    assert.equal(out[5].method, 'notifications/progress');
    assert.equal(out[5].params.progressToken, 'p1');
    assert.equal(out[6].id, 5);
    assert.equal(out[6].result.isError, false);
  });

  test('an unknown account exits 1 with a message', () => {
    const run = spawnSync(BINARY, ['mcp', '--db', db.url, '--account', 'nobody'], { input: '', encoding: 'utf8' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /nobody/);
    assert.equal(run.stdout, '');
  });
});
