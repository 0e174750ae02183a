/**
 * A member's role in a tenant. Its own module, below everything that checks or carries a role (tokens,
 * sessions, API tokens, the access table), so none of them has to import the auth plugin for it.
 */
export type Role = 'admin' | 'auditor' | 'user';
