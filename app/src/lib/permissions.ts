/**
 * What each role may do, as far as the app needs to know to offer or withhold an action. A copy of the
 * API's table (docs/security.md, "Roles and route permissions") for the permissions the pages use: the
 * server stays the authority and refuses anything else; this only keeps the app from offering an action
 * that would be refused.
 */
export type AppPermission =
  | 'scan:start'
  | 'override:read'
  | 'override:manage'
  | 'pack:manage'
  | 'member:read'
  | 'member:manage'
  | 'settings:read'
  | 'integration:manage'
  | 'token:manage'
  | 'scoring:manage'
  | 'retention:manage'
  | 'evidence:attach'
  | 'audit:read'
  | 'audit:manage'
  | 'audit:feedback';

const GRANTS: Record<AppPermission, readonly string[]> = {
  'scan:start': ['admin', 'user'],
  'override:read': ['admin', 'auditor'],
  'override:manage': ['admin'],
  'pack:manage': ['admin'],
  'member:read': ['admin', 'auditor'],
  'member:manage': ['admin'],
  // The administration pages: admins change, auditors read (the API lets them read integrations, the
  // scoring policy and retention); users do not get these pages, though the API lets them list integrations.
  'settings:read': ['admin', 'auditor'],
  'integration:manage': ['admin'],
  'token:manage': ['admin'],
  'scoring:manage': ['admin'],
  'retention:manage': ['admin'],
  // Manual evidence and attestations: the API takes them from admins and users (auditors only read).
  'evidence:attach': ['admin', 'user'],
  'audit:read': ['admin', 'auditor'],
  'audit:manage': ['admin'],
  // Only the auditors an audit lists may mark (the API checks the list); other roles never can.
  'audit:feedback': ['auditor'],
};

/** True when `role` holds `permission`; an unknown role holds nothing. */
export function can(role: string | undefined, permission: AppPermission): boolean {
  return role !== undefined && GRANTS[permission].includes(role);
}

/** The role as the header shows it. */
export function roleLabel(role: string): string {
  return role.charAt(0).toUpperCase() + role.slice(1);
}
