/**
 * Findings partitioned by month (migration 0027) under the real retention run, on both backends. Two
 * tenants ran a real scan; their findings are copied into older scans dated 13 to 15 months back, months
 * with no partition yet (the rows land in the DEFAULT partition). The run, as the retention role, creates
 * those months' partitions (moving the rows), drops the month only the pruned tenant's expired scan
 * occupies, and deletes row by row in the month a long-window tenant keeps alive and in the month a ledger
 * entry keeps one scan of.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3FixtureServer } from '../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../../test/db.ts';
import { startTestApp, type TestApp } from '../../test/helpers.ts';
import { scannedTenant, startMarkedSandbox, type ScannedTenant } from '../../test/scanned-tenant.ts';
import { runAsOwner, runAsRetention } from '../plugins/app/tenancy.ts';
import { ledgerHooks, runRetention, type RetentionReport } from './run.ts';
import { ensureFindingsPartitions } from './store.ts';

/** The 10th of the UTC month `back` months before this one, noon. */
const monthsBack = (back: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 10, 12));
};
/** The partition name of the month of `at` (migration 0027: findings_YYYYmMM). */
const partitionOf = (at: Date) =>
  `findings_${at.getUTCFullYear()}m${String(at.getUTCMonth() + 1).padStart(2, '0')}`;

describe.each(databaseBackends())('findings partitions under retention on $name', (backend) => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  let a: ScannedTenant;
  let b: ScannedTenant;
  /** A's expired scans: alone in month -14; in -13 next to B's long-window scan; in -15 next to `ledgerNamed`. */
  const scans = {} as Record<
    'aloneExpired' | 'besideLongWindow' | 'besideLedger' | 'ledgerNamed' | 'long',
    string
  >;
  const counts = {} as Record<keyof typeof scans, number>;
  let report: RetentionReport;

  /** Runs `work` as the owner with the tenant set. */
  const asOwner = <T>(tenantId: string, work: Parameters<typeof runAsOwner<T>>[2]) =>
    runAsOwner(t.database.knex, { tenantId }, work);

  /** A succeeded scan of the tenant's integration finished at `at`, with a copy of its real scan's findings. */
  async function pastScan(tenant: ScannedTenant, at: Date): Promise<[string, number]> {
    return asOwner(tenant.tenantId, async (trx) => {
      const real = await trx('scans').where({ id: tenant.scanId }).first();
      const [scan] = await trx('scans')
        .insert({
          tenant_id: tenant.tenantId,
          integration_id: real.integration_id,
          status: 'succeeded',
          bundle_revision: real.bundle_revision,
          created_at: at,
          started_at: at,
          finished_at: at,
          finding_counts: real.finding_counts,
        })
        .returning('id');
      const rows = (await trx('findings').where({ scan_id: tenant.scanId })) as Record<string, unknown>[];
      const copies = rows.map(({ id: _id, severity_rank: _rank, ...row }) => ({
        ...row,
        scan_id: scan.id,
        created_at: at,
      }));
      await trx('findings').insert(copies);
      return [scan.id as string, copies.length];
    });
  }

  /** Where the scan's findings are, partition by partition. */
  const partitionsOfScan = (tenantId: string, scanId: string) =>
    asOwner(tenantId, async (trx) =>
      (
        (await trx('findings')
          .select(trx.raw('tableoid::regclass::text as part'))
          .count({ n: '*' })
          .where({ scan_id: scanId })
          .groupBy('part')) as { part: string; n: string | number }[]
      ).map((r) => [r.part, Number(r.n)]),
    );
  const partitionExists = async (name: string) =>
    (await t.database.knex.raw<{ rows: { oid: unknown }[] }>(`select to_regclass(?) as oid`, [name])).rows[0]!
      .oid !== null;
  const scanRow = (tenantId: string, scanId: string) =>
    asOwner(tenantId, (trx) => trx('scans').where({ id: scanId }).first());

  beforeAll(async () => {
    t = await startTestApp(backend);
    sandbox = await startMarkedSandbox('partco');
    a = await scannedTenant(t, 'part-a', sandbox.url);
    b = await scannedTenant(t, 'part-b', sandbox.url);
  }, 240_000);
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  it('takes rows of a month without a partition in the DEFAULT one, then moves them into their month', async () => {
    [scans.aloneExpired, counts.aloneExpired] = await pastScan(a, monthsBack(14));
    [scans.besideLongWindow, counts.besideLongWindow] = await pastScan(a, monthsBack(13));
    [scans.long, counts.long] = await pastScan(b, monthsBack(13));
    [scans.besideLedger, counts.besideLedger] = await pastScan(a, monthsBack(15));
    [scans.ledgerNamed, counts.ledgerNamed] = await pastScan(a, monthsBack(15));
    expect(counts.aloneExpired).toBeGreaterThan(0);
    expect(await partitionsOfScan(a.tenantId, scans.aloneExpired)).toEqual([
      ['findings_default', counts.aloneExpired],
    ]);
    expect(await partitionExists(partitionOf(monthsBack(14)))).toBe(false);
    // The real scans finished now: their month was made ahead.
    expect(await partitionsOfScan(a.tenantId, a.scanId)).toEqual([
      [partitionOf(new Date()), expect.any(Number)],
    ]);

    // What each retention run and worker start do first, as the retention role.
    const created = await runAsRetention(t.database.knex, '', (trx) => ensureFindingsPartitions(trx, 3));
    expect(created).toBe(3); // months -15, -14 and -13; the current and next three exist already
    const expected: [keyof typeof scans, string, number][] = [
      ['aloneExpired', a.tenantId, 14],
      ['besideLongWindow', a.tenantId, 13],
      ['long', b.tenantId, 13],
      ['besideLedger', a.tenantId, 15],
      ['ledgerNamed', a.tenantId, 15],
    ];
    for (const [scan, tenantId, back] of expected) {
      expect(await partitionsOfScan(tenantId, scans[scan]), scan).toEqual([
        [partitionOf(monthsBack(back)), counts[scan]],
      ]);
    }
    // Nothing stayed behind in the DEFAULT partition, and a second call has nothing to do.
    expect(await runAsRetention(t.database.knex, '', (trx) => ensureFindingsPartitions(trx, 3))).toBe(0);
  });

  it('drops the month every tenant is done with; deletes row by row where a window or the ledger keeps some', async () => {
    await t.app.withTenant(a.tenantId, (trx) =>
      t.app.ledger.append(trx, a.tenantId, [
        { kind: 'report.generated', actor: 'test', payload: { scan_id: scans.ledgerNamed } },
      ]),
    );
    await t.app.retention.update(a.tenantId, 'test', { findings_days: 300, audit_log_days: 1 });
    await t.app.retention.update(b.tenantId, 'test', { findings_days: 36500 });
    const ownFindings = await asOwner(a.tenantId, (trx) => trx('findings').count({ n: '*' }));

    report = await runRetention(
      { knex: t.database.knex, store: t.app.evidenceStore, ...ledgerHooks(t.app.ledger, t.app.withTenant) },
      new Date(),
    );
    expect(report.tenants.filter((r) => r.error)).toEqual([]);
    expect(report.partitions_dropped).toEqual([partitionOf(monthsBack(14))]);
    expect(await partitionExists(partitionOf(monthsBack(14)))).toBe(false);
    const deleted = counts.aloneExpired + counts.besideLongWindow + counts.besideLedger;
    expect(report.tenants.find((r) => r.tenant_id === a.tenantId)).toMatchObject({
      findings_deleted: deleted,
      findings_partitions_dropped: [partitionOf(monthsBack(14))],
    });
    expect(report.tenants.find((r) => r.tenant_id === b.tenantId)).toMatchObject({
      findings_deleted: 0,
      findings_partitions_dropped: [],
    });
    const left = await asOwner(a.tenantId, (trx) => trx('findings').count({ n: '*' }));
    expect(Number(left[0]!.n)).toBe(Number(ownFindings[0]!.n) - deleted);

    // Month -13 lives on for B's long window; A's rows in it went one by one.
    expect(await partitionsOfScan(b.tenantId, scans.long)).toEqual([
      [partitionOf(monthsBack(13)), counts.long],
    ]);
    expect(await partitionsOfScan(a.tenantId, scans.besideLongWindow)).toEqual([]);
    // Month -15 lives on for the scan the ledger names; the other scan's rows went.
    expect(await partitionsOfScan(a.tenantId, scans.ledgerNamed)).toEqual([
      [partitionOf(monthsBack(15)), counts.ledgerNamed],
    ]);
    expect(await partitionsOfScan(a.tenantId, scans.besideLedger)).toEqual([]);
    // The real scan, inside the window, keeps its findings.
    expect((await partitionsOfScan(a.tenantId, a.scanId)).length).toBe(1);

    // Recorded counts are forgotten for every scan whose findings went, the dropped month's included.
    for (const scan of ['aloneExpired', 'besideLongWindow', 'besideLedger'] as const)
      expect((await scanRow(a.tenantId, scans[scan])).finding_counts, scan).toBeNull();
    expect((await scanRow(a.tenantId, scans.ledgerNamed)).finding_counts).not.toBeNull();
    expect((await scanRow(b.tenantId, scans.long)).finding_counts).not.toBeNull();

    // The tenant's ledger says what went, the dropped partition included.
    const applied = await asOwner(a.tenantId, (trx) =>
      trx('ledger_entries').where({ tenant_id: a.tenantId, kind: 'retention.applied' }).first(),
    );
    expect(applied.payload).toMatchObject({
      findings_deleted: deleted,
      findings_partitions_dropped: [partitionOf(monthsBack(14))],
    });
  });

  it('drops the month a long window kept once that tenant is done with it too', async () => {
    await t.app.retention.update(b.tenantId, 'test', { findings_days: 300 });
    const again = await runRetention(
      { knex: t.database.knex, store: t.app.evidenceStore, ...ledgerHooks(t.app.ledger, t.app.withTenant) },
      new Date(),
    );
    expect(again.partitions_dropped).toEqual([partitionOf(monthsBack(13))]);
    expect(again.tenants.find((r) => r.tenant_id === b.tenantId)).toMatchObject({
      findings_deleted: counts.long,
      findings_partitions_dropped: [partitionOf(monthsBack(13))],
    });
    expect(await partitionExists(partitionOf(monthsBack(13)))).toBe(false);
    // The ledger still keeps month -15.
    expect(await partitionExists(partitionOf(monthsBack(15)))).toBe(true);
  });
});
