/**
 * API tokens for automation: `cw_pat_` + 256 random bits, shown once at creation and stored only as sha256.
 * Each is scoped to one tenant and one role (at most the creator's own rights, since only admins create
 * them), expires (1–365 days), can be revoked, and records its last use. A presented token authenticates a
 * request like an access token does.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ApiError } from '../../errors.ts';
import { applyPage, decodeCursor, toPage, type SortKey } from '../../pagination.ts';
import type { Role } from '../../auth/role.ts';
import type { WithContext, WithTenant } from './tenancy.ts';
import type { AccessClaims } from './tokens.ts';

export const API_TOKEN_PREFIX = 'cw_pat_';
const API_TOKEN_SHAPE = /^cw_pat_[A-Za-z0-9_-]{43}$/;
/** last_used_at is written at most this often per token, so busy automation does not write on every call. */
const LAST_USE_RESOLUTION_MS = 60_000;

/** What the API shows of a token (never the token or its hash). */
export interface ApiTokenView {
  id: string;
  name: string;
  role: Role;
  created_by: string;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const VIEW_COLUMNS = [
  'id',
  'name',
  'role',
  'created_by',
  'created_at',
  'expires_at',
  'revoked_at',
  'last_used_at',
];

interface TokenRow extends ApiTokenView {
  tenant_id: string;
}

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
  constructor(withTenant: WithTenant, withContext: WithContext) {
    this.#withTenant = withTenant;
    this.#withContext = withContext;
  }

  /** Creates a token; the clear token is in the result only, never stored. A name already used answers 409. */
  async create(
    tenantId: string,
    createdBy: string,
    input: { name: string; role: Role; expires_in_days: number },
  ): Promise<ApiTokenView & { token: string }> {
    const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const view = await this.#withTenant(tenantId, async (trx) => {
      const taken = await trx('api_tokens').select('id').where({ name: input.name }).first();
      if (taken) throw new ApiError('CONFLICT', `an API token named "${input.name}" already exists`);
      const [row] = await trx('api_tokens')
        .insert({
          tenant_id: tenantId,
          name: input.name,
          role: input.role,
          token_hash: hashApiToken(token),
          created_by: createdBy,
          expires_at: new Date(Date.now() + input.expires_in_days * 86_400_000),
        })
        .returning(VIEW_COLUMNS);
      return row as ApiTokenView;
    });
    return { ...view, token };
  }

  /** One page of the tenant's tokens (revoked and expired included), by name. */
  list(
    tenantId: string,
    options: { limit: number; cursor?: string },
  ): Promise<{ items: ApiTokenView[]; next_cursor: string | null }> {
    const order: SortKey[] = [
      { column: 'name', direction: 'asc' },
      { column: 'id', direction: 'asc' },
    ];
    const after = options.cursor ? decodeCursor(options.cursor, 'name', order) : null;
    return this.#withTenant(tenantId, async (trx) => {
      const rows = await applyPage(trx('api_tokens').select(VIEW_COLUMNS), order, after, options.limit);
      return toPage(rows as Record<string, unknown>[], options.limit, 'name', order) as unknown as {
        items: ApiTokenView[];
        next_cursor: string | null;
      };
    });
  }

  /** Revokes a token of the tenant (idempotent); another tenant's or an unknown id answers 404. */
  async revoke(tenantId: string, id: string): Promise<void> {
    await this.#withTenant(tenantId, async (trx) => {
      const row = await trx('api_tokens').select('id', 'revoked_at').where({ id }).first();
      if (!row) throw new ApiError('API_TOKEN_NOT_FOUND', `no API token ${id}`);
      if (!row.revoked_at) await trx('api_tokens').where({ id }).update({ revoked_at: trx.fn.now() });
    });
  }

  /** The principal of a presented token; unknown, malformed, expired or revoked tokens answer 401. */
  async verify(token: string): Promise<AccessClaims> {
    if (!API_TOKEN_SHAPE.test(token)) throw refused('is malformed');
    const apiTokenHash = hashApiToken(token);
    const row: TokenRow | undefined = await this.#withContext({ apiTokenHash }, (trx) =>
      trx('api_tokens')
        .select([...VIEW_COLUMNS, 'tenant_id'])
        .where({ token_hash: apiTokenHash })
        .first(),
    );
    if (!row) throw refused('is unknown');
    if (row.revoked_at) throw refused('was revoked');
    if (row.expires_at.getTime() <= Date.now()) throw refused('has expired');
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > LAST_USE_RESOLUTION_MS) {
      await this.#withTenant(row.tenant_id, (trx) =>
        trx('api_tokens').where({ id: row.id }).update({ last_used_at: trx.fn.now() }),
      );
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
