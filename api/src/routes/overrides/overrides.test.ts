/**
 * Rule overrides on every backend: admins create and retire, auditors read, users are refused; invalid
 * parameters are refused with 400 naming the field; rows are append-only (the app role cannot edit content
 * or un-retire); each change is in the ledger.
 */
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends } from '../../../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../../test/helpers.ts';
import { addMember } from '../../../test/scanned-tenant.ts';
import { runAsApp } from '../../plugins/app/tenancy.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(databaseBackends())('rule overrides on $name', (backend) => {
  let t: TestApp;
  let tenantId: string;
  const tokens: Record<string, string> = {};

  const create = (payload: Json, token = tokens.admin!) =>
    t.app.inject({ method: 'POST', url: '/api/overrides', headers: bearer(token), payload });

  beforeAll(async () => {
    t = await startTestApp(backend);
    const admin = await seedTenant(t.database.knex, { slug: 'overrides' });
    tenantId = admin.tenantId;
    tokens.admin = (await login(t.app, admin.email, admin.password)).access_token;
    for (const role of ['auditor', 'user'] as const) tokens[role] = await addMember(t, tenantId, role);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses invalid overrides with 400 naming the field', async () => {
    const badPort = await create({
      kind: 'params',
      rule_id: 'CW-AWS-EC2-001',
      params: { admin_ports: [22, 70000] },
    });
    expect(badPort.statusCode, badPort.body).toBe(400);
    expect(badPort.json().error).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { problems: [{ field: 'params.admin_ports.1', message: 'must be <= 65535' }] },
    });
    const unknownParam = await create({ kind: 'params', rule_id: 'CW-AWS-EC2-001', params: { ports: [1] } });
    expect(unknownParam.statusCode).toBe(400);
    expect(unknownParam.json().error.details.problems[0].field).toBe('params.ports');
    const unknownRule = await create({ kind: 'enabled', rule_id: 'CW-NOPE-001', enabled: false });
    expect(unknownRule.json().error.details.problems).toEqual([
      expect.objectContaining({ field: 'rule_id' }),
    ]);
    const missing = await create({
      kind: 'exception',
      rule_id: 'CW-AWS-S3-001',
      selector: { resource_id: 'x' },
    });
    expect(missing.statusCode).toBe(400);
    expect(
      missing
        .json()
        .error.details.problems.map((p: Json) => p.field)
        .sort(),
    ).toEqual(['approver', 'expires_at', 'reason']);
    const badDate = await create({
      kind: 'exception',
      rule_id: 'CW-AWS-S3-001',
      selector: { resource_id: 'x' },
      reason: 'r',
      approver: 'a',
      expires_at: 'next tuesday',
    });
    expect(badDate.json().error.details.problems).toEqual([expect.objectContaining({ field: 'expires_at' })]);
    const stray = await create({
      kind: 'severity',
      rule_id: 'CW-AWS-S3-001',
      severity: 'low',
      enabled: false,
    });
    expect(stray.json().error.details.problems).toEqual([expect.objectContaining({ field: 'enabled' })]);
  });

  it('admins create and retire, auditors read, users are refused; every change is in the ledger', async () => {
    const created = await create({
      kind: 'params',
      rule_id: 'CW-AWS-EC2-001',
      params: { admin_ports: [3389] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const record = created.json() as Json;
    expect(record).toMatchObject({ kind: 'params', params: { admin_ports: [3389] }, retired_at: null });
    expect(
      (await create({ kind: 'enabled', rule_id: 'CW-AWS-S3-001', enabled: false }, tokens.auditor))
        .statusCode,
    ).toBe(403);
    expect((await t.app.inject({ url: '/api/overrides', headers: bearer(tokens.user!) })).statusCode).toBe(
      403,
    );

    const listed = await t.app.inject({ url: '/api/overrides', headers: bearer(tokens.auditor!) });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.map((i: Json) => i.id)).toContain(record.id);

    const retire = (token: string) =>
      t.app.inject({ method: 'DELETE', url: `/api/overrides/${record.id}`, headers: bearer(token) });
    expect((await retire(tokens.auditor!)).statusCode).toBe(403);
    const retired = await retire(tokens.admin!);
    expect(retired.statusCode, retired.body).toBe(200);
    expect(retired.json().retired_at).toEqual(expect.any(String));
    expect((await retire(tokens.admin!)).json().error.code).toBe('OVERRIDE_NOT_FOUND');

    const live = await t.app.inject({ url: '/api/overrides', headers: bearer(tokens.admin!) });
    expect(live.json().items.map((i: Json) => i.id)).not.toContain(record.id);
    const all = await t.app.inject({
      url: '/api/overrides?include_retired=true',
      headers: bearer(tokens.admin!),
    });
    expect(all.json().items.find((i: Json) => i.id === record.id)).toMatchObject({
      params: { admin_ports: [3389] },
    });

    const ledger = await t.app.inject({ url: '/api/ledger?limit=50', headers: bearer(tokens.admin!) });
    const kinds = (ledger.json().items as Json[])
      .filter((e) => e.payload.override_id === record.id || e.payload.id === record.id)
      .map((e) => e.kind)
      .sort();
    expect(kinds).toEqual(['override.created', 'override.retired']);
  });

  it('is append-only for the app role: no content update, no un-retire, no delete', async () => {
    const created = (
      await create({ kind: 'severity', rule_id: 'CW-AWS-S3-001', severity: 'low' })
    ).json() as Json;
    const asApp = <T>(work: (trx: Knex.Transaction) => Promise<T>) =>
      runAsApp(t.database.knex, { tenantId }, work);
    await expect(
      asApp((trx) => trx('rule_overrides').where({ id: created.id }).update({ severity: 'info' })),
    ).rejects.toThrow(/permission denied/);
    await expect(asApp((trx) => trx('rule_overrides').where({ id: created.id }).del())).rejects.toThrow(
      /permission denied/,
    );
    await t.app.inject({
      method: 'DELETE',
      url: `/api/overrides/${created.id}`,
      headers: bearer(tokens.admin!),
    });
    const unretired = await asApp((trx) =>
      trx('rule_overrides').where({ id: created.id }).update({ retired_at: null, retired_by: null }),
    );
    expect(unretired).toBe(0);
  });
});
