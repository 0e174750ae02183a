/**
 * The findings statements of a scan's persist, alone (issue 18; not a test). In a database of its own (a copy
 * of the migrated test template, so the schema is the product's), one tenant, its evidence rows and one scan;
 * then, trial after trial, the product's own `upsertResults` (api/src/scans/store.ts: rows sorted by rule and
 * resource, statements of 5,000, the new-failure probe, the upsert) writes `--findings` synthetic findings in
 * one transaction, and the backend's CPU for it is read from /proc/<pid>/stat (utime + stime), so the other
 * work on the machine inflates it little. Between trials the findings are truncated and the indexes set to
 * the trial's variant, the variants in the order given, then reversed, and so on (a, b, b, a, a, b, ...).
 *
 * The variants are index sets: `migrated` (the seven indexes and the foreign keys of migrations 0027-0028),
 * `merged` (the explorer's resource index merged into the natural key, reordered resource first),
 * `resource-narrow` (migration 0029's resource index, on (tenant_id, scan_id, resource_id) only), and variants that leave one
 * part out (`no-resource`, `no-evidence-idx`, `no-fks`) to say what that part costs.
 *
 *   node bench/scale/findings-insert.ts [--findings 271000] [--rounds 2] [--variants migrated,merged]
 * PostgreSQL (must be local: the backend's /proc entry is read): COMPLYWISE_BENCH_POSTGRES_URL, else
 * COMPLYWISE_TEST_POSTGRES_URL, else root@127.0.0.1/test; the database runs as its superuser, without RLS.
 */
import { createHash, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import knexFactory, { type Knex } from 'knex';
import type { Trx } from '../../api/src/plugins/app/tenancy.ts';
import { upsertResults, type ResourcePlace, type StoredFinding } from '../../api/src/scans/store.ts';
import { createTestDatabase } from '../../test/db.ts';
import { cpuSeconds } from './harness.ts';

const { values: args } = parseArgs({
  options: {
    findings: { type: 'string', default: '271000' },
    rounds: { type: 'string', default: '2' },
    variants: { type: 'string', default: 'migrated,merged' },
  },
});
const FINDINGS = Number(args.findings);
const ROUNDS = Number(args.rounds);
const VARIANT_NAMES = args.variants.split(',');

const NATURAL_0028 = `(tenant_id, scan_id, rule_id, resource_id, created_at)`;
const NATURAL_RESOURCE_FIRST = `(tenant_id, scan_id, resource_id, rule_id, created_at)`;
const OTHERS = {
  evidence: `CREATE INDEX findings_evidence_idx ON findings (tenant_id, evidence_sha256)`,
  exception: `CREATE INDEX findings_exception_id ON findings (tenant_id, exception_id) WHERE exception_id IS NOT NULL`,
  severity: `CREATE INDEX findings_explorer_severity ON findings (tenant_id, scan_id, severity_rank, rule_id, resource_id)`,
  resource: `CREATE INDEX findings_explorer_resource ON findings (tenant_id, scan_id, resource_id, rule_id)`,
  resourceNarrow: `CREATE INDEX findings_explorer_resource ON findings (tenant_id, scan_id, resource_id)`,
  type: `CREATE INDEX findings_explorer_type ON findings (tenant_id, scan_id, resource_type, rule_id, resource_id)`,
  newFailures: `CREATE INDEX findings_new_failures ON findings (tenant_id, scan_id, severity_rank, rule_id, resource_id) WHERE new_failure`,
};
const FKS = [
  `ALTER TABLE findings ADD CONSTRAINT findings_scan FOREIGN KEY (tenant_id, scan_id) REFERENCES scans (tenant_id, id) ON DELETE CASCADE`,
  `ALTER TABLE findings ADD CONSTRAINT findings_evidence FOREIGN KEY (tenant_id, evidence_sha256) REFERENCES evidence (tenant_id, sha256)`,
];

interface Variant {
  natural: string;
  others: (keyof typeof OTHERS)[];
  foreignKeys: boolean;
}
const ALL: (keyof typeof OTHERS)[] = ['evidence', 'exception', 'severity', 'resource', 'type', 'newFailures'];
const without = (name: keyof typeof OTHERS) => ALL.filter((n) => n !== name);
const VARIANTS: Record<string, Variant> = {
  migrated: { natural: NATURAL_0028, others: ALL, foreignKeys: true },
  merged: { natural: NATURAL_RESOURCE_FIRST, others: without('resource'), foreignKeys: true },
  'resource-narrow': {
    natural: NATURAL_0028,
    others: ALL.map((n) => (n === 'resource' ? 'resourceNarrow' : n)),
    foreignKeys: true,
  },
  'no-resource': { natural: NATURAL_0028, others: without('resource'), foreignKeys: true },
  'no-evidence-idx': { natural: NATURAL_0028, others: without('evidence'), foreignKeys: true },
  'no-fks': { natural: NATURAL_0028, others: ALL, foreignKeys: false },
};
for (const name of VARIANT_NAMES) if (!VARIANTS[name]) throw new Error(`unknown variant ${name}`);

/** Sets findings' indexes and foreign keys to `variant` (the table is empty, so this is instant). */
async function applyVariant(knex: Knex, variant: Variant): Promise<void> {
  await knex.raw(`TRUNCATE findings`);
  await knex.raw(`ALTER TABLE findings DROP CONSTRAINT IF EXISTS findings_scan, DROP CONSTRAINT IF EXISTS findings_evidence,
    DROP CONSTRAINT IF EXISTS findings_natural_key`);
  for (const sql of new Set(Object.values(OTHERS).map((sql) => sql.split(' ')[2]))) {
    await knex.raw(`DROP INDEX IF EXISTS ${sql}`);
  }
  await knex.raw(`ALTER TABLE findings ADD CONSTRAINT findings_natural_key UNIQUE ${variant.natural}`);
  for (const name of variant.others) await knex.raw(OTHERS[name]);
  if (variant.foreignKeys) for (const sql of FKS) await knex.raw(sql);
  await knex.raw(`CHECKPOINT`);
}

/** The scan's synthetic findings: 20 resource types of FINDINGS / 54 resources, each checked by 2-4 rules. */
function syntheticFindings(tenantShort: string): {
  findings: StoredFinding[];
  resources: Map<string, ResourcePlace>;
  hashes: string[];
} {
  const severities = ['critical', 'high', 'medium', 'low', 'info'];
  const types = Array.from({ length: 20 }, (_, t) => ({
    type: `AWS::Service${String(t).padStart(2, '0')}::Thing`,
    rules: Array.from(
      { length: 2 + (t % 3) },
      (_, r) => `CW-AWS-S${String(t).padStart(2, '0')}-${String(r + 1).padStart(3, '0')}`,
    ),
  }));
  const perType = Math.ceil(FINDINGS / types.reduce((n, t) => n + t.rules.length, 0));
  const findings: StoredFinding[] = [];
  const resources = new Map<string, ResourcePlace>();
  const hashes: string[] = [];
  // The engine's order: type by type, rule by rule within it (upsertResults sorts them itself).
  for (const [t, { type, rules }] of types.entries()) {
    const ids = Array.from({ length: perType }, (_, i) => {
      const id = `arn:aws:service${t}:eu-west-1:123456789012:thing/${tenantShort}-${createHash('md5').update(`${t}/${i}`).digest('hex').slice(0, 12)}`;
      const sha = createHash('sha256').update(id).digest('hex');
      resources.set(id, { name: id.split('/')[1]!, account: '123456789012', region: 'eu-west-1' });
      hashes.push(sha);
      return [id, sha] as const;
    });
    for (const [r, rule] of rules.entries()) {
      for (const [i, [id, sha]] of ids.entries()) {
        if (findings.length >= FINDINGS) break;
        const fail = (i * 7 + r) % 3 === 0;
        findings.push({
          rule_id: rule,
          rule_version: '1.0.0',
          rule_hash: createHash('sha256').update(rule).digest('hex'),
          bundle_revision: 'bench-revision-0001',
          resource_id: id,
          resource_type: type,
          status: fail ? 'fail' : 'pass',
          severity: severities[(t + r) % severities.length]!,
          message: fail ? `${type} ${id} does not meet ${rule}: the setting is off` : `${rule} holds`,
          evidence_sha256: sha,
          exception_id: null,
        } as StoredFinding);
      }
    }
  }
  return { findings, resources, hashes };
}

process.env.COMPLYWISE_TEST_POSTGRES_URL ??=
  process.env.COMPLYWISE_BENCH_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/test';
const testDb = await createTestDatabase({ name: 'postgres' });
const knex = knexFactory({ client: 'pg', connection: testDb.databaseUrl!, pool: { min: 1, max: 1 } });
try {
  const tenantId = randomUUID();
  await knex.raw(`INSERT INTO tenants (id, slug, name) VALUES (?, ?, ?)`, [
    tenantId,
    'bench-persist',
    'Bench persist',
  ]);
  const [integration] = (await knex('integrations')
    .insert({ tenant_id: tenantId, provider: 'aws', name: 'bench', archived_at: knex.fn.now() }) // archived: no credentials
    .returning('id')) as { id: string }[];
  const { findings, resources, hashes } = syntheticFindings(tenantId.slice(0, 8));
  for (let i = 0; i < hashes.length; i += 5000) {
    await knex.raw(
      `INSERT INTO evidence (tenant_id, sha256, size, content_type) SELECT ?, h, 100, 'application/json' FROM unnest(?::text[]) h`,
      [tenantId, hashes.slice(i, i + 5000)],
    );
  }
  console.log(
    `${findings.length} findings on ${resources.size} resources; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const order: string[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    order.push(...(round % 2 === 0 ? VARIANT_NAMES : [...VARIANT_NAMES].reverse()));
  }
  const results: Record<string, number[]> = {};
  for (const name of order) {
    await applyVariant(knex, VARIANTS[name]!);
    const [scan] = (await knex('scans')
      .insert({ tenant_id: tenantId, integration_id: integration!.id, status: 'running' })
      .returning('id')) as { id: string }[];
    const load = loadavg()[0]!;
    const t0 = performance.now();
    let cpu = 0;
    await knex.transaction(async (trx) => {
      const pid = ((await trx.raw('select pg_backend_pid() as pid')) as { rows: { pid: number }[] }).rows[0]!
        .pid;
      const before = cpuSeconds(pid);
      await upsertResults(trx as unknown as Trx, tenantId, scan!.id, findings, resources, []);
      cpu = cpuSeconds(pid) - before;
    });
    const wall = (performance.now() - t0) / 1000;
    (results[name] ??= []).push(cpu);
    console.log(
      `${name}: backend CPU ${cpu.toFixed(2)} s, wall ${wall.toFixed(2)} s, load ${load.toFixed(2)}`,
    ); // Each findings index's size after the write, summed over its partitions.
    const sizes = (
      (await knex.raw(`select p.relname as index, sum(pg_relation_size(i.inhrelid))::bigint as bytes
         from pg_class p join pg_inherits i on i.inhparent = p.oid
        where p.relkind = 'I' and p.relname like 'findings%' group by p.relname order by p.relname`)) as {
        rows: { index: string; bytes: string }[];
      }
    ).rows.map((r) => `${r.index.replace(/^findings_/, '')} ${(Number(r.bytes) / 2 ** 20).toFixed(1)}`);
    console.log(`  index MiB: ${sizes.join(', ')}`);
  }
  for (const [name, cpus] of Object.entries(results)) {
    const mean = cpus.reduce((a, b) => a + b, 0) / cpus.length;
    console.log(`${name}: ${cpus.map((c) => c.toFixed(1)).join(' / ')} s, mean ${mean.toFixed(2)} s`);
  }
} finally {
  await knex.destroy();
  await testDb.drop();
}
