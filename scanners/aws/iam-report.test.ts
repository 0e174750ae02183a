// IAM users from a fresh credential report (generated minutes before the scan): access keys come from its
// two key slots and MFA from its mfa_active column with the account-wide virtual device listing, so only
// users with a hardware or FIDO device are asked; the users come out as when every user is asked, but for
// key ids (real IAM SDK client over HTTP against the fixture server).
import { describe, expect, it } from 'vitest';
import { scanAwsAccount } from './account.ts';
import { demoTarget, FAST_SCAN, fixtureServersClosedAfterEach, SCAN_NOW } from './testing.ts';
import { demoAwsAccount } from './fixtures/aws-fixture-server.ts';

const start = fixtureServersClosedAfterEach();
/** Scans IAM with the report generated at `generatedAt`; the users and the per-user calls made. */
async function scanUsers(generatedAt?: string) {
  const account = demoAwsAccount({ asOf: SCAN_NOW });
  if (generatedAt) account.credentialReportGeneratedAt = generatedAt;
  const s = await start(account);
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
  it('takes keys and MFA from a fresh report, and the users come out the same but for key ids', async () => {
    const asked = await scanUsers(); // the fixture's default report is four hours old
    const fresh = await scanUsers(new Date(SCAN_NOW.getTime() - 5 * 60_000).toISOString());

    expect(fresh.outcome.errors).toEqual(asked.outcome.errors);
    // Each run has its own server, so only `source.endpoint` may differ; the report names keys by slot.
    const bare = (o: typeof fresh.outcome, keyIds: boolean) =>
      o.resources.map(({ source: _source, ...r }) =>
        r.type === 'aws.iam.user' && !keyIds
          ? {
              ...r,
              attributes: {
                ...r.attributes,
                access_keys: (r.attributes.access_keys as object[]).map((k) => ({
                  ...k,
                  access_key_id: null,
                })),
              },
            }
          : r,
      );
    expect(bare(fresh.outcome, true)).toEqual(bare(asked.outcome, false));
    const freshKeys = fresh.outcome.resources.flatMap((r) =>
      r.type === 'aws.iam.user' ? (r.attributes.access_keys as { access_key_id: string | null }[]) : [],
    );
    expect(freshKeys.length).toBeGreaterThan(0);
    expect(freshKeys.every((k) => k.access_key_id === null)).toBe(true);

    const users = asked.users;
    expect(asked.mfaCalls).toBe(users.length);
    expect(asked.keyCalls).toBe(users.length);
    expect(asked.lastUsedCalls).toBe(users.reduce((n, u) => n + u.accessKeys.length, 0));
    // Fresh: no key calls at all, and MFA devices listed only for users whose devices are not virtual.
    const hardwareOnly = users.filter(
      (u) => u.mfaDevices.length > 0 && u.mfaDevices.every((d) => !d.virtual),
    );
    expect(hardwareOnly.length).toBeGreaterThan(0);
    expect(fresh.mfaCalls).toBe(hardwareOnly.length);
    expect(fresh.keyCalls).toBe(0);
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

  it('keeps each key slot to itself, even for two keys created the same second', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    const user = account.users.find((u) => u.accessKeys.length === 2 && u.accessKeys.some((k) => k.lastUsed));
    if (!user) throw new Error('the demo has a user with two keys, one of them used');
    user.accessKeys[1] = { ...user.accessKeys[1]!, createDate: user.accessKeys[0]!.createDate };
    account.credentialReportGeneratedAt = SCAN_NOW.toISOString();
    const s = await start(account);
    const outcome = await scanAwsAccount(demoTarget(s, { services: ['iam'] }), FAST_SCAN);
    expect(outcome.errors).toEqual([]);
    expect(s.requests.filter((r) => r.operation === 'GetAccessKeyLastUsed')).toHaveLength(0);
    const scanned = outcome.resources.find((r) => r.name === user.name);
    expect(
      (scanned?.attributes.access_keys as { status: string; last_used_date: string | null }[]).map((k) => [
        k.status,
        k.last_used_date,
      ]),
    ).toEqual(
      user.accessKeys.map((k) => [k.status, k.lastUsed ? new Date(k.lastUsed.date).toISOString() : null]),
    );
  });

  it('lists only the virtual device of a user who also holds a hardware one (documented)', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    const user = account.users.find((u) => u.mfaDevices.some((d) => d.virtual));
    if (!user) throw new Error('the demo has a user with a virtual MFA device');
    user.mfaDevices.push({
      serialNumber: 'GAHT00000001',
      enableDate: SCAN_NOW.toISOString(),
      virtual: false,
    });
    account.credentialReportGeneratedAt = SCAN_NOW.toISOString();
    const s = await start(account);
    const outcome = await scanAwsAccount(demoTarget(s, { services: ['iam'] }), FAST_SCAN);
    const scanned = outcome.resources.find((r) => r.name === user.name);
    expect(scanned?.attributes.mfa_enabled).toBe(true);
    expect((scanned?.attributes.mfa_devices as { virtual: boolean }[]).map((d) => d.virtual)).toEqual([true]);
  });

  it('asks every user when the report is more than 15 minutes old', async () => {
    const old = await scanUsers(new Date(SCAN_NOW.getTime() - 16 * 60_000).toISOString());
    expect(old.mfaCalls).toBe(old.users.length);
    expect(old.keyCalls).toBe(old.users.length);
  });
});
