/**
 * Test support only (never imported by the app): a small HTTP server that answers like the ComplyWise API
 * for auth and scans, so client.test.ts and scan-poller.test.ts exercise the real client over real HTTP.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Scan } from './types.ts';

/** What the fixture holds and counts, readable and adjustable by the tests. */
export interface FixtureState {
  /** Access tokens the server currently accepts. */
  validTokens: Set<string>;
  /** Refresh cookie values the server accepts (single use). */
  validRefresh: Set<string>;
  refreshCalls: number;
  /** Scripted answers of GET /api/scans/:id, served in order; the last one repeats. */
  scanReplies: Array<{ status: number; body: unknown }>;
  scanReads: number;
  /** Authorization headers seen on authenticated routes. */
  authorizations: string[];
}

/** A started fixture server. */
export interface FixtureServer {
  url: string;
  state: FixtureState;
  close(): Promise<void>;
}

const USER = { id: 'u-1', email: 'ada@example.test' };
const TENANT = { id: 't-1', name: 'Example Org' };

let counter = 0;
function sessionBody(state: FixtureState, res: ServerResponse): string {
  const token = `access-${++counter}`;
  const refresh = `refresh-${counter}`;
  state.validTokens.add(token);
  state.validRefresh.add(refresh);
  res.setHeader('set-cookie', `cw_refresh=${refresh}; HttpOnly; Path=/api/auth`);
  return JSON.stringify({ access_token: token, expires_in: 900, user: USER, tenant: TENANT, role: 'owner' });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function unauthenticated(res: ServerResponse): void {
  send(res, 401, { error: { code: 'UNAUTHENTICATED', message: 'missing or expired access token' } });
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
}

function handle(state: FixtureState, req: IncomingMessage, res: ServerResponse, body: unknown): void {
  const url = req.url ?? '/';
  if (req.method === 'POST' && url === '/api/auth/login') {
    const { email, password } = body as { email: string; password: string };
    if (email === USER.email && password === 'right') return send(res, 200, sessionBody(state, res));
    return send(res, 401, { error: { code: 'INVALID_CREDENTIALS', message: 'Email or password is wrong.' } });
  }
  if (req.method === 'POST' && url === '/api/auth/refresh') {
    state.refreshCalls++;
    const cookie = /cw_refresh=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (!cookie || !state.validRefresh.delete(cookie)) {
      return send(res, 401, { error: { code: 'INVALID_REFRESH_TOKEN', message: 'refresh token invalid' } });
    }
    return send(res, 200, sessionBody(state, res));
  }
  if (req.method === 'POST' && url === '/api/auth/logout') {
    state.validRefresh.clear();
    res.writeHead(204).end();
    return;
  }
  const authorization = req.headers.authorization ?? '';
  state.authorizations.push(authorization);
  if (!state.validTokens.has(authorization.replace(/^Bearer /, ''))) return unauthenticated(res);
  if (req.method === 'GET' && url === '/api/integrations') {
    return send(res, 200, {
      items: [{ id: 'i-1', provider: 'aws', name: 'Sandbox', demo: true, config: {} }],
    });
  }
  if (req.method === 'GET' && url === '/api/not-json') {
    res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>proxy error</h1>');
    return;
  }
  const scanRead = /^\/api\/scans\/([^/]+)$/.exec(url);
  if (req.method === 'GET' && scanRead) {
    const reply = state.scanReplies[Math.min(state.scanReads, state.scanReplies.length - 1)];
    state.scanReads++;
    if (!reply) return send(res, 404, { error: { code: 'SCAN_NOT_FOUND', message: 'no such scan' } });
    return send(res, reply.status, reply.body);
  }
  send(res, 404, { error: { code: 'ROUTE_NOT_FOUND', message: `no route ${req.method} ${url}` } });
}

/** Starts the fixture on a free port of 127.0.0.1. */
export async function startFixtureServer(): Promise<FixtureServer> {
  const state: FixtureState = {
    validTokens: new Set(),
    validRefresh: new Set(),
    refreshCalls: 0,
    scanReplies: [],
    scanReads: 0,
    authorizations: [],
  };
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => handle(state, req, res, body))
      .catch((error: unknown) => send(res, 400, { error: { code: 'INVALID_JSON', message: String(error) } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * A fetch that keeps cookies between calls, as the browser does for the refresh cookie
 * (Node's fetch has no cookie jar).
 */
export function fetchWithCookieJar(): typeof fetch {
  const jar = new Map<string, string>();
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(input, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return response;
  };
}

/** A scan in the given state, for scripted replies. */
export function scanIn(status: Scan['status'], extra: Partial<Scan> = {}): Scan {
  return {
    id: 's-1',
    integration_id: 'i-1',
    status,
    progress: { phase: status, resources_collected: 0, calls_made: 0, errors: 0 },
    errors: [],
    bundle_revision: null,
    failure: null,
    created_at: '2026-05-01T00:00:00.000Z',
    finished_at: status === 'succeeded' || status === 'failed' ? '2026-05-01T00:00:05.000Z' : null,
    ...extra,
  };
}
