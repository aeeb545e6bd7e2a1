// Every call of the console goes through the public REST API with the key of this tab.
// The key lives in sessionStorage (gone when the tab closes), is sent as X-API-Key and never
// appears in a URL.
const KEY = 'klozeo.key';

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  set(key) { sessionStorage.setItem(KEY, key); },
  clear() { sessionStorage.removeItem(KEY); },
};

/// The rate-limit headers of the last answer (null until one was read).
export const rate = { limit: null, remaining: null };

let unauthorizedHandler = () => {};
/// Called once a request is refused with 401 (a revoked or unknown key).
export function onUnauthorized(fn) { unauthorizedHandler = fn; }

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
  }
}

async function send(method, path, body) {
  const headers = { 'X-API-Key': session.key || '' };
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch('/api/v1' + path, init);
  const limit = res.headers.get('X-RateLimit-Limit');
  if (limit !== null) {
    rate.limit = Number(limit);
    rate.remaining = Number(res.headers.get('X-RateLimit-Remaining'));
  }
  if (res.status === 401) {
    session.clear();
    unauthorizedHandler();
    throw new ApiError(401, await res.json().catch(() => null));
  }
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  return res;
}

/// A JSON call: the parsed body (null for 204), or an ApiError carrying the API's message.
export async function api(method, path, body) {
  const res = await send(method, path, body);
  if (res.status === 204) return null;
  return res.json();
}

/// The raw Response (streamed bodies: exports, score recalculation).
export function apiRaw(method, path, body) { return send(method, path, body); }

/// A query string from [name, value] pairs (repeated names allowed); "" when empty.
export function query(pairs) {
  const params = new URLSearchParams();
  for (const [k, v] of pairs) if (v !== undefined && v !== null && v !== '') params.append(k, v);
  const s = params.toString();
  return s ? '?' + s : '';
}
