/**
 * Migration 0014 turns the per-scan score snapshots stored before it into the tenant's first scoring events
 * (`migrated`, oldest first), so score history goes on after the upgrade.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBareTenant } from '../test/bare-tenant.ts';
import { migrateBefore } from '../test/migrate-before.ts';
import { createTestDatabase, databaseBackends, type TestDatabase } from '../../test/db.ts';
import { openDatabase, type Database } from '../src/plugins/external/db.ts';
import { migrationSource } from './index.ts';

describe.each(databaseBackends())('migration 0014 on $name', (backend) => {
  let testDb: TestDatabase;
  let db: Database;
  const tenant = randomUUID();
  const integration = randomUUID();
  const scans = [randomUUID(), randomUUID(), randomUUID()];

  beforeAll(async () => {
    testDb = await createTestDatabase(backend, { empty: true });
    db = await openDatabase({ databaseUrl: testDb.databaseUrl, pgliteDir: null });
    const knex = db.knex;
    // Every migration before 0014, then data as an older version stored it.
    await migrateBefore(knex, '0014_posture');
    await insertBareTenant(knex, { tenantId: tenant, integrationId: integration, slug: 'old' });
    // Two succeeded scans with scores (the second one newer), and a failed one without.
    for (const [i, id] of scans.entries()) {
      await knex('scans').insert({
        id,
        tenant_id: tenant,
        integration_id: integration,
        status: i === 2 ? 'failed' : 'succeeded',
        finished_at: new Date(Date.UTC(2026, 0, 1 + i)),
      });
    }
    for (const [i, id] of scans.slice(0, 2).entries()) {
      await knex('framework_scores').insert({
        tenant_id: tenant,
        scan_id: id,
        framework_id: 'soc2',
        framework_version: '2017',
        title: 'SOC 2',
        score: i === 0 ? 0.25 : 0.5,
        passed: 1,
        failed: i === 0 ? 3 : 1,
        not_applicable: 0,
        requirements: '[]',
      });
    }
    await knex.migrate.latest({ migrationSource });
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  it('records one migrated event per succeeded scan with scores, oldest first, with its scores', async () => {
    const events = await db.knex('scoring_events').where({ tenant_id: tenant }).orderBy('seq');
    expect(events.map((e) => [e.id, e.reason, e.integration_id, e.scan_id])).toEqual([
      [scans[0], 'migrated', integration, scans[0]],
      [scans[1], 'migrated', integration, scans[1]],
    ]);
    expect(events[1].sources).toEqual([
      expect.objectContaining({ integration_id: integration, scan_id: scans[1] }),
    ]);
    const scores = await db.knex('posture_scores').where({ tenant_id: tenant }).orderBy('score');
    expect(scores.map((s) => [s.event_id, s.framework_id, s.score, s.failed])).toEqual([
      [scans[0], 'soc2', 0.25, 3],
      [scans[1], 'soc2', 0.5, 1],
    ]);
  });
});
