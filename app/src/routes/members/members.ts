/**
 * The members page's pure rules (unit-tested in members.test.ts): the roles in words, and what the page may
 * offer for one member.
 */
import type { Member, Role } from '#lib/api/types.ts';

/** Dependency key of the lists: invalidated after any change. */
export const MEMBERS_DEPENDENCY = 'app:members';

/** Every role, in the order the forms offer them, with what it lets a member do. */
export const ROLES: readonly { role: Role; description: string }[] = [
  { role: 'user', description: 'runs scans and reads results' },
  { role: 'auditor', description: 'reads results, evidence and settings; changes nothing' },
  { role: 'admin', description: 'everything, including members and settings' },
];

/**
 * Whether the page offers to change or remove `member`: never for the signed-in admin themself (the API
 * keeps the last admin anyway: LAST_ADMIN), so no one locks themself out by a click.
 */
export function canManage(member: Member, signedInUserId: string | undefined): boolean {
  return member.user_id !== signedInUserId;
}

/** The question the remove button asks before anything is sent. */
export function removeQuestion(member: Member): string {
  return `Remove ${member.email} from the organisation? Their sessions end at once; the account stays, and an admin can invite it again.`;
}
