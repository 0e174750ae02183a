import { describe, expect, it } from 'vitest';
import type { Member } from '#lib/api/types.ts';
import { ROLES, canManage, removeQuestion } from './members.ts';

const member: Member = {
  user_id: '3f1c1d2e-0000-4000-8000-000000000001',
  email: 'ada@example.test',
  display_name: null,
  role: 'auditor',
  created_at: '2026-01-01T00:00:00Z',
};

describe('members page rules', () => {
  it('offers every role the API knows, once', () => {
    expect(ROLES.map((r) => r.role).sort()).toEqual(['admin', 'auditor', 'user']);
  });

  it('never offers the signed-in admin to change or remove themself', () => {
    expect(canManage(member, member.user_id)).toBe(false);
    expect(canManage(member, '3f1c1d2e-0000-4000-8000-000000000002')).toBe(true);
  });

  it('names the member in the removal question', () => {
    expect(removeQuestion(member)).toContain('ada@example.test');
  });
});
