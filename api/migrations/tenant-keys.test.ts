/**
 * The schema is ready to be sharded by tenant (docs/scaling.md): checked in the catalog after every migration.
 * A tenant-sharded PostgreSQL (Citus with tenant_id as distribution column) accepts a primary key or unique
 * index only when it contains the distribution column, and keeps a foreign key between sharded tables local
 * to one node only when it joins on the tenant. `tenants` and `users` carry no tenant column: they become
 * tables replicated to every node, which any sharded table may reference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseBackends, type TestDatabase } from '../../test/db.ts';
import { migrateLatest, openDatabase, type Database } from '../src/plugins/external/db.ts';
import { TENANT_TABLES } from './0001_initial.ts';

/** Tables of the public schema with a tenant_id column (`tenant` = the tenant id column of `table`). */
const TENANT_COLUMN_TABLES = `
  select c.oid, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind in ('r', 'p') and exists (
    select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)`;

/** Columns of a constraint side, in key order, comma separated (strings parse the same on both drivers). */
const keyColumns = (keys: string, table: string) => `(
  select string_agg(a.attname, ',' order by k.ord) from unnest(${keys}) with ordinality k(attnum, ord)
  join pg_attribute a on a.attrelid = ${table} and a.attnum = k.attnum)`;

describe.each(databaseBackends())('tenant-first keys on $name', (backend) => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase(backend);
    db = await openDatabase({ databaseUrl: testDb.databaseUrl, pgliteDir: null });
    await migrateLatest(db);
  });
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  async function tenantTables(): Promise<string[]> {
    const { rows } = await db.knex.raw<{ rows: { relname: string }[] }>(
      `select relname from (${TENANT_COLUMN_TABLES}) t order by relname`,
    );
    return rows.map((r) => r.relname);
  }

  it('gives every table with a tenant_id column a primary key that contains it', async () => {
    const tables = await tenantTables();
    // Not vacuous: the tables of the first migration and the later ones are all there.
    expect(tables).toEqual(expect.arrayContaining([...TENANT_TABLES, 'memberships', 'api_tokens']));
    const { rows } = await db.knex.raw<{ rows: { relname: string; columns: string | null }[] }>(`
      select t.relname, ${keyColumns('con.conkey', 't.oid')} as columns
      from (${TENANT_COLUMN_TABLES}) t
      left join pg_constraint con on con.conrelid = t.oid and con.contype = 'p'
      order by t.relname`);
    const offending = rows.filter((r) => !r.columns?.split(',').includes('tenant_id'));
    expect(offending.map((r) => `${r.relname} (${r.columns ?? 'no primary key'})`)).toEqual([]);
    expect(rows.map((r) => r.relname)).toEqual(tables);
  });

  it('includes tenant_id in every unique constraint and unique index of those tables', async () => {
    const { rows } = await db.knex.raw<{ rows: { relname: string; index: string; columns: string }[] }>(`
      select t.relname, ic.relname as index, ${keyColumns('i.indkey::int2[]', 't.oid')} as columns
      from (${TENANT_COLUMN_TABLES}) t
      join pg_index i on i.indrelid = t.oid and i.indisunique
      join pg_class ic on ic.oid = i.indexrelid
      order by t.relname, ic.relname`);
    expect(rows.length).toBeGreaterThan((await tenantTables()).length);
    // An expression column has attnum 0 and no name: such an index must still name tenant_id directly.
    const offending = rows.filter((r) => !(r.columns ?? '').split(',').includes('tenant_id'));
    expect(offending.map((r) => `${r.relname}.${r.index} (${r.columns})`)).toEqual([]);
  });

  it('joins every foreign key between tenant tables on the tenant, column to column', async () => {
    const { rows } = await db.knex.raw<{
      rows: { relname: string; conname: string; target: string; columns: string; targetColumns: string }[];
    }>(`
      select t.relname, con.conname, target.relname as target,
        ${keyColumns('con.conkey', 'con.conrelid')} as columns,
        ${keyColumns('con.confkey', 'con.confrelid')} as "targetColumns"
      from (${TENANT_COLUMN_TABLES}) t
      join pg_constraint con on con.conrelid = t.oid and con.contype = 'f'
      join pg_class target on target.oid = con.confrelid
      order by t.relname, con.conname`);
    const tenantTableNames = new Set(await tenantTables());
    const checked = rows.filter((r) => tenantTableNames.has(r.target));
    expect(checked.length).toBeGreaterThan(0);
    const offending = checked.filter((r) => {
      const at = r.columns.split(',').indexOf('tenant_id');
      return at < 0 || r.targetColumns.split(',')[at] !== 'tenant_id';
    });
    expect(offending.map((r) => `${r.relname}.${r.conname} -> ${r.target}`)).toEqual([]);
    // The rest point at the tables that would be replicated to every node.
    const others = new Set(rows.filter((r) => !tenantTableNames.has(r.target)).map((r) => r.target));
    expect([...others].sort()).toEqual(['tenants', 'users']);
  });
});
