/**
 * Migration 0028 gives the findings written before 0027 their scan's created_at, so the reads that name a
 * scan's created_at (to read only its month partition) still find them: a scan created late in one month
 * whose findings were written early in the next, as the pipeline before 0027 stored them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseBackends, type TestDatabase } from '../../test/db.ts';
import { findingsOf } from '../src/scans/store.ts';
import { runAsApp } from '../src/plugins/app/tenancy.ts';
import { openDatabase, type Database } from '../src/plugins/external/db.ts';
import { insertBareTenant } from '../test/bare-tenant.ts';
import { migrateBefore } from '../test/migrate-before.ts';
import { migrationSource } from './index.ts';

describe.each(databaseBackends())('migration 0028 on $name', (backend) => {
  let testDb: TestDatabase;
  let db: Database;
  const tenantId = randomUUID();
  const integrationId = randomUUID();
  const scanId = randomUUID();
  const now = new Date();
  /** The scan: created on the 28th two months back; its findings written on the 2nd of the month after. */
  const created = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 28, 23, 59, 59, 123));
  const written = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 2, 0, 30));
  const monthOf = (at: Date) =>
    `findings_${at.getUTCFullYear()}m${String(at.getUTCMonth() + 1).padStart(2, '0')}`;

  beforeAll(async () => {
    testDb = await createTestDatabase(backend, { empty: true });
    db = await openDatabase({ databaseUrl: testDb.databaseUrl, pgliteDir: null });
    const knex = db.knex;
    await migrateBefore(knex, '0028_findings_scan_times');
    await insertBareTenant(knex, { tenantId, integrationId, slug: 'times' });
    await knex('scans').insert({
      id: scanId,
      tenant_id: tenantId,
      integration_id: integrationId,
      status: 'succeeded',
      created_at: created,
      finished_at: written,
    });
    await knex('findings').insert(
      ['CW-AWS-S3-001', 'CW-AWS-S3-002'].map((rule_id) => ({
        tenant_id: tenantId,
        scan_id: scanId,
        rule_id,
        rule_version: '1.0.0',
        rule_hash: 'a'.repeat(64),
        bundle_revision: 'r1',
        resource_id: 'arn:aws:s3:::old',
        resource_type: 'aws.s3.bucket',
        status: 'fail',
        severity: 'high',
        message: `${rule_id} before 0027`,
        created_at: written,
      })),
    );
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  const partsOfScan = async () =>
    (
      (await db
        .knex('findings')
        .select(
          db.knex.raw('tableoid::regclass::text as part'),
          db.knex.raw('created_at = ? as at_scan', [created]),
        )
        .where({ scan_id: scanId })) as { part: string; at_scan: boolean }[]
    ).map((r) => [r.part, r.at_scan]);

  it('moves the findings to their scan’s created_at and month, where the reads of the scan find them', async () => {
    expect(await partsOfScan()).toEqual([
      ['findings_default', false],
      ['findings_default', false],
    ]);
    const read = () => runAsApp(db.knex, { tenantId }, (trx) => findingsOf(trx, scanId));
    expect(await read()).toEqual([]);

    await db.knex.migrate.up({ migrationSource });

    expect(await partsOfScan()).toEqual([
      [monthOf(created), true],
      [monthOf(created), true],
    ]);
    expect((await read()).map((f) => f.message)).toEqual([
      'CW-AWS-S3-001 before 0027',
      'CW-AWS-S3-002 before 0027',
    ]);
  });
});
