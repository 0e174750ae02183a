/**
 * Row-level security, checked in the database itself: the catalog (RLS enabled and forced on every table
 * with a tenant column, a runtime role that cannot bypass it and owns nothing) and behaviour (as the
 * runtime role with tenant B set, tenant A's rows cannot be read, changed, deleted or forged).
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseBackends, type TestDatabase } from '../../test/db.ts';
import { runAsApp, runAsOwner } from '../src/plugins/app/tenancy.ts';
import type { Database } from '../src/plugins/external/db.ts';
import { APP_ROLE, TENANT_TABLES } from './0001_initial.ts';
import { RETENTION_ROLE } from './0008_retention.ts';

const SHA = (c: string) => c.repeat(64);

interface TenantFixture {
  tenantId: string;
  userId: string;
  integrationId: string;
  scanId: string;
  tokenHash: string;
}

/** One tenant with a row in every table, written as the owner. */
async function seedEverything(knex: Knex, label: string, shaChar: string): Promise<TenantFixture> {
  const f: TenantFixture = {
    tenantId: randomUUID(),
    userId: randomUUID(),
    integrationId: randomUUID(),
    scanId: randomUUID(),
    tokenHash: SHA(shaChar),
  };
  await runAsOwner(knex, { tenantId: f.tenantId, userId: f.userId }, async (trx) => {
    await trx('tenants').insert({ id: f.tenantId, slug: label, name: label });
    await trx('users').insert({ id: f.userId, email: `${label}@example.com`, password_hash: 'x' });
    await trx('memberships').insert({ tenant_id: f.tenantId, user_id: f.userId, role: 'admin' });
    await trx('refresh_tokens').insert({
      user_id: f.userId,
      tenant_id: f.tenantId,
      family_id: randomUUID(),
      token_hash: f.tokenHash,
      expires_at: new Date(Date.now() + 60_000),
    });
    await trx('tenant_keys').insert({
      tenant_id: f.tenantId,
      key_version: 1,
      master_key_id: 'test',
      wrapped_key: 'w',
      wrap_iv: 'i',
      wrap_tag: 't',
    });
    await trx('integrations').insert({
      id: f.integrationId,
      tenant_id: f.tenantId,
      provider: 'aws',
      name: `${label} aws`,
      credentials_ciphertext: 'c',
      credentials_iv: 'i',
      credentials_tag: 't',
      key_version: 1,
    });
    await trx('scans').insert({ id: f.scanId, tenant_id: f.tenantId, integration_id: f.integrationId });
    await trx('evidence').insert({
      tenant_id: f.tenantId,
      sha256: SHA(shaChar),
      size: 2,
      content_type: 'application/json',
    });
    await trx('findings').insert({
      tenant_id: f.tenantId,
      scan_id: f.scanId,
      rule_id: 'CW-AWS-S3-001',
      rule_version: '1.0.0',
      rule_hash: SHA('0'),
      bundle_revision: 'r1',
      resource_id: `arn:aws:s3:::${label}`,
      resource_type: 'aws.s3.bucket',
      status: 'fail',
      severity: 'high',
      message: 'm',
      evidence_sha256: SHA(shaChar),
    });
    await trx('control_results').insert({
      tenant_id: f.tenantId,
      scan_id: f.scanId,
      control_id: 'UCF-CRY-01',
      status: 'fail',
      counts: JSON.stringify({ pass: 0, fail: 1, not_applicable: 0, error: 0 }),
      rule_ids: JSON.stringify(['CW-AWS-S3-001']),
    });
    await trx('framework_scores').insert({
      tenant_id: f.tenantId,
      scan_id: f.scanId,
      framework_id: 'soc2',
      framework_version: '2017',
      title: 'SOC 2',
      score: 0,
      passed: 0,
      failed: 1,
      not_applicable: 0,
      requirements: JSON.stringify([]),
    });
  });
  return f;
}

/** Runs `sql` as the runtime role with tenant B set; returns the row count or the SQLSTATE it failed with. */
async function asTenant(knex: Knex, tenantId: string, sql: string, bindings: readonly unknown[] = []) {
  try {
    const result = await runAsApp(knex, { tenantId }, (trx) => trx.raw(sql, bindings as Knex.RawBinding[]));
    return {
      rows: result.rows as Record<string, unknown>[],
      rowCount: result.rowCount as number,
      code: null,
    };
  } catch (error) {
    return {
      rows: [],
      rowCount: 0,
      code: (error as { code?: string }).code ?? 'unknown',
      error: error as Error,
    };
  }
}

describe.each(databaseBackends())('row-level security on $name', (backend) => {
  let testDb: TestDatabase;
  let db: Database;
  let a: TenantFixture;
  let b: TenantFixture;

  beforeAll(async () => {
    testDb = await createTestDatabase(backend);
    db = await testDb.open();
    a = await seedEverything(db.knex, 'tenant-a', 'a');
    b = await seedEverything(db.knex, 'tenant-b', 'b');
  });
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  it('enables and forces RLS on every table with a tenant_id column (and on tenants and users)', async () => {
    const { rows } = await db.knex.raw<{
      rows: { relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }[];
    }>(`
      select c.relname, c.relrowsecurity, c.relforcerowsecurity
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
        and (c.relname in ('tenants', 'users') or exists (
          select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped))
      order by c.relname`);
    const names = rows.map((r) => r.relname);
    expect(names).toEqual(
      expect.arrayContaining([...TENANT_TABLES, 'memberships', 'refresh_tokens', 'tenants', 'users']),
    );
    for (const row of rows) {
      expect(row, row.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
    }
    // Tenant tables are isolated by the tenant setting, in both directions (USING and WITH CHECK).
    const policies = await db.knex.raw<{ rows: { tablename: string; qual: string; with_check: string }[] }>(
      `select tablename, qual, with_check from pg_policies where schemaname = 'public' and policyname = 'tenant_isolation'`,
    );
    for (const table of TENANT_TABLES) {
      const policy = policies.rows.find((p) => p.tablename === table);
      expect(policy?.qual, table).toMatch(
        /tenant_id = \(NULLIF\(current_setting\('app\.tenant_id'::text, true\), ''::text\)\)::uuid/,
      );
      expect(policy?.with_check, table).toBe(policy?.qual);
    }
  });

  it('has no view that runs with its owner rights (every view uses security_invoker)', async () => {
    const { rows } = await db.knex.raw<{ rows: { relname: string; reloptions: string[] | null }[] }>(`
      select c.relname, c.reloptions from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('v', 'm')`);
    const unsafe = rows.filter(
      (r) => !(r.reloptions ?? []).some((o) => /^security_invoker=(true|on|1)$/i.test(o)),
    );
    expect(unsafe.map((r) => r.relname)).toEqual([]);
    // SECURITY DEFINER functions bypass row-level security the same way: only migration 0027's findings
    // partition maintenance, each with a fixed search_path, callable by the retention role alone.
    const definers = await db.knex.raw<{
      rows: { proname: string; config: string[] | null; app: boolean; retention: boolean; public: boolean }[];
    }>(
      `select p.proname, p.proconfig as config,
         has_function_privilege(?, p.oid, 'EXECUTE') as app,
         has_function_privilege(?, p.oid, 'EXECUTE') as retention,
         coalesce(p.proacl::text[], array[]::text[]) @> array['=X/' || pg_get_userbyid(p.proowner)] or p.proacl is null as public
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' and p.prosecdef order by p.proname`,
      [APP_ROLE, RETENTION_ROLE],
    );
    expect(definers.rows.map((r) => r.proname)).toEqual([
      'findings_create_partition',
      'findings_drop_partition',
      'findings_ensure_partitions',
      'findings_partition_tenants',
    ]);
    for (const f of definers.rows) {
      expect(f.config, f.proname).toEqual(['search_path=public, pg_temp']);
      expect({ app: f.app, public: f.public }, f.proname).toEqual({ app: false, public: false });
    }
    expect(definers.rows.filter((f) => f.retention).map((f) => f.proname)).toEqual([
      'findings_drop_partition',
      'findings_ensure_partitions',
      'findings_partition_tenants',
    ]);
  });

  it('keeps the findings partitions out of reach of the app and retention roles (RLS is on the parent)', async () => {
    const { rows } = await db.knex.raw<{ rows: { relname: string; rls: boolean }[] }>(`
      select c.relname, c.relrowsecurity as rls from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'findings'::regclass order by c.relname`);
    // The DEFAULT partition and at least the current month and the next three.
    expect(rows.map((r) => r.relname)).toContain('findings_default');
    expect(rows.length).toBeGreaterThanOrEqual(5);
    const month = (await asTenant(db.knex, b.tenantId, `select tableoid::regclass::text as p from findings`))
      .rows[0]!.p as string;
    expect(month).toMatch(/^findings_\d{4}m\d{2}$/);
    for (const { relname } of rows) {
      for (const role of [APP_ROLE, RETENTION_ROLE]) {
        const direct = await runAsOwner(db.knex, { tenantId: b.tenantId }, async (trx) => {
          await trx.raw(`SET LOCAL ROLE ${role}`);
          return trx.raw(`select tenant_id from ${relname}`).then(
            () => 'read',
            (error: { code?: string }) => error.code,
          );
        });
        expect(direct, `${role} on ${relname}`).toBe('42501');
      }
    }
    // Through the parent, tenant B sees its own row in that month and nothing of A's.
    const both = await asTenant(
      db.knex,
      b.tenantId,
      `select tenant_id from findings where tableoid = ?::regclass`,
      [month],
    );
    expect(both.rows).toEqual([{ tenant_id: b.tenantId }]);
  });

  it('runs the app as a role that is not superuser, cannot bypass RLS and owns nothing', async () => {
    const role = await db.knex.raw<{
      rows: { rolsuper: boolean; rolbypassrls: boolean; rolcanlogin: boolean }[];
    }>(`select rolsuper, rolbypassrls, rolcanlogin from pg_roles where rolname = ?`, [APP_ROLE]);
    expect(role.rows).toEqual([{ rolsuper: false, rolbypassrls: false, rolcanlogin: false }]);
    const owned = await db.knex.raw<{ rows: { n: number }[] }>(
      `select (select count(*) from pg_class where relowner = r.oid)
            + (select count(*) from pg_namespace where nspowner = r.oid)
            + (select count(*) from pg_proc where proowner = r.oid)
            + (select count(*) from pg_type where typowner = r.oid) as n
       from pg_roles r where r.rolname = ?`,
      [APP_ROLE],
    );
    expect(Number(owned.rows[0]!.n)).toBe(0);
    // And the app really runs as that role inside withTenant.
    const who = await asTenant(
      db.knex,
      b.tenantId,
      `select current_user as u, current_setting('app.tenant_id') as t`,
    );
    expect(who.rows[0]).toEqual({ u: APP_ROLE, t: b.tenantId });
  });

  it.each(TENANT_TABLES)(
    'as tenant B, tenant A rows of %s are invisible, unchangeable and unforgeable',
    async (table) => {
      const visible = await asTenant(db.knex, b.tenantId, `select tenant_id from ${table}`);
      expect(visible.code).toBeNull();
      expect(visible.rows.length).toBeGreaterThan(0);
      expect(visible.rows.every((r) => r.tenant_id === b.tenantId)).toBe(true);

      const byId = await asTenant(
        db.knex,
        b.tenantId,
        `select count(*)::int as n from ${table} where tenant_id = ?`,
        [a.tenantId],
      );
      expect(byId.rows[0]).toEqual({ n: 0 });

      // UPDATE and DELETE: 0 rows where the role may write the table, permission denied where it may not.
      for (const sql of [
        `update ${table} set tenant_id = tenant_id where tenant_id = ?`,
        `delete from ${table} where tenant_id = ?`,
      ]) {
        const result = await asTenant(db.knex, b.tenantId, sql, [a.tenantId]);
        if (result.code === null) expect(result.rowCount, sql).toBe(0);
        else expect(result.code, sql).toBe('42501');
      }
      // Nothing of A was touched.
      const stillThere = await runAsOwner(db.knex, { tenantId: a.tenantId }, (trx) =>
        trx(table).count({ n: '*' }),
      );
      expect(Number(stillThere[0]!.n)).toBeGreaterThan(0);
    },
  );

  it('refuses an INSERT carrying tenant A id for every writable tenant table', async () => {
    const inserts: Record<string, [string, unknown[]]> = {
      tenant_keys: [
        `insert into tenant_keys (tenant_id, key_version, master_key_id, wrapped_key, wrap_iv, wrap_tag) values (?, 2, 'x', 'w', 'i', 't')`,
        [a.tenantId],
      ],
      integrations: [
        `insert into integrations (tenant_id, provider, name, credentials_ciphertext, credentials_iv, credentials_tag, key_version) values (?, 'aws', 'forged', 'c', 'i', 't', 1)`,
        [a.tenantId],
      ],
      scans: [`insert into scans (tenant_id, integration_id) values (?, ?)`, [a.tenantId, a.integrationId]],
      evidence: [
        `insert into evidence (tenant_id, sha256, size, content_type) values (?, ?, 1, 'x')`,
        [a.tenantId, SHA('c')],
      ],
      findings: [
        `insert into findings (tenant_id, scan_id, rule_id, rule_version, rule_hash, bundle_revision, resource_id, resource_type, status, severity, message) values (?, ?, 'CW-X-001', '1', ?, 'r', 'x', 't', 'pass', 'low', 'm')`,
        [a.tenantId, a.scanId, SHA('0')],
      ],
      control_results: [
        `insert into control_results (tenant_id, scan_id, control_id, status, counts, rule_ids) values (?, ?, 'UCF-X-99', 'pass', '{}', '[]')`,
        [a.tenantId, a.scanId],
      ],
      framework_scores: [
        `insert into framework_scores (tenant_id, scan_id, framework_id, framework_version, title, passed, failed, not_applicable, requirements) values (?, ?, 'x', '1', 'x', 0, 0, 0, '[]')`,
        [a.tenantId, a.scanId],
      ],
    };
    expect(Object.keys(inserts).sort()).toEqual([...TENANT_TABLES].sort());
    for (const [table, [sql, bindings]] of Object.entries(inserts)) {
      const result = await asTenant(db.knex, b.tenantId, sql, bindings);
      expect(result.code, table).toBe('42501');
      expect(result.error?.message, table).toMatch(/row-level security/);
    }
    // Tenant B may still write its own rows (the refusal is about the tenant, not the grant).
    const own = await asTenant(
      db.knex,
      b.tenantId,
      `insert into scans (tenant_id, integration_id) values (?, ?)`,
      [b.tenantId, b.integrationId],
    );
    expect(own.code).toBeNull();
    expect(own.rowCount).toBe(1);
  });

  it('hides tenant A tenants, users, memberships and refresh tokens from tenant B', async () => {
    const queries: [string, unknown[]][] = [
      [`select id from tenants where id = ?`, [a.tenantId]],
      [`select id from users where id = ?`, [a.userId]],
      [`select user_id from memberships where tenant_id = ?`, [a.tenantId]],
      [`select id from refresh_tokens where tenant_id = ? or user_id = ?`, [a.tenantId, a.userId]],
    ];
    for (const [sql, bindings] of queries) {
      const result = await asTenant(db.knex, b.tenantId, sql, bindings);
      expect(result.code, sql).toBeNull();
      expect(result.rows, sql).toEqual([]);
    }
    // Own members stay visible; an unset tenant sees nothing at all.
    const own = await asTenant(db.knex, b.tenantId, `select id from users`);
    expect(own.rows).toEqual([{ id: b.userId }]);
    const nobody = await runAsApp(db.knex, {}, (trx) => trx.raw(`select count(*)::int as n from scans`));
    expect(nobody.rows[0]).toEqual({ n: 0 });
  });

  it('finds a refresh token only by its hash, and a login e-mail only by that e-mail', async () => {
    const byHash = await runAsApp(db.knex, { refreshTokenHash: a.tokenHash }, (trx) =>
      trx('refresh_tokens').select('user_id'),
    );
    expect(byHash).toEqual([{ user_id: a.userId }]);
    const byEmail = await runAsApp(db.knex, { loginEmail: 'tenant-a@example.com' }, (trx) =>
      trx('users').select('id'),
    );
    expect(byEmail).toEqual([{ id: a.userId }]);
    const ownMemberships = await runAsApp(db.knex, { userId: a.userId }, (trx) =>
      trx('memberships').select('tenant_id'),
    );
    expect(ownMemberships).toEqual([{ tenant_id: a.tenantId }]);
  });
});
