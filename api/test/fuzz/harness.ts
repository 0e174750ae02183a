/**
 * The fuzz suite's plumbing: turning a generated request into an inject() call, checking one answer against
 * what the route declares, harvesting strings from answers (to feed real ids back into the fuzzer), and
 * snapshotting every tenant table (to prove injection attempts changed nothing they should not).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Knex } from 'knex';
import { errorBodySchema, errorStatus } from '../../src/errors.ts';
import type { RouteCatalogEntry } from '../../src/plugins/app/access.ts';
import { runAsOwner } from '../../src/plugins/app/tenancy.ts';
import type { JsonSchema } from './arbitraries.ts';

// ajv-formats is CommonJS: under Node type stripping its default export is the function itself.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** Answers whose 2xx body is free-form by design (no response schema), and why. */
export const FREE_FORM_ANSWERS: Record<string, string> = {
  'GET /api/openapi.json 200': 'the OpenAPI document itself',
};

export interface FuzzRequest {
  params: unknown;
  query: unknown;
  body: unknown;
  /** A body that is not JSON at all, sent as application/json. */
  rawBody?: string | undefined;
  anonymous: boolean;
}

export interface Sent {
  method: string;
  url: string;
  payload: string | undefined;
  /** False when a path parameter is empty: the URL may then name another route (`/scans/` is the list). */
  exact: boolean;
}

/**
 * Errors Fastify decides before the route's guards run (routing, body parsing): an anonymous caller may get
 * these instead of 401. They reveal nothing of the route's schema or data.
 */
export const BEFORE_AUTH_CODES = new Set([
  'ROUTE_NOT_FOUND',
  'URI_TOO_LONG',
  'INVALID_JSON',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
]);

function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** The URL and payload of a generated request for `route`. */
export function toSent(route: RouteCatalogEntry, request: FuzzRequest): Sent {
  const params = request.params && typeof request.params === 'object' ? request.params : null;
  let exact = true;
  const path = route.url
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment;
      const value = params ? (params as Record<string, unknown>)[segment.slice(1)] : request.params;
      const text = asText(value);
      if (text === '') exact = false;
      // A lone surrogate cannot be percent-encoded (UTF-8 has no form for it): send its replacement.
      return encodeURIComponent(text.toWellFormed());
    })
    .join('/');
  let query = '';
  if (request.query !== undefined) {
    if (request.query && typeof request.query === 'object' && !Array.isArray(request.query)) {
      const search = new URLSearchParams();
      for (const [key, value] of Object.entries(request.query))
        search.append(key, asText(value).toWellFormed());
      query = search.toString();
    } else {
      query = encodeURIComponent(asText(request.query).toWellFormed());
    }
  }
  const payload = request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
  return { method: route.method, url: query ? `${path}?${query}` : path, payload, exact };
}

export async function send(app: FastifyInstance, sent: Sent, token: string | null) {
  return app.inject({
    method: sent.method as 'GET',
    url: sent.url,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(sent.payload === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(sent.payload === undefined ? {} : { payload: sent.payload }),
  });
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validators = new Map<unknown, ValidateFunction>();
function validatorOf(schema: unknown): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(schema as object);
    validators.set(schema, validate);
  }
  return validate;
}

/** The schema a route declares for a status code (exact, then `4xx`-style, then `default`). */
export function declaredResponse(route: RouteCatalogEntry, status: number): JsonSchema | undefined {
  const responses = (route.schema?.response ?? {}) as Record<string, JsonSchema>;
  return responses[String(status)] ?? responses[`${Math.floor(status / 100)}xx`] ?? responses.default;
}

/**
 * What is wrong with one answer, or [] when it is right: no 5xx; an anonymous call to a protected route is
 * a 401; an error is the shared `{ error: { code, message } }` with a known code of that status; a body
 * matches the schema declared for its status; a success without a declared schema is a failure unless it
 * is a bodiless 204 or listed in FREE_FORM_ANSWERS; a success the route declares as a file (`content` of a
 * non-JSON type) must come with one of the declared content types.
 */
export function problemsOf(
  route: RouteCatalogEntry,
  sent: Sent,
  response: LightMyRequestResponse,
  anonymous: boolean,
  isPublic: boolean,
): string[] {
  const status = response.statusCode;
  const problems: string[] = [];
  if (status >= 500) problems.push(`answered ${status} ${response.body.slice(0, 200)}`);
  if (anonymous && !isPublic && status !== 401 && !BEFORE_AUTH_CODES.has(errorCodeOf(response.body)))
    problems.push(`anonymous call answered ${status} ${response.body.slice(0, 200)}, not 401`);
  if (status === 204) {
    if (response.body !== '') problems.push('204 with a body');
    return problems;
  }
  const file = status < 300 && sent.exact ? fileTypesOf(route, status) : [];
  if (file.length > 0) {
    // A file answer (CSV, PDF): it must come as one of the content types the route declares.
    const type = String(response.headers['content-type'] ?? '').split(';')[0]!;
    if (!file.includes(type)) problems.push(`${status} answered ${type}, not one of ${file.join(', ')}`);
    return problems;
  }
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    problems.push(`${status} body is not JSON: ${response.body.slice(0, 100)}`);
    return problems;
  }
  if (status >= 400) {
    if (!validatorOf(errorBodySchema)(body)) problems.push(`${status} body is not the error shape`);
    else {
      const code = (body as { error: { code: string } }).error.code;
      if (!(code in errorStatus)) problems.push(`unknown error code ${code}`);
      else if (errorStatus[code as keyof typeof errorStatus] !== status)
        problems.push(
          `error code ${code} belongs to ${errorStatus[code as keyof typeof errorStatus]}, not ${status}`,
        );
    }
  }
  if (!sent.exact) return problems;
  const schema = declaredResponse(route, status);
  if (schema) {
    const validate = validatorOf(schema);
    if (!validate(body))
      problems.push(`${status} body does not match its schema: ${ajv.errorsText(validate.errors)}`);
  } else if (status < 400 && !FREE_FORM_ANSWERS[`${route.method} ${route.url} ${status}`]) {
    problems.push(`${status} has no declared response schema`);
  }
  return problems;
}

/** The non-JSON content types a route declares for `status` (`content: { 'text/csv': … }`), if any. */
function fileTypesOf(route: RouteCatalogEntry, status: number): string[] {
  const declared = declaredResponse(route, status) as { content?: Record<string, unknown> } | undefined;
  return Object.keys(declared?.content ?? {}).filter((type) => type !== 'application/json');
}

function errorCodeOf(body: string): string {
  try {
    return String((JSON.parse(body) as { error?: { code?: unknown } }).error?.code ?? '');
  } catch {
    return '';
  }
}

/** Strings seen in answers, by the property they sat under: `key` and `<route's last segment>.key`. */
export type Seen = Map<string, Set<string>>;

/** Records every string of an answer of `route` (ids, hashes, names) under its property name. */
export function harvest(route: RouteCatalogEntry, value: unknown, into: Seen): void {
  const segment =
    route.url
      .split('/')
      .filter((s) => s && !s.startsWith(':'))
      .at(-1) ?? '';
  const add = (key: string, text: string) => {
    let set = into.get(key);
    if (!set) into.set(key, (set = new Set()));
    set.add(text);
  };
  const walk = (node: unknown, key: string) => {
    if (typeof node === 'string') {
      if (node.length > 0 && node.length <= 300) {
        add(key, node);
        add(`${segment}.${key}`, node);
      }
    } else if (Array.isArray(node)) {
      for (const item of node) walk(item, key);
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, k);
    }
  };
  walk(value, '');
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Values seen under exactly `key`. */
export function seenUnder(seen: Seen, key: string): string[] {
  return [...(seen.get(key) ?? [])];
}

/**
 * Candidate values of a path parameter: what the list answer of the segment before it held (`scans/:id` ←
 * `scans.id`, `controls/:controlId` ← `controls.control_id`, `integrations/:integrationId` ←
 * `integrations.id`), else any property of the same name (`rule_id`) or ending in it (`evidence_sha256`,
 * `rule_hash` for `:hash` and `:other`).
 */
export function paramCandidates(seen: Seen, url: string, param: string): string[] {
  const segments = url.split('/');
  const before = segments[segments.indexOf(`:${param}`) - 1] ?? '';
  const name = snake(param);
  for (const key of [
    `${before}.${name}`,
    ...(name === 'id' || name.endsWith('_id') ? [`${before}.id`] : []),
  ]) {
    const values = seenUnder(seen, key);
    if (values.length > 0) return values;
  }
  const suffix = param === 'other' ? '_hash' : `_${name}`;
  return [...seen]
    .filter(([key]) => !key.includes('.') && (key === name || key.endsWith(suffix)))
    .flatMap(([, values]) => [...values]);
}

export interface TableSnapshot {
  tables: string[];
  /** Per tenant-scoped table: [row count, digest of the rows] of one tenant. */
  rows: Record<string, [number, string]>;
}

/** The tables of the public schema and, for each table with a tenant_id, the tenant's row count and digest. */
export async function snapshot(knex: Knex, tenantId: string): Promise<TableSnapshot> {
  return runAsOwner(knex, { tenantId }, async (trx) => {
    const tables = (
      await trx.raw<{ rows: { table_name: string }[] }>(
        `select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
      )
    ).rows.map((r) => r.table_name);
    const scoped = (
      await trx.raw<{ rows: { table_name: string }[] }>(
        `select table_name from information_schema.columns
          where table_schema = 'public' and column_name = 'tenant_id' order by table_name`,
      )
    ).rows.map((r) => r.table_name);
    const rows: Record<string, [number, string]> = {};
    for (const table of scoped) {
      const { rows: result } = await trx.raw<{ rows: { n: string | number; digest: string | null }[] }>(
        `select count(*) as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest
           from ?? as t where t.tenant_id = ?`,
        [table, tenantId],
      );
      rows[table] = [Number(result[0]!.n), result[0]!.digest ?? ''];
    }
    return { tables, rows };
  });
}
