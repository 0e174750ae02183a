/**
 * The evidence step of scan parts that run at once for one tenant (scans/pipeline.ts, storeEvidence): each
 * snapshot is recorded once, enters the tenant's ledger once and its bytes are readable; and, on PostgreSQL
 * (where the parts' transactions really run side by side), a part whose evidence files are slow to write
 * does not hold up the other parts. The ledger append takes the tenant's chain lock until the commit; taken
 * while its files were still being written, the scan's parts stored their evidence one after the other
 * (bench/scale, issue 18).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resource } from '../../../schemas/index.ts';
import { databaseBackends } from '../../../test/db.ts';
import { seedTenant, startTestApp, type TestApp } from '../../test/helpers.ts';
import { entriesOfKind } from '../ledger/store.ts';
import type { EvidenceStore } from '../plugins/app/evidence.ts';
import { storeEvidence, type ScanJobDeps } from './pipeline.ts';

/** `count` resources of one part, each its own snapshot. */
function partResources(part: string, count: number): Resource[] {
  return Array.from({ length: count }, (_, i): Resource => ({
    id: `arn:aws:s3:::${part}-bucket-${i}`,
    provider: 'aws',
    account: '111122223333',
    region: 'us-east-1',
    type: 'aws.s3.bucket',
    name: `${part}-bucket-${i}`,
    attributes: { versioning: i % 2 === 0 },
    collected_at: '2026-12-07T12:00:00Z',
  }));
}

/** The app's store, its writes held back until `release()`; `reached` resolves at the first write. */
function heldStore(store: EvidenceStore) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reach!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const held: EvidenceStore = {
    async put(bytes) {
      reach();
      await released;
      return store.put(bytes);
    },
    get: (sha256) => store.get(sha256),
    delete: (sha256) => store.delete(sha256),
  };
  return { store: held, reached, release };
}

describe.each(databaseBackends())('evidence of parts stored at once on $name', (backend) => {
  let t: TestApp;
  let deps: Pick<ScanJobDeps, 'withTenant' | 'evidenceStore' | 'ledger'>;
  let tenantId: string;

  beforeAll(async () => {
    t = await startTestApp(backend);
    tenantId = (await seedTenant(t.database.knex)).tenantId;
    deps = { withTenant: t.app.withTenant, evidenceStore: t.app.evidenceStore, ledger: t.app.ledger };
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  async function recordedInLedger(): Promise<string[]> {
    const entries = await t.app.withTenant(tenantId, (trx) =>
      entriesOfKind(trx, tenantId, 'evidence.recorded'),
    );
    return entries.map((e) => e.artifact_sha256!);
  }

  it('records each snapshot once, in the ledger once, its bytes readable', async () => {
    const parts = ['alpha', 'beta', 'gamma'].map((part) => partResources(part, 40));
    const before = await recordedInLedger();
    const stored = await Promise.all(parts.map((resources) => storeEvidence(deps, tenantId, resources)));
    const hashes = stored.flatMap((byResource) => [...byResource.values()]);
    expect(new Set(hashes).size).toBe(120);
    const added = (await recordedInLedger()).filter((sha256) => !before.includes(sha256));
    expect(added.sort()).toEqual([...hashes].sort());
    for (const sha256 of hashes.slice(0, 5)) expect(await t.app.evidenceStore.get(sha256)).not.toBeNull();
    // A retried part stores nothing twice.
    await storeEvidence(deps, tenantId, parts[0]!);
    expect((await recordedInLedger()).length).toBe(before.length + 120);
  }, 60_000);

  // PGlite runs one transaction at a time, so there the parts' transactions never overlap.
  it.skipIf(backend.name !== 'postgres')(
    'lets another part record its evidence while a part still writes its files',
    async () => {
      const slow = heldStore(t.app.evidenceStore);
      const held = storeEvidence({ ...deps, evidenceStore: slow.store }, tenantId, partResources('slow', 20));
      await slow.reached;
      // Time for what runs alongside the files (the evidence rows) to reach the database.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const other = storeEvidence(deps, tenantId, partResources('other', 20));
      const outcome = await Promise.race([
        other.then(() => 'recorded' as const),
        new Promise((resolve) => setTimeout(() => resolve('waiting'), 20_000)),
      ]);
      slow.release();
      await Promise.all([held, other]);
      expect(outcome).toBe('recorded');
    },
    60_000,
  );
});
