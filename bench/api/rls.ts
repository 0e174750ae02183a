/**
 * The RLS overhead measurement of the API benchmark. The SQL an endpoint issues is captured (knex `query`
 * events of the request's tenant transaction), then replayed in two ways with the same bindings:
 *   - as the app does it: runtime role (SET LOCAL ROLE complywise_app) with app.tenant_id set, the policies
 *     filtering every table;
 *   - as a BYPASSRLS role with the tenant condition written into each statement (`"<table>".tenant_id = $n`
 *     added to the outermost WHERE), which is what a filter-by-hand design would run.
 * Both variants must return identical rows (checked), and they run interleaved so load drifts hit both.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { Knex } from 'knex';
import { APP_ROLE } from '../../api/migrations/0001_initial.ts';

export interface CapturedQuery {
  sql: string;
  bindings: unknown[];
}

/** The statements one request ran inside its tenant transaction (role and context statements left out). */
export async function captureQueries(
  app: FastifyInstance,
  tenantId: string,
  request: InjectOptions,
): Promise<CapturedQuery[]> {
  const byTx = new Map<string, CapturedQuery[]>();
  const tenantTx = new Set<string>();
  const listener = (q: { sql: string; bindings?: unknown[]; __knexTxId?: string }) => {
    if (!q.__knexTxId) return;
    // The context statement binds the runtime role first, then the tenant id (api/src/plugins/app/tenancy.ts).
    if (q.sql.includes('set_config(') && q.bindings?.includes(tenantId)) tenantTx.add(q.__knexTxId);
    if (!/^select /i.test(q.sql) || q.sql.includes('set_config(')) return;
    // The access token's session check (AuthService.verify) runs before every endpoint alike and is
    // confined by the user's own-tokens policy, not by tenant: it is not part of what an endpoint replays.
    if (/ from "refresh_tokens"/i.test(q.sql)) return;
    const list = byTx.get(q.__knexTxId) ?? [];
    list.push({ sql: q.sql, bindings: q.bindings ?? [] });
    byTx.set(q.__knexTxId, list);
  };
  app.db.knex.on('query', listener);
  try {
    const response = await app.inject(request);
    if (response.statusCode !== 200)
      throw new Error(`${request.url}: ${response.statusCode} ${response.body}`);
  } finally {
    app.db.knex.off('query', listener);
  }
  return [...tenantTx].flatMap((tx) => byTx.get(tx) ?? []);
}

/**
 * The plan of a captured statement as the app runs it: runtime role, the tenant's context, the policies
 * applied; `options` are EXPLAIN's (say `ANALYZE, BUFFERS`). Native $n placeholders go back to knex's ?, each
 * binding in the place its number names.
 */
export async function explainAsApp(
  knex: Knex,
  tenantId: string,
  query: CapturedQuery,
  options: string,
): Promise<string> {
  return knex.transaction(async (trx) => {
    await trx.raw(`SET LOCAL ROLE ${APP_ROLE}`);
    await trx.raw(`select set_config('app.tenant_id', ?, true)`, [tenantId]);
    const ordered: unknown[] = [];
    const sql = query.sql.replace(/\$(\d+)/g, (_m, n: string) => {
      ordered.push(query.bindings[Number(n) - 1]);
      return '?';
    });
    const { rows } = await trx.raw<{ rows: { 'QUERY PLAN': string }[] }>(
      `EXPLAIN (${options}) ${sql}`,
      ordered as never,
    );
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
}

/** `query` with `"<main table>".tenant_id = $n` ANDed to its outermost WHERE (added when there is none). */
export function withTenantFilter(query: CapturedQuery, tenantId: string): CapturedQuery {
  const from = / from "(\w+)"(?: as "(\w+)")?/i.exec(query.sql);
  if (!from) throw new Error(`no FROM in ${query.sql}`);
  const table = from[2] ?? from[1];
  const condition = `"${table}"."tenant_id" = $${query.bindings.length + 1}`;
  const tail = /( group by | order by | limit | offset )/i;
  const whereAt = query.sql.indexOf(' where ', from.index);
  let sql: string;
  if (whereAt >= 0) {
    const rest = query.sql.slice(whereAt + 7);
    const end = rest.search(tail);
    const clause = end >= 0 ? rest.slice(0, end) : rest;
    const after = end >= 0 ? rest.slice(end) : '';
    sql = `${query.sql.slice(0, whereAt)} where ${condition} and (${clause})${after}`;
  } else {
    const rest = query.sql.slice(from.index);
    const end = rest.search(tail);
    const at = end >= 0 ? from.index + end : query.sql.length;
    sql = `${query.sql.slice(0, at)} where ${condition}${query.sql.slice(at)}`;
  }
  return { sql, bindings: [...query.bindings, tenantId] };
}

/** knex.raw takes `?` placeholders in order: rewrite `$n` and order the bindings as they appear. */
function positional(q: CapturedQuery): [string, unknown[]] {
  const ordered: unknown[] = [];
  const sql = q.sql.replace(/\$(\d+)/g, (_m, n: string) => {
    ordered.push(q.bindings[Number(n) - 1]);
    return '?';
  });
  return [sql, ordered];
}

async function runAll(trx: Knex.Transaction, queries: CapturedQuery[]): Promise<unknown[]> {
  const results: unknown[] = [];
  for (const q of queries) {
    const [sql, bindings] = positional(q);
    results.push((await trx.raw(sql, bindings as Knex.RawBinding[])).rows);
  }
  return results;
}

export interface RlsComparison {
  queries: number;
  iterations: number;
  /** Median and p99 milliseconds of the statement sequence (inside its transaction, setup excluded). */
  rls: { p50: number; p99: number };
  filter: { p50: number; p99: number };
  /** rls p50 / filter p50 - 1 (0.2 = RLS costs 20% more). */
  overhead: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Replays `queries` `iterations` times each way, alternating. `bypassRole` must be a BYPASSRLS role with
 * SELECT on the tables (created by the benchmark for this database).
 */
export async function compareRls(
  knex: Knex,
  tenantId: string,
  queries: CapturedQuery[],
  bypassRole: string,
  iterations: number,
): Promise<RlsComparison> {
  const filtered = queries.map((q) => withTenantFilter(q, tenantId));
  const viaRls = (): Promise<[number, unknown[]]> =>
    knex.transaction(async (trx) => {
      await trx.raw(`SET LOCAL ROLE ${APP_ROLE}`);
      await trx.raw(`select set_config('app.tenant_id', ?, true)`, [tenantId]);
      const start = performance.now();
      const rows = await runAll(trx, queries);
      return [performance.now() - start, rows];
    });
  const viaFilter = (): Promise<[number, unknown[]]> =>
    knex.transaction(async (trx) => {
      await trx.raw(`SET LOCAL ROLE ${bypassRole}`);
      const start = performance.now();
      const rows = await runAll(trx, filtered);
      return [performance.now() - start, rows];
    });
  const [, expected] = await viaRls();
  const [, actual] = await viaFilter();
  if (JSON.stringify(expected) !== JSON.stringify(actual))
    throw new Error('the explicit-filter queries do not return what the RLS queries return');
  const rls: number[] = [];
  const filter: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    rls.push((await viaRls())[0]);
    filter.push((await viaFilter())[0]);
  }
  rls.sort((x, y) => x - y);
  filter.sort((x, y) => x - y);
  const summary = (s: number[]) => ({ p50: quantile(s, 0.5), p99: quantile(s, 0.99) });
  return {
    queries: queries.length,
    iterations,
    rls: summary(rls),
    filter: summary(filter),
    overhead: quantile(rls, 0.5) / quantile(filter, 0.5) - 1,
  };
}
