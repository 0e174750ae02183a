/**
 * The backup and restore procedure of docs/operations.md, end to end on PostgreSQL: a tenant with a finished
 * scan and its ledger; pg_dump -Fc of the database and a copy of the data folder (evidence store, ledger
 * signing key, master key, JWT secret); pg_restore into a fresh database; the app started on the restored
 * database and copied folder verifies the ledger with the same code as `complywise evidence verify`, pinned
 * to the original public key, and serves the same scores and evidence.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3FixtureServer } from '../../scanners/aws/fixtures/s3-fixture-server.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db.ts';
import { bearer, startTestApp, testConfig, type TestApp } from '../test/helpers.ts';
import { scannedTenant, startMarkedSandbox, type ScannedTenant } from '../test/scanned-tenant.ts';
import { buildApp } from './app.ts';
import { verifyBundle } from './ledger/verify.ts';
import type { Database } from './plugins/external/db.ts';

const POSTGRES = process.env.COMPLYWISE_TEST_POSTGRES_URL;
const EVERYTHING = '?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z';

/** pg_dump / pg_restore of the server's major version (15) when installed there, else from PATH. */
function pgTool(name: string): string {
  const versioned = `/usr/lib/postgresql/15/bin/${name}`;
  return spawnSync(versioned, ['--version']).status === 0 ? versioned : name;
}

function run(tool: string, args: string[]): void {
  const result = spawnSync(pgTool(tool), args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${tool} failed (${result.status}): ${result.stderr}`);
}

describe.skipIf(!POSTGRES)('backup and restore (PostgreSQL only: set COMPLYWISE_TEST_POSTGRES_URL)', () => {
  let source: TestApp;
  let sandbox: S3FixtureServer;
  let tenant: ScannedTenant;
  let restoredDb: TestDatabase;
  let restoredDatabase: Database;
  let restored: FastifyInstance;
  const work = mkdtempSync(join(tmpdir(), 'cw-backup-'));

  beforeAll(async () => {
    sandbox = await startMarkedSandbox('backupco');
    source = await startTestApp({ name: 'postgres' });
    tenant = await scannedTenant(source, 'backup', sandbox.url);
  }, 180_000);
  afterAll(async () => {
    await restored?.close();
    await restoredDatabase?.close();
    await restoredDb?.drop();
    await source?.close();
    await sandbox?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('restores a pg_dump and the data folder into a fresh database: ledger verifies, same scores', async () => {
    const get = (app: FastifyInstance, url: string) =>
      app.inject({ url, headers: bearer(tenant.token) }).then((r) => {
        expect(r.statusCode, `${url}: ${r.body}`).toBe(200);
        return r.json();
      });
    const scores = await get(source.app, '/api/scores');
    const bundle = await get(source.app, `/api/ledger/export${EVERYTHING}`);
    expect(verifyBundle(bundle).ok).toBe(true);
    expect(bundle.artifacts.length).toBeGreaterThan(0);

    // Backup: the database (custom format) and the folder holding evidence and key files.
    const dump = join(work, 'complywise.dump');
    run('pg_dump', ['--format=custom', `--file=${dump}`, source.config.databaseUrl!]);
    const dataCopy = join(work, 'data');
    cpSync(source.dataDir, dataCopy, { recursive: true });

    // Restore into a fresh database, start the app on it and on the copied folder.
    restoredDb = await createTestDatabase({ name: 'postgres' }, { empty: true });
    run('pg_restore', ['--exit-on-error', '--no-owner', `--dbname=${restoredDb.databaseUrl}`, dump]);
    const config = testConfig(dataCopy, restoredDb.databaseUrl);
    restoredDatabase = await restoredDb.open();
    restored = await buildApp({ config, database: restoredDatabase, ownsDatabase: false, logger: false });

    const after = await get(restored, `/api/ledger/export${EVERYTHING}`);
    // The verify code path of `complywise evidence verify`, pinned to the key that signed before the backup.
    const verdict = verifyBundle(after, bundle.public_key.pem);
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(after.entries).toEqual(bundle.entries);
    expect(after.artifacts).toEqual(bundle.artifacts);
    expect(await get(restored, '/api/scores')).toEqual(scores);
    const sha = bundle.artifacts[0].sha256;
    expect((await get(restored, `/api/evidence/${sha}`)).sha256).toBe(sha);
    // The restored instance keeps writing to the same chain.
    const more = await restored.inject({
      method: 'PUT',
      url: '/api/settings/legal-hold',
      headers: bearer(tenant.token),
      payload: { reason: 'restore drill' },
    });
    expect(more.statusCode, more.body).toBe(200);
    const extended = await get(restored, `/api/ledger/export${EVERYTHING}`);
    expect(verifyBundle(extended, bundle.public_key.pem).ok).toBe(true);
    expect(extended.entries.length).toBe(bundle.entries.length + 1);
  });
});
