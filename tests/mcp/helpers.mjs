// The real `klozeo` binary on a real database (a SQLite file, or with KLOZEO_TEST_BACKEND=postgres
// a fresh database on the server of KLOZEO_TEST_PG_DSN), driven by the official MCP SDK client.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const BINARY = process.env.KLOZEO_BINARY;
if (!BINARY) throw new Error('KLOZEO_BINARY must name the klozeo binary');

export const postgres = process.env.KLOZEO_TEST_BACKEND === 'postgres';
export const skipReason =
  postgres && !process.env.KLOZEO_TEST_PG_DSN
    ? 'KLOZEO_TEST_PG_DSN is not set: skipping the PostgreSQL run'
    : undefined;

/** A fresh database: its --db URL and a function that removes it. */
export function freshDatabase() {
  if (!postgres) {
    const dir = mkdtempSync(join(tmpdir(), 'klozeo-mcp-'));
    return { url: `sqlite:${join(dir, 'klozeo.db')}`, drop: () => rmSync(dir, { recursive: true, force: true }) };
  }
  const dsn = process.env.KLOZEO_TEST_PG_DSN;
  const name = `klozeo_mcp_${randomBytes(6).toString('hex')}`;
  execFileSync('psql', [dsn, '-qc', `CREATE DATABASE ${name}`]);
  const url = dsn.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
  return { url, drop: () => execFileSync('psql', [dsn, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]) };
}

/** Creates an account on the database and returns its API key (the last line printed). */
export function createAccount(dbUrl, name, plan = 'unlimited') {
  const out = execFileSync(BINARY, ['accounts', 'create', '--db', dbUrl, '--name', name, '--plan', plan], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.trim().split('\n').pop();
}

/** `klozeo serve` on a free port; resolves once it listens. */
export async function startServer(dbUrl, extraArgs = []) {
  const child = spawn(BINARY, ['serve', '--listen', '127.0.0.1:0', '--db', dbUrl, '--threads', '2', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on http:\/\/[^:]+:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`klozeo serve exited with ${code}: ${stderr}`)));
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    logs: () => stderr,
    stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }),
  };
}

/** An SDK client connected over Streamable HTTP with `key` as a Bearer token. */
export async function httpClient(server, key, headers = {}) {
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${key}`, ...headers } },
  });
  const client = new Client({ name: 'klozeo-tests', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** An SDK client that launches `klozeo mcp` and talks over its stdin/stdout. */
export async function stdioClient(dbUrl, account) {
  const transport = new StdioClientTransport({
    command: BINARY,
    args: ['mcp', '--db', dbUrl, '--account', account],
    stderr: 'pipe',
  });
  let stderr = '';
  const client = new Client({ name: 'klozeo-tests', version: '1.0.0' });
  await client.connect(transport);
  transport.stderr?.on('data', (d) => { stderr += d; });
  return { client, transport, stderr: () => stderr };
}

/** A raw JSON-RPC POST to /mcp (for what the SDK client never sends). */
export async function rawPost(server, body, headers = {}) {
  const res = await fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

export const initializeRequest = (version = '2025-06-18') => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

/** Calls a tool and returns its CallToolResult. */
export async function call(client, name, args = {}, options = undefined) {
  return client.callTool({ name, arguments: args }, undefined, options);
}

/** The text of a result's first content block. */
export const text = (result) => result.content?.[0]?.text ?? '';
