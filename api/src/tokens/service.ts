/**
 * API tokens for automation: `cw_pat_` + 256 random bits, shown once at creation and stored only as sha256.
 * Each is scoped to one tenant and one role (at most the creator's own rights, since only admins create
 * them), expires (1–365 days), can be revoked, and records its last use. A presented token authenticates a
 * request like an access token does. Creation and revocation enter the ledger in the same transaction.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ApiError } from '../errors.ts';
import type { Role } from '../auth/role.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import type { WithContext, WithTenant } from '../plugins/app/tenancy.ts';
import type { AccessClaims } from '../plugins/app/tokens.ts';
import {
  insertToken,
  listTokenPage,
  revokeToken,
  tokenByHash,
  tokenNameTaken,
  touchToken,
  type ApiTokenView,
} from './store.ts';

export type { ApiTokenView } from './store.ts';

export const API_TOKEN_PREFIX = 'cw_pat_';
const API_TOKEN_SHAPE = /^cw_pat_[A-Za-z0-9_-]{43}$/;
/** last_used_at is written at most this often per token, so busy automation does not write on every call. */
const LAST_USE_RESOLUTION_MS = 60_000;

/** Whether a bearer credential is an API token (rather than an access JWT). */
export function isApiToken(credential: string): boolean {
  return credential.startsWith(API_TOKEN_PREFIX);
}

function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const refused = (why: string) => new ApiError('UNAUTHENTICATED', `API token ${why}`);

/** Create, list, revoke and verify API tokens. */
export class ApiTokenService {
  readonly #withTenant: WithTenant;
  readonly #withContext: WithContext;
  readonly #ledger: LedgerService | undefined;
  /** Without a ledger (an app built without one), creation and revocation are not recorded. */
  constructor(withTenant: WithTenant, withContext: WithContext, ledger?: LedgerService) {
    this.#withTenant = withTenant;
    this.#withContext = withContext;
    this.#ledger = ledger;
  }

  /** Creates a token; the clear token is in the result only, never stored. A name already used answers 409. */
  async create(
    tenantId: string,
    createdBy: string,
    input: { name: string; role: Role; expires_in_days: number },
  ): Promise<ApiTokenView & { token: string }> {
    const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const view = await this.#withTenant(tenantId, async (trx) => {
      if (await tokenNameTaken(trx, input.name))
        throw new ApiError('CONFLICT', `an API token named "${input.name}" already exists`);
      const created = await insertToken(trx, {
        tenant_id: tenantId,
        name: input.name,
        role: input.role,
        token_hash: hashApiToken(token),
        created_by: createdBy,
        expires_at: new Date(Date.now() + input.expires_in_days * 86_400_000),
      });
      await this.#ledger?.append(trx, tenantId, [
        {
          kind: 'api_token.created',
          actor: createdBy,
          payload: {
            token_id: created.id,
            name: created.name,
            role: created.role,
            expires_at: created.expires_at,
          },
        },
      ]);
      return created;
    });
    return { ...view, token };
  }

  /** One page of the tenant's tokens (revoked and expired included), by name. */
  list(
    tenantId: string,
    options: { limit: number; cursor?: string },
  ): Promise<{ items: ApiTokenView[]; next_cursor: string | null }> {
    return this.#withTenant(tenantId, (trx) => listTokenPage(trx, options));
  }

  /** Revokes a token of the tenant (idempotent); another tenant's or an unknown id answers 404. */
  async revoke(tenantId: string, actor: string, id: string): Promise<void> {
    await this.#withTenant(tenantId, async (trx) => {
      if (!(await revokeToken(trx, id))) throw new ApiError('API_TOKEN_NOT_FOUND', `no API token ${id}`);
      await this.#ledger?.append(trx, tenantId, [
        { kind: 'api_token.revoked', actor, payload: { token_id: id } },
      ]);
    });
  }

  /** The principal of a presented token; unknown, malformed, expired or revoked tokens answer 401. */
  async verify(token: string): Promise<AccessClaims> {
    if (!API_TOKEN_SHAPE.test(token)) throw refused('is malformed');
    const apiTokenHash = hashApiToken(token);
    const row = await this.#withContext({ apiTokenHash }, (trx) => tokenByHash(trx, apiTokenHash));
    if (!row) throw refused('is unknown');
    if (row.revoked_at) throw refused('was revoked');
    if (row.expires_at.getTime() <= Date.now()) throw refused('has expired');
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > LAST_USE_RESOLUTION_MS) {
      await this.#withTenant(row.tenant_id, (trx) => touchToken(trx, row.id));
    }
    // An API token is its own session: it lives until revoked or expired, checked just above.
    return {
      userId: row.created_by,
      tenantId: row.tenant_id,
      role: row.role,
      jti: row.id,
      sessionId: row.id,
    };
  }
}
