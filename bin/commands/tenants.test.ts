/**
 * `complywise tenants create` end to end on PGlite (a folder, as the product runs) and PostgreSQL: the
 * command creates the tenant and mails its admin an invitation to the local outbox, printing the tenant id
 * and the outbox but never the token; the admin accepts through the API with their own password, signs in as
 * the new tenant's admin and sees only it; the tenant's ledger starts with its creation. Bad usage exits 64.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/src/app.ts';
import { loadConfig } from '../../api/src/config.ts';
import { lastTokenSentTo, readOutbox } from '../../api/src/mail/mailer.ts';
import { openDatabase } from '../../api/src/plugins/external/db.ts';
import { bearer, login, testConfig } from '../../api/test/helpers.ts';
import { createTestDatabase, databaseBackends, type TestDatabase } from '../../test/db.ts';
import { main } from '../complywise.ts';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe.each(databaseBackends())('complywise tenants on $name', (backend) => {
  let testDb: TestDatabase;
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-tenants-cli-'));
  const saved = { ...process.env };

  beforeAll(async () => {
    testDb = await createTestDatabase(backend);
    process.env.COMPLYWISE_DATA_DIR = dataDir;
    process.env.COMPLYWISE_PUBLIC_URL = 'https://complywise.example';
    delete process.env.COMPLYWISE_SMTP_URL;
    if (testDb.databaseUrl) process.env.DATABASE_URL = testDb.databaseUrl;
    else delete process.env.DATABASE_URL;
  }, 60_000);
  afterAll(async () => {
    process.env = saved;
    await testDb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // The first command creates and migrates the PGlite folder: slow on a busy machine.
  it('creates the tenant, mails the admin an invitation, and the admin joins with their own password', async () => {
    const created = await run(
      'tenants',
      'create',
      '--name',
      'Globex Corp',
      '--admin-email',
      'Hank@Globex.example',
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const tenantId = /created tenant ([0-9a-f-]{36}) \(Globex Corp\)/.exec(created.stdout)?.[1];
    expect(tenantId).toBeDefined();
    expect(created.stdout).toContain(`the local outbox ${join(dataDir, 'outbox')}`);
    const mail = readOutbox(join(dataDir, 'outbox'));
    expect(mail.map((m) => [m.to, m.subject])).toEqual([
      ['hank@globex.example', 'You are invited to Globex Corp'],
    ]);
    const token = lastTokenSentTo(join(dataDir, 'outbox'), 'hank@globex.example', '/accept-invitation')!;
    expect(mail[0]!.text).toContain(`https://complywise.example/accept-invitation#token=${token}`);
    expect(created.stdout).not.toContain(token);

    const database = await openDatabase(loadConfig());
    const app = await buildApp({
      config: testConfig(dataDir, testDb.databaseUrl),
      database,
      logger: false,
      worker: false,
    });
    try {
      const accepted = await app.inject({
        method: 'POST',
        url: '/api/invitations/accept',
        payload: { token, password: 'saffron-harbor-quartz-5' },
      });
      expect(accepted.statusCode, accepted.body).toBe(200);
      expect(accepted.json()).toMatchObject({ tenant_id: tenantId, role: 'admin', account_created: true });
      const session = await login(app, 'hank@globex.example', 'saffron-harbor-quartz-5');
      expect([session.tenant.id, session.role]).toEqual([tenantId, 'admin']);
      const ledger = await app.inject({ url: '/api/ledger', headers: bearer(session.access_token) });
      const entries = ledger.json().items as { kind: string; actor: string | null }[];
      expect(
        entries
          .map((e) => e.kind)
          .reverse()
          .slice(0, 3),
      ).toEqual(['tenant.created', 'invitation.created', 'invitation.accepted']);
      expect(entries.at(-1)!.actor).toBe('operator');
      const members = await app.inject({ url: '/api/members', headers: bearer(session.access_token) });
      expect((members.json().items as { email: string }[]).map((m) => m.email)).toEqual([
        'hank@globex.example',
      ]);
    } finally {
      await app.close();
      await database.close();
    }
  }, 240_000);

  it('refuses a missing or malformed admin e-mail and an empty name with exit code 64', async () => {
    expect((await run('tenants', 'create', '--name', 'Initech')).code).toBe(64);
    const malformed = await run('tenants', 'create', '--name', 'Initech', '--admin-email', 'not-an-email');
    expect(malformed.code).toBe(64);
    expect(malformed.stderr).toContain('--admin-email');
    expect((await run('tenants', 'create', '--name', '   ', '--admin-email', 'a@initech.example')).code).toBe(
      64,
    );
  });
});
