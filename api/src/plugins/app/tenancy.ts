/**
 * Tenancy: every request's and job's queries run in ONE transaction that first switches to the runtime role
 * (`set_config('role', 'complywise_app', true)`, i.e. SET LOCAL ROLE) and sets the tenant (`set_config('app.tenant_id', $1, true)`), so
 * row-level security decides what each statement can see. Both are transaction-local: nothing leaks to the
 * next user of a pooled connection.
 */
import fp from 'fastify-plugin';
import type { Knex } from 'knex';
import { APP_ROLE } from '../../../migrations/0001_initial.ts';
import { RETENTION_ROLE } from '../../../migrations/0008_retention.ts';

/** What the row-level security policies may key on; an absent value is set to '' (= sees nothing). */
export interface DbContext {
  tenantId?: string;
  userId?: string;
  /** Lower-cased e-mail being logged in with (users are global and read before a tenant is known). */
  loginEmail?: string;
  /** sha256 of a presented refresh token (tokens are found by hash before their user is known). */
  refreshTokenHash?: string;
  /** sha256 of a presented API token (found by hash before its tenant is known). */
  apiTokenHash?: string;
  /** sha256 of a presented invitation token (found by hash before its tenant is known). */
  invitationTokenHash?: string;
  /** sha256 of a presented password-reset token (found by hash before its account is known). */
  resetTokenHash?: string;
  /** sha256 of a presented sign-up token (found by hash; the tenant it creates does not exist yet). */
  signupTokenHash?: string;
}

export type Trx = Knex.Transaction;

/**
 * Sets the request context for the rest of the transaction, and when `role` is given also switches to it:
 * `set_config('role', r, true)` is SET LOCAL ROLE, here in the same statement to save a round trip per request.
 */
async function applyContext(trx: Trx, context: DbContext, role?: string): Promise<void> {
  await trx.raw(
    `select ${role ? `set_config('role', ?, true), ` : ''}set_config('app.tenant_id', ?, true), set_config('app.user_id', ?, true),
            set_config('app.login_email', ?, true), set_config('app.refresh_token_hash', ?, true),
            set_config('app.api_token_hash', ?, true), set_config('app.invitation_token_hash', ?, true),
            set_config('app.reset_token_hash', ?, true), set_config('app.signup_token_hash', ?, true)`,
    [
      ...(role ? [role] : []),
      context.tenantId ?? '',
      context.userId ?? '',
      context.loginEmail ?? '',
      context.refreshTokenHash ?? '',
      context.apiTokenHash ?? '',
      context.invitationTokenHash ?? '',
      context.resetTokenHash ?? '',
      context.signupTokenHash ?? '',
    ],
  );
}

/** Runs `work` in one transaction as the runtime role with the given context. */
export async function runAsApp<T>(
  knex: Knex,
  context: DbContext,
  work: (trx: Trx) => Promise<T>,
): Promise<T> {
  return knex.transaction(async (trx) => {
    await applyContext(trx, context, APP_ROLE);
    return work(trx);
  });
}

/**
 * Runs `work` in one transaction as the connection's own (owner) role, still with the context set so
 * forced policies apply to a non-superuser owner too. Only for migrations and the explicit bootstrap/seed
 * step, never on a request path.
 */
export async function runAsOwner<T>(
  knex: Knex,
  context: DbContext,
  work: (trx: Trx) => Promise<T>,
): Promise<T> {
  return knex.transaction(async (trx) => {
    await applyContext(trx, context);
    return work(trx);
  });
}

/**
 * Runs `work` in one transaction as the retention role (migration 0008) with the tenant set ('' = none:
 * only the role's sweep policies see rows). Only for the retention run.
 */
export async function runAsRetention<T>(
  knex: Knex,
  tenantId: string,
  work: (trx: Trx) => Promise<T>,
): Promise<T> {
  return knex.transaction(async (trx) => {
    await trx.raw(`SET LOCAL ROLE ${RETENTION_ROLE}`);
    await trx.raw(`select set_config('app.tenant_id', ?, true)`, [tenantId]);
    return work(trx);
  });
}

/**
 * Scopes the rest of `trx` to `tenantId`: for the rare write that belongs to every tenant of an account (a
 * password reset goes into each of their ledgers) in one transaction.
 */
export async function switchTenant(trx: Trx, tenantId: string): Promise<void> {
  await trx.raw(`select set_config('app.tenant_id', ?, true)`, [tenantId]);
}

/**
 * Commits the transaction without waiting for its WAL flush (SET LOCAL synchronous_commit = off): for writes
 * whose loss in a crash is harmless, made so that their cost matches a path that writes nothing (uniform
 * answers for known and unknown e-mails). The commit stays atomic.
 */
export async function skipCommitFlush(trx: Trx): Promise<void> {
  await trx.raw(`select set_config('synchronous_commit', 'off', true)`);
}

/** Runs `work` in one runtime-role transaction scoped to `tenantId`. */
export type WithTenant = <T>(tenantId: string, work: (trx: Trx) => Promise<T>) => Promise<T>;
/** Runs `work` in one runtime-role transaction with an explicit context (login and token refresh). */
export type WithContext = <T>(context: DbContext, work: (trx: Trx) => Promise<T>) => Promise<T>;

declare module 'fastify' {
  interface FastifyInstance {
    withTenant: WithTenant;
    withContext: WithContext;
  }
}

/** Decorates `app.withTenant` and `app.withContext` over `app.db`. */
export const tenancyPlugin = fp(
  async (app) => {
    const knex = app.db.knex;
    const withContext: WithContext = (context, work) => runAsApp(knex, context, work);
    const withTenant: WithTenant = (tenantId, work) => runAsApp(knex, { tenantId }, work);
    app.decorate('withContext', withContext);
    app.decorate('withTenant', withTenant);
  },
  { name: 'tenancy', dependencies: ['db'] },
);
