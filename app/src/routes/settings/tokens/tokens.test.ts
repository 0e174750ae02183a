import { describe, expect, it } from 'vitest';
import type { ApiToken } from '#lib/api/admin.ts';
import { EXPIRY_DAYS, revokeQuestion, tokenState } from './tokens.ts';

const token: ApiToken = {
  id: '3f1c1d2e-0000-4000-8000-000000000001',
  name: 'CI',
  role: 'user',
  created_by: '3f1c1d2e-0000-4000-8000-000000000002',
  created_at: '2026-01-01T00:00:00Z',
  expires_at: '2026-02-01T00:00:00Z',
  revoked_at: null,
  last_used_at: null,
};

describe('API tokens page rules', () => {
  it('tells active, expired and revoked tokens apart', () => {
    expect(tokenState(token, new Date('2026-01-15T00:00:00Z'))).toBe('active');
    expect(tokenState(token, new Date('2026-02-01T00:00:00Z'))).toBe('expired');
    expect(
      tokenState({ ...token, revoked_at: '2026-01-02T00:00:00Z' }, new Date('2026-01-15T00:00:00Z')),
    ).toBe('revoked');
  });

  it('offers only expiries the API accepts and names the token it revokes', () => {
    expect(EXPIRY_DAYS.every((days) => days >= 1 && days <= 365)).toBe(true);
    expect(revokeQuestion(token)).toContain('Revoke CI?');
  });
});
