/**
 * Retention of one tenant's expired months of findings, two ways on PostgreSQL (migration 0027):
 *   - rows: the months are kept alive by another tenant's row in each, so the run deletes the expired
 *     findings row by row (deleteOldFindings, as the retention role);
 *   - drop: nobody else is in them, so the run drops each month partition whole
 *     (dropExpiredFindingsPartitions, as the retention role).
 * Each round seeds a fresh database the same way (MONTHS months of ROWS findings each, plus the current
 * month's), runs one variant, and reports its wall time, the WAL written meanwhile (pg_current_wal_lsn:
 * cluster-wide, so other sessions' WAL is included) and the findings' on-disk size before and after.
 * Rounds alternate between the variants so load drifts hit both.
 *
 *   node bench/retention/partitions.ts [MONTHS=3] [ROWS=100000] [ROUNDS=2]
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import type { Knex } from 'knex';
import { createTestDatabase } from '../../test/db.ts';
import { runAsOwner, runAsRetention } from '../../api/src/plugins/app/tenancy.ts';
import { dropExpiredFindingsPartitions } from '../../api/src/retention/run.ts';
import {
  deleteOldFindings,
  ensureFindingsPartitions,
  type RetentionRow,
} from '../../api/src/retention/store.ts';

const [months = 3, rowsPerMonth = 100_000, rounds = 2] = process.argv.slice(2).map(Number);
process.env.COMPLYWISE_TEST_POSTGRES_URL ??= 'postgres://root@127.0.0.1:5432/test';
const DAY = 24 * 60 * 60 * 1000;

/** The 10th of the UTC month `back` months ago. */
const monthsBack = (back: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 10, 12));
};

/** A tenant with one integration; `scanAt` gets one succeeded scan each with `rows` findings created then. */
async function seedTenant(knex: Knex, scanAt: Date[], rows: number): Promise<string> {
  const tenantId = randomUUID();
  await runAsOwner(knex, { tenantId }, async (trx) => {
    await trx('tenants').insert({ id: tenantId, slug: `t-${tenantId.slice(0, 8)}`, name: 'bench' });
    await trx('tenant_keys').insert({
      tenant_id: tenantId,
      key_version: 1,
      master_key_id: 'bench',
      wrapped_key: 'w',
      wrap_iv: 'i',
      wrap_tag: 't',
    });
    const [integration] = await trx('integrations')
      .insert({
        tenant_id: tenantId,
        provider: 'aws',
        name: 'bench',
        credentials_ciphertext: 'c',
        credentials_iv: 'i',
        credentials_tag: 't',
        key_version: 1,
      })
      .returning('id');
    for (const at of scanAt) {
      const [scan] = await trx('scans')
        .insert({
          tenant_id: tenantId,
          integration_id: integration.id,
          status: 'succeeded',
          created_at: at,
          started_at: at,
          finished_at: at,
          finding_counts: JSON.stringify({ pass: rows }),
        })
        .returning('id');
      // Shaped like a scan's findings: 2.7 per resource, one message each.
      await trx.raw(
        `insert into findings (tenant_id, scan_id, rule_id, rule_version, rule_hash, bundle_revision, resource_id,
           resource_type, status, severity, message, created_at)
         select ?, ?, 'CW-AWS-S3-00' || (i % 3), '1.0.0', repeat('a', 64), 'r1',
           'arn:aws:s3:::bucket-' || (i / 3), 'aws.s3.bucket', case when i % 4 = 0 then 'fail' else 'pass' end,
           'high', 'bucket ' || i || ' checked', ?
         from generate_series(1, ?) as i`,
        [tenantId, scan.id, at, rows],
      );
    }
  });
  return tenantId;
}

const findingsBytes = async (knex: Knex) =>
  Number(
    (
      await knex.raw<{ rows: { n: string }[] }>(
        `select coalesce(sum(pg_total_relation_size(inhrelid)), 0) as n from pg_inherits
          where inhparent = 'findings'::regclass`,
      )
    ).rows[0]!.n,
  );
const walLsn = async (knex: Knex) =>
  (await knex.raw<{ rows: { lsn: string }[] }>(`select pg_current_wal_lsn()::text as lsn`)).rows[0]!.lsn;
const walSince = async (knex: Knex, lsn: string) =>
  Number(
    (await knex.raw<{ rows: { n: string }[] }>(`select pg_wal_lsn_diff(pg_current_wal_lsn(), ?) as n`, [lsn]))
      .rows[0]!.n,
  );

interface Result {
  variant: 'rows' | 'drop';
  ms: number;
  walMiB: number;
  beforeMiB: number;
  afterMiB: number;
  deleted: number;
}

async function round(variant: Result['variant']): Promise<Result> {
  const testDb = await createTestDatabase({ name: 'postgres' });
  const db = await testDb.open();
  try {
    const old = Array.from({ length: months }, (_, i) => monthsBack(i + 2));
    const tenantId = await seedTenant(db.knex, [...old, new Date()], rowsPerMonth);
    // Another tenant without settings (keeps everything) with a little in each expired month.
    if (variant === 'rows') await seedTenant(db.knex, old, 10);
    await runAsRetention(db.knex, '', (trx) => ensureFindingsPartitions(trx, 3));
    await db.knex.raw(`vacuum analyze findings`);
    await db.knex.raw(`checkpoint`);
    const settings = {
      tenant_id: tenantId,
      findings_days: 30,
      legal_hold: false,
      audit_log_days: null,
    } as RetentionRow;
    const now = new Date();
    const beforeBytes = await findingsBytes(db.knex);
    const lsn = await walLsn(db.knex);
    const started = performance.now();
    const dropped = await dropExpiredFindingsPartitions({ knex: db.knex }, [settings], now);
    const rowDeletes = await runAsRetention(db.knex, tenantId, (trx) =>
      deleteOldFindings(trx, tenantId, new Date(now.getTime() - 30 * DAY), '-infinity'),
    );
    const ms = performance.now() - started;
    const wal = await walSince(db.knex, lsn);
    return {
      variant,
      ms: Math.round(ms),
      walMiB: +(wal / 2 ** 20).toFixed(1),
      beforeMiB: +(beforeBytes / 2 ** 20).toFixed(1),
      afterMiB: +((await findingsBytes(db.knex)) / 2 ** 20).toFixed(1),
      deleted: rowDeletes + (dropped.byTenant.get(tenantId)?.findings ?? 0),
    };
  } finally {
    await db.close();
    await testDb.drop();
  }
}

const results: Result[] = [];
for (let i = 0; i < rounds; i++) {
  for (const variant of i % 2 === 0 ? (['rows', 'drop'] as const) : (['drop', 'rows'] as const)) {
    const result = await round(variant);
    results.push(result);
    console.log(JSON.stringify({ ...result, load: loadavg()[0]!.toFixed(1) }));
  }
}
const best = (variant: Result['variant']) =>
  Math.min(...results.filter((r) => r.variant === variant).map((r) => r.ms));
const wal = (variant: Result['variant']) =>
  Math.min(...results.filter((r) => r.variant === variant).map((r) => r.walMiB));
console.log(
  `${months} months x ${rowsPerMonth} findings expired: rows ${best('rows')} ms, ${wal('rows')} MiB WAL; ` +
    `drop ${best('drop')} ms, ${wal('drop')} MiB WAL; drop/rows time ${(best('drop') / best('rows')).toFixed(3)}`,
);
