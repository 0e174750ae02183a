/**
 * Reads that name a scan visit only its month partition of `findings` (migration 0027, issue 18), on both
 * backends. One integration scanned in three months (two months back, one month back, this month); its
 * findings were written by the product's upsert. Each read runs as the product issues it; every statement it
 * sent that names `findings` is then run again under EXPLAIN ANALYZE, and the findings partitions the plan
 * actually executed are compared with the scan's own month. A partition run-time pruning skipped shows as
 * "never executed" (no loops); one planning pruned is absent.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBareTenant } from '../../test/bare-tenant.ts';
import { createTestDatabase, databaseBackends, type TestDatabase } from '../../../test/db.ts';
import { explorerPage } from '../explorer/store.ts';
import type { ScanSource } from '../explorer/types.ts';
import type { SortKey } from '../pagination.ts';
import { runAsApp, runAsOwner, type Trx } from '../plugins/app/tenancy.ts';
import type { Database } from '../plugins/external/db.ts';
import { evidenceCountsByRule } from '../reports/store.ts';
import { ensureFindingsPartitions } from '../retention/store.ts';
import {
  findingCountsOfScans,
  findingPage,
  findingsOf,
  findingsOfScans,
  upsertResults,
  type StoredFinding,
} from './store.ts';

/** Noon on the 10th of the UTC month `back` months before this one. */
const monthsBack = (back: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 10, 12));
};
/** The partition name of the month of `at` (migration 0027: findings_YYYYmMM). */
const partitionOf = (at: Date) =>
  `findings_${at.getUTCFullYear()}m${String(at.getUTCMonth() + 1).padStart(2, '0')}`;

/** Rule, then resource, then id: the order of a scan's findings page. */
const BY_RULE: SortKey[] = [
  { column: 'rule_id', direction: 'asc' },
  { column: 'resource_id', direction: 'asc' },
  { column: 'id', direction: 'asc' },
];

interface PlanNode {
  'Relation Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

/** The relations a plan node and those under it read at least once. */
function executedRelations(node: PlanNode, into: Set<string>): Set<string> {
  if (node['Relation Name'] && (node['Actual Loops'] ?? 0) > 0) into.add(node['Relation Name']);
  for (const child of node.Plans ?? []) executedRelations(child, into);
  return into;
}

describe.each(databaseBackends())('reads of a scan prune the findings partitions on $name', (backend) => {
  let testDb: TestDatabase;
  let db: Database;
  const tenantId = randomUUID();
  const integrationId = randomUUID();
  /** Oldest first: two months back, one month back, this month. */
  const scans = [
    { id: randomUUID(), at: monthsBack(2) },
    { id: randomUUID(), at: monthsBack(1) },
    { id: randomUUID(), at: monthsBack(0) },
  ];

  /** Two rules on three buckets; the middle scan fails a bucket the first passed (a new failure). */
  const findingsOfScan = (index: number): StoredFinding[] =>
    ['CW-AWS-S3-001', 'CW-AWS-S3-002'].flatMap((rule_id) =>
      [0, 1, 2].map((bucket) => ({
        rule_id,
        rule_version: '1.0.0',
        rule_hash: 'a'.repeat(64),
        bundle_revision: 'r1',
        resource_id: `arn:aws:s3:::bucket-${bucket}`,
        resource_type: 'aws.s3.bucket',
        status: bucket === 0 || (bucket === 1 && index > 0) ? 'fail' : 'pass',
        severity: 'high',
        message: `bucket ${bucket} in scan ${index}`,
        evidence_sha256: null,
      })),
    );

  beforeAll(async () => {
    testDb = await createTestDatabase(backend);
    db = await testDb.open();
    await runAsOwner(db.knex, { tenantId }, async (trx) => {
      await insertBareTenant(trx, { tenantId, integrationId, slug: 'prune' });
      for (const [index, scan] of scans.entries()) {
        await trx('scans').insert({
          id: scan.id,
          tenant_id: tenantId,
          integration_id: integrationId,
          status: 'running',
          created_at: scan.at,
          started_at: scan.at,
        });
        const places = new Map(
          [0, 1, 2].map((b) => [
            `arn:aws:s3:::bucket-${b}`,
            { name: `bucket-${b}`, account: '1', region: 'eu-west-1' },
          ]),
        );
        await upsertResults(trx, tenantId, scan.id, findingsOfScan(index), places, []);
        await trx('scans').where({ id: scan.id }).update({ status: 'succeeded', finished_at: scan.at });
      }
      // The months two and one back had no partition: their rows went to DEFAULT and move into their own.
      await ensureFindingsPartitions(trx, 3);
    });
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  /**
   * The findings partitions the statements `read` sends (those naming `findings`) execute, each statement run
   * again under EXPLAIN ANALYZE in the same transaction with the same parameters.
   */
  async function partitionsRead(read: (trx: Trx) => Promise<unknown>): Promise<string[]> {
    return runAsApp(db.knex, { tenantId }, async (trx) => {
      const sent: { sql: string; bindings: unknown[] }[] = [];
      const listen = (query: { sql: string; bindings?: unknown[] }) => {
        if (/\bfindings\b/i.test(query.sql)) sent.push({ sql: query.sql, bindings: query.bindings ?? [] });
      };
      db.knex.on('query', listen);
      try {
        await read(trx);
      } finally {
        db.knex.off('query', listen);
      }
      expect(sent.length).toBeGreaterThan(0);
      const read_ = new Set<string>();
      for (const statement of sent) {
        // Sent with positional parameters ($1); knex binds `?` in order.
        const bindings: unknown[] = [];
        const sql = statement.sql.replace(/\$(\d+)/g, (_, n: string) => {
          bindings.push(statement.bindings[Number(n) - 1]);
          return '?';
        });
        const { rows } = await trx.raw<{ rows: { 'QUERY PLAN': unknown }[] }>(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`,
          bindings as Knex.RawBinding[],
        );
        const plan = rows[0]!['QUERY PLAN'];
        const [root] = (typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan: PlanNode }[];
        executedRelations(root!.Plan, read_);
      }
      return [...read_].filter((name) => name.startsWith('findings')).sort();
    });
  }

  it('has one month partition per scan, and more months besides', async () => {
    const parts = await runAsOwner(
      db.knex,
      { tenantId },
      async (trx) =>
        (await trx('findings')
          .select(trx.raw('tableoid::regclass::text as part'))
          .count({ n: '*' })
          .groupBy('part')
          .orderBy('part')) as { part: string; n: string | number }[],
    );
    expect(parts.map((p) => [p.part, Number(p.n)])).toEqual(scans.map((s) => [partitionOf(s.at), 6]));
  });

  it('reads one scan’s findings (all, a page, its counts, its evidence) from its month only', async () => {
    for (const scan of scans) {
      const only = [partitionOf(scan.at)];
      expect(await partitionsRead((trx) => findingsOf(trx, scan.id))).toEqual(only);
      expect(
        await partitionsRead((trx) => findingPage(trx, scan.id, { limit: 2, status: 'fail' }, BY_RULE, null)),
      ).toEqual(only);
      expect(await partitionsRead((trx) => evidenceCountsByRule(trx, scan.id))).toEqual(only);
    }
    // What the reads return is unchanged: the scan's own six findings.
    const rows = await runAsApp(db.knex, { tenantId }, (trx) => findingsOf(trx, scans[1]!.id));
    expect(rows.map((r) => r.message)).toEqual(findingsOfScan(1).map((f) => f.message));
  });

  it('reads several scans’ findings from their months only', async () => {
    const ids = [scans[0]!.id, scans[2]!.id];
    const expected = [partitionOf(scans[0]!.at), partitionOf(scans[2]!.at)].sort();
    expect(await partitionsRead((trx) => findingsOfScans(trx, ids))).toEqual(expected);
    // Counted from the findings when the scans recorded none.
    await runAsOwner(db.knex, { tenantId }, (trx) =>
      trx('scans').whereIn('id', ids).update({ finding_counts: null }),
    );
    expect(await partitionsRead((trx) => findingCountsOfScans(trx, ids))).toEqual(expected);
    const counts = await runAsApp(db.knex, { tenantId }, (trx) => findingCountsOfScans(trx, [scans[2]!.id]));
    expect(counts.get(scans[2]!.id)).toEqual({ pass: 2, fail: 4, not_applicable: 0, error: 0, excepted: 0 });
  });

  it('reads an explorer page of one scan, and its probe of the previous scan, from those two months only', async () => {
    const source: ScanSource = {
      scan_id: scans[1]!.id,
      integration_id: integrationId,
      integration_name: 'aws',
      provider: 'aws',
      previous_scan_id: scans[0]!.id,
      // The probe of the previous scan's failures, as for a scan stored before migration 0023.
      new_failures_recorded: false,
    };
    const page = (trx: Trx) =>
      explorerPage(trx, [source], { new_since_last_scan: true }, undefined, BY_RULE, null, 10);
    expect(await partitionsRead(page)).toEqual([partitionOf(scans[0]!.at), partitionOf(scans[1]!.at)].sort());
    // Bucket 1 failed in the middle scan and passed in the first: new, for both rules.
    const rows = await runAsApp(db.knex, { tenantId }, page);
    expect(rows.map((r) => [r.rule_id, r.resource_id])).toEqual([
      ['CW-AWS-S3-001', 'arn:aws:s3:::bucket-1'],
      ['CW-AWS-S3-002', 'arn:aws:s3:::bucket-1'],
    ]);
    // Without a probe: the scan's own month.
    const recorded = (trx: Trx) =>
      explorerPage(trx, [{ ...source, new_failures_recorded: true }], {}, undefined, BY_RULE, null, 10);
    expect(await partitionsRead(recorded)).toEqual([partitionOf(scans[1]!.at)]);
  });
});
