// IAM users from a fresh credential report: where the report (generated minutes before the scan) says a
// user has no MFA device or no access key, the per-user listing is skipped; the users come out exactly as
// when every user is asked (real IAM SDK client over HTTP against the fixture server).
import { afterEach, describe, expect, it } from 'vitest';
import { scanAwsAccount } from './account.ts';
import { FAST_SCAN, SCAN_NOW, demoTarget } from './testing.ts';
import {
  demoAwsAccount,
  startAwsFixtureServer,
  type AwsFixtureServer,
} from './fixtures/aws-fixture-server.ts';

const servers: AwsFixtureServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Scans IAM with the report generated at `generatedAt`; the users and the per-user calls made. */
async function scanUsers(generatedAt?: string) {
  const account = demoAwsAccount({ asOf: SCAN_NOW });
  if (generatedAt) account.credentialReportGeneratedAt = generatedAt;
  const s = await startAwsFixtureServer({ account });
  servers.push(s);
  const outcome = await scanAwsAccount(demoTarget(s, { services: ['iam'] }), FAST_SCAN);
  const count = (op: string) => s.requests.filter((r) => r.operation === op).length;
  return {
    outcome,
    users: account.users,
    mfaCalls: count('ListMFADevices'),
    keyCalls: count('ListAccessKeys'),
    lastUsedCalls: count('GetAccessKeyLastUsed'),
  };
}

describe('IAM users and the credential report', () => {
  it('skips the listings a fresh report settles, and the users come out the same', async () => {
    const asked = await scanUsers(); // the fixture's default report is four hours old
    const fresh = await scanUsers(new Date(SCAN_NOW.getTime() - 5 * 60_000).toISOString());

    expect(fresh.outcome.errors).toEqual(asked.outcome.errors);
    // Each run has its own server, so only `source.endpoint` may differ.
    const bare = (o: typeof fresh.outcome) => o.resources.map(({ source: _source, ...r }) => r);
    expect(bare(fresh.outcome)).toEqual(bare(asked.outcome));
    const users = asked.users;
    expect(asked.mfaCalls).toBe(users.length);
    expect(asked.keyCalls).toBe(users.length);
    expect(fresh.mfaCalls).toBe(users.filter((u) => u.mfaDevices.length > 0).length);
    expect(fresh.keyCalls).toBe(users.filter((u) => u.accessKeys.length > 0).length);
    expect(fresh.mfaCalls).toBeLessThan(users.length);
    expect(fresh.keyCalls).toBeLessThan(users.length);
    // A key's last use is its report slot's (matched by creation time); key ids are still listed.
    expect(asked.lastUsedCalls).toBe(users.reduce((n, u) => n + u.accessKeys.length, 0));
    expect(fresh.lastUsedCalls).toBe(0);
    const used = fresh.outcome.resources.flatMap((r) =>
      r.type === 'aws.iam.user' ? (r.attributes.access_keys as { last_used_service: string | null }[]) : [],
    );
    expect(used.some((k) => k.last_used_service !== null)).toBe(true);
    expect(used.some((k) => k.last_used_service === null)).toBe(true);
    const mfaLess = fresh.outcome.resources.find(
      (r) => r.type === 'aws.iam.user' && r.attributes.mfa_enabled === false,
    );
    expect(mfaLess?.attributes.mfa_devices).toEqual([]);
  });

  it('asks for the last use of keys the report cannot tell apart (created the same second)', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    const user = account.users.find((u) => u.accessKeys.length === 2);
    if (!user) throw new Error('the demo has a user with two keys');
    user.accessKeys[1] = { ...user.accessKeys[1]!, createDate: user.accessKeys[0]!.createDate };
    account.credentialReportGeneratedAt = SCAN_NOW.toISOString();
    const s = await startAwsFixtureServer({ account });
    servers.push(s);
    const outcome = await scanAwsAccount(demoTarget(s, { services: ['iam'] }), FAST_SCAN);
    expect(outcome.errors).toEqual([]);
    expect(s.requests.filter((r) => r.operation === 'GetAccessKeyLastUsed')).toHaveLength(2);
    const scanned = outcome.resources.find((r) => r.name === user.name);
    expect(
      (scanned?.attributes.access_keys as { last_used_date: string | null }[]).map((k) => k.last_used_date),
    ).toEqual(user.accessKeys.map((k) => (k.lastUsed ? new Date(k.lastUsed.date).toISOString() : null)));
  });

  it('asks every user when the report is more than 15 minutes old', async () => {
    const old = await scanUsers(new Date(SCAN_NOW.getTime() - 16 * 60_000).toISOString());
    expect(old.mfaCalls).toBe(old.users.length);
    expect(old.keyCalls).toBe(old.users.length);
  });
});
