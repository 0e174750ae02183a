/**
 * Stored overrides re-checked against a newly deployed bundle, on every backend: an override saved when the
 * rule allowed its value, read back after a bundle whose parameter schema refuses it, is listed as invalid
 * (naming the field) and skipped by the scan, which succeeds with a scan error naming the override and field.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUNDLE_DIR } from '../../../engine/paths.ts';
import { tempDir, type TempDir } from '../../../engine/testing.ts';
import { databaseBackends } from '../../../test/db.ts';
import { startTestApp, type TestApp } from '../../test/helpers.ts';
import { insertOverride } from './store.ts';
import { sandboxTenant, type SandboxTenant } from './testing.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RULE = 'CW-AWS-IAM-005';

/** rules/dist with CW-AWS-IAM-005's max_key_age_days now at most 180 (it had no maximum). */
async function bundleWithStricterSchema(): Promise<TempDir> {
  const dir = await tempDir('complywise-bundle-');
  await cp(DEFAULT_BUNDLE_DIR, dir.path, { recursive: true });
  const file = join(dir.path, 'catalog.json');
  const catalog = JSON.parse(await readFile(file, 'utf8')) as Json;
  const rule = (catalog.rules as Json[]).find((r) => r.id === RULE)!;
  expect(rule.parameters.properties.max_key_age_days.maximum).toBeUndefined();
  rule.parameters.properties.max_key_age_days.maximum = 180;
  await writeFile(file, JSON.stringify(catalog));
  return dir;
}

describe.each(databaseBackends())('overrides re-checked against the deployed bundle on $name', (backend) => {
  let t: TestApp;
  let bundle: TempDir;
  let tenant: SandboxTenant;

  beforeAll(async () => {
    bundle = await bundleWithStricterSchema();
    t = await startTestApp(backend, { configOverrides: { rulesBundleDir: bundle.path } });
    tenant = await sandboxTenant(t, 'overrides-recheck');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await tenant?.close();
    await bundle?.remove();
  });

  it('lists a stale override as invalid and skips it in scans with a scan error', async () => {
    // Today the bundle refuses 365 on write...
    const refused = await tenant.call('POST', '/api/overrides', {
      kind: 'params',
      rule_id: RULE,
      params: { max_key_age_days: 365 },
    });
    expect(refused.status).toBe(400);
    const before = await tenant.scan();
    expect(before.status, JSON.stringify(before.failure)).toBe('succeeded');

    // ...but it was saved under the previous bundle, which allowed it; a valid override sits beside it.
    const stale = await t.app.withTenant(tenant.tenantId, (trx) =>
      insertOverride(trx, tenant.tenantId, tenant.userId, {
        kind: 'params',
        rule_id: RULE,
        params: { max_key_age_days: 365 },
      }),
    );
    const fine = await tenant.call('POST', '/api/overrides', {
      kind: 'params',
      rule_id: RULE,
      params: { max_key_age_days: 30 },
    });
    expect(fine.status, JSON.stringify(fine.body)).toBe(201);

    const listed = await tenant.call('GET', '/api/overrides');
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        id: stale.id,
        valid: false,
        problems: [{ field: 'params.max_key_age_days', message: 'must be <= 180' }],
      }),
      expect.objectContaining({ id: fine.body.id, valid: true, problems: [] }),
    ]);

    const after = await tenant.scan();
    expect(after.status).toBe('succeeded');
    const errors = (after.errors as Json[]).filter((e) => e.code === 'OVERRIDE_INVALID');
    expect(errors).toEqual([
      expect.objectContaining({
        provider: 'complywise',
        operation: 'override:params',
        resource_id: stale.id,
      }),
    ]);
    expect(errors[0]!.message).toContain(stale.id);
    expect(errors[0]!.message).toContain('params.max_key_age_days: must be <= 180');
    // Only the valid override is in force: the set differs from "no overrides" and from "both".
    expect(after.overrides_hash).not.toBe(before.overrides_hash);

    await tenant.call('DELETE', `/api/overrides/${fine.body.id}`);
    const staleOnly = await tenant.scan();
    expect(staleOnly.status).toBe('succeeded');
    expect(staleOnly.overrides_hash).toBe(before.overrides_hash);
    expect((staleOnly.errors as Json[]).filter((e) => e.code === 'OVERRIDE_INVALID')).toHaveLength(1);
  }, 120_000);
});
