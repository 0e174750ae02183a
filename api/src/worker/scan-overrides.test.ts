/**
 * Overrides applied by the real scan worker, on every backend: a severity override, a disabled rule and a
 * resource exception change the next scan's findings with the same committed bundle (no rebuild), the scan
 * records the hash of the override set it applied, and an exception that expires stops applying by itself
 * (the worker's clock is moved to the expiry rather than waited out).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends } from '../../../test/db.ts';
import { sandboxTenant, type SandboxTenant } from '../overrides/testing.ts';
import { startTestApp, type TestApp } from '../../test/helpers.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(databaseBackends())('scan worker overrides on $name', (backend) => {
  let t: TestApp;
  let tenant: SandboxTenant;
  /** When set, the time the worker evaluates scans at; otherwise the system clock. */
  let scanAt: Date | null = null;
  const call = (method: 'GET' | 'POST', url: string, payload?: Json) => tenant.call(method, url, payload);

  async function scan(): Promise<{ scan: Json; findings: Json[] }> {
    const body = await tenant.scan();
    expect(body.status).toBe('succeeded');
    const findings = await call('GET', `/api/scans/${body.id}/findings?limit=1000`);
    return { scan: body, findings: findings.body.items as Json[] };
  }

  const find = (findings: Json[], ruleId: string, resourceId: string) =>
    findings.find((f) => f.rule_id === ruleId && f.resource_id === resourceId);

  beforeAll(async () => {
    t = await startTestApp(backend, { scanClock: () => scanAt ?? new Date() });
    tenant = await sandboxTenant(t, 'scan-overrides');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await tenant?.close();
  });

  it('changes findings without a rebuild, records the set hash, and lets an exception expire', async () => {
    const before = await scan();
    expect(before.scan.overrides_hash).toMatch(/^[0-9a-f]{64}$/);
    const failing = before.findings.filter((f) => f.status === 'fail');
    const first = failing[0]!;
    const second = failing.find((f) => f.rule_id !== first.rule_id)!;
    expect(second, 'the sandbox fails at least two rules').toBeDefined();
    const disabled = before.findings.find((f) => f.rule_id !== first.rule_id && f.rule_id !== second.rule_id);
    const severity = first.severity === 'info' ? 'critical' : 'info';

    // The exception outlives the next scan by far (an hour); the scan after that is evaluated at its expiry.
    const expiresAt = new Date(Date.now() + 3_600_000);
    const overrides: Json[] = [
      { kind: 'severity', rule_id: first.rule_id, severity },
      {
        kind: 'exception',
        rule_id: second.rule_id,
        selector: { resource_id: second.resource_id },
        reason: 'accepted risk for the test',
        approver: 'ciso@example.com',
        expires_at: expiresAt.toISOString(),
      },
      ...(disabled ? [{ kind: 'enabled', rule_id: disabled.rule_id, enabled: false }] : []),
    ];
    for (const payload of overrides) {
      const created = await call('POST', '/api/overrides', payload);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }

    const during = await scan();
    expect(Date.parse(during.scan.finished_at)).toBeLessThan(expiresAt.getTime());
    expect(during.scan.bundle_revision).toBe(before.scan.bundle_revision);
    expect(during.scan.overrides_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(during.scan.overrides_hash).not.toBe(before.scan.overrides_hash);
    expect(find(during.findings, first.rule_id, first.resource_id)).toMatchObject({
      status: 'fail',
      severity,
    });
    // The excepted finding is kept with its exception for the auditor, still failing, but out of the score.
    const excepted = find(during.findings, second.rule_id, second.resource_id)!;
    expect(excepted).toMatchObject({
      status: 'fail',
      exception: {
        rule_id: second.rule_id,
        reason: 'accepted risk for the test',
        approver: 'ciso@example.com',
        expires_at: expiresAt.toISOString(),
        retired_at: null,
      },
    });
    expect(excepted.exception_id).toBe(excepted.exception.id);
    expect(during.findings.filter((f) => f.exception_id !== null)).toEqual([excepted]);
    const onlyExcepted = await call('GET', `/api/scans/${during.scan.id}/findings?excepted=true`);
    expect(onlyExcepted.body.items.map((f: Json) => f.id)).toEqual([excepted.id]);
    const disabledFails = disabled
      ? before.findings.filter((f) => f.rule_id === disabled.rule_id && f.status === 'fail').length
      : 0;
    expect(during.scan.finding_counts).toMatchObject({
      excepted: 1,
      fail: before.scan.finding_counts.fail - disabledFails - 1,
    });
    const controls = await call('GET', `/api/scans/${during.scan.id}/controls`);
    const counted = (body: Json) =>
      (body.items as Json[])
        .filter((c) => (c.rule_ids as string[]).includes(second.rule_id))
        .map((c) => c.counts.fail as number);
    const controlsBefore = await call('GET', `/api/scans/${before.scan.id}/controls`);
    expect(counted(controls.body).length).toBeGreaterThan(0);
    // Each control of the excepted rule counts one failure less (the disabled rule may share the control).
    counted(controls.body).forEach((fails, i) =>
      expect(fails).toBeLessThan(counted(controlsBefore.body)[i]!),
    );
    if (disabled) expect(during.findings.filter((f) => f.rule_id === disabled.rule_id)).toEqual([]);

    // Nobody retires the exception: from the moment it expires the next scan fails the resource again.
    scanAt = expiresAt;
    const after = await scan();
    expect(find(after.findings, second.rule_id, second.resource_id)).toMatchObject({
      status: 'fail',
      exception_id: null,
      exception: null,
    });
    expect(find(after.findings, first.rule_id, first.resource_id)).toMatchObject({ severity });
    expect(after.scan.overrides_hash).not.toBe(during.scan.overrides_hash);
    expect(after.scan.overrides_hash).not.toBe(before.scan.overrides_hash);
    const live = await call('GET', '/api/overrides');
    expect(live.body.items.filter((o: Json) => o.kind === 'exception')).toHaveLength(1);
  }, 120_000);
});
