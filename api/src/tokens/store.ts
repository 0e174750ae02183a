/**
 * The `api_tokens` table: one row per token, holding its sha256 (never the token), its role, expiry,
 * revocation and last use. Every function runs in the caller's transaction.
 */
import type { Knex } from 'knex';
import type { Role } from '../auth/role.ts';
import { applyPage, decodeCursor, toPage, type SortKey } from '../pagination.ts';

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

/** A token row as verification reads it: the view and the tenant it belongs to. */
export interface ApiTokenRow extends ApiTokenView {
  tenant_id: string;
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

/** Whether the tenant already has a token of this name. */
export async function tokenNameTaken(trx: Knex.Transaction, name: string): Promise<boolean> {
  return (await trx('api_tokens').select('id').where({ name }).first()) !== undefined;
}

/** Stores a new token by its hash. */
export async function insertToken(
  trx: Knex.Transaction,
  token: {
    tenant_id: string;
    name: string;
    role: Role;
    token_hash: string;
    created_by: string;
    expires_at: Date;
  },
): Promise<ApiTokenView> {
  const [row] = await trx('api_tokens').insert(token).returning(VIEW_COLUMNS);
  return row as ApiTokenView;
}

/** Tokens are listed by name. */
const LIST_ORDER: SortKey[] = [
  { column: 'name', direction: 'asc' },
  { column: 'id', direction: 'asc' },
];

/** One page of the tenant's tokens (revoked and expired included), by name. */
export async function listTokenPage(
  trx: Knex.Transaction,
  options: { limit: number; cursor?: string },
): Promise<{ items: ApiTokenView[]; next_cursor: string | null }> {
  const after = options.cursor ? decodeCursor(options.cursor, 'name', LIST_ORDER) : null;
  const rows = await applyPage(trx('api_tokens').select(VIEW_COLUMNS), LIST_ORDER, after, options.limit);
  return toPage(rows as Record<string, unknown>[], options.limit, 'name', LIST_ORDER) as unknown as {
    items: ApiTokenView[];
    next_cursor: string | null;
  };
}

/** Stamps a token revoked unless it already is; false when the tenant has no such token. */
export async function revokeToken(trx: Knex.Transaction, id: string): Promise<boolean> {
  const row = await trx('api_tokens').select('id', 'revoked_at').where({ id }).first();
  if (!row) return false;
  if (!row.revoked_at) await trx('api_tokens').where({ id }).update({ revoked_at: trx.fn.now() });
  return true;
}

/** The token with this hash (the transaction's context names the hash, so row-level security lets it through). */
export async function tokenByHash(
  trx: Knex.Transaction,
  tokenHash: string,
): Promise<ApiTokenRow | undefined> {
  return trx('api_tokens')
    .select([...VIEW_COLUMNS, 'tenant_id'])
    .where({ token_hash: tokenHash })
    .first();
}

/** Records that a token was used just now. */
export async function touchToken(trx: Knex.Transaction, id: string): Promise<void> {
  await trx('api_tokens').where({ id }).update({ last_used_at: trx.fn.now() });
}
