import { describe, expect, it } from 'vitest';
import { can, roleLabel } from './permissions.ts';

describe('role permissions the app offers', () => {
  it('follows the API table for scans and overrides', () => {
    expect(['admin', 'auditor', 'user'].map((role) => can(role, 'scan:start'))).toEqual([true, false, true]);
    expect(['admin', 'auditor', 'user'].map((role) => can(role, 'override:read'))).toEqual([
      true,
      true,
      false,
    ]);
    expect(['admin', 'auditor', 'user'].map((role) => can(role, 'override:manage'))).toEqual([
      true,
      false,
      false,
    ]);
  });

  it('follows the API table for members and invitations', () => {
    expect(['admin', 'auditor', 'user'].map((role) => can(role, 'member:read'))).toEqual([true, true, false]);
    expect(['admin', 'auditor', 'user'].map((role) => can(role, 'member:manage'))).toEqual([
      true,
      false,
      false,
    ]);
  });

  it('lets admins change the administration settings and auditors read them', () => {
    const roles = ['admin', 'auditor', 'user'];
    expect(roles.map((role) => can(role, 'settings:read'))).toEqual([true, true, false]);
    for (const permission of [
      'integration:manage',
      'token:manage',
      'scoring:manage',
      'retention:manage',
    ] as const)
      expect(
        roles.map((role) => can(role, permission)),
        permission,
      ).toEqual([true, false, false]);
  });

  it('grants nothing to an unknown or missing role', () => {
    expect(can('owner', 'scan:start')).toBe(false);
    expect(can(undefined, 'override:read')).toBe(false);
  });

  it('labels roles for the header', () => {
    expect(roleLabel('auditor')).toBe('Auditor');
  });
});
