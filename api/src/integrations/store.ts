/**
 * The `integrations` table: connected provider accounts. Their configuration (account, region, endpoint) is
 * stored in clear; their credentials only sealed (plugins/app/crypto.ts), and the sealed columns are selected
 * only by `loadIntegrationRecord`, for the scan worker. Every function runs in the caller's tenant transaction.
 */
import type { EncryptedCredentials } from '../plugins/app/crypto.ts';
import type { Trx } from '../plugins/app/tenancy.ts';
import { applyPage, decodeCursor, toPage, type SortKey } from '../pagination.ts';
import type { IntegrationRecord, IntegrationView } from './types.ts';

export const INTEGRATION_VIEW_COLUMNS = [
  'id',
  'provider',
  'name',
  'config',
  'demo',
  'created_at',
  'updated_at',
];

/** Names are unique per tenant; the id keeps the order total anyway. */
const LIST_ORDER: SortKey[] = [
  { column: 'name', direction: 'asc' },
  { column: 'id', direction: 'asc' },
];

/** The columns a write sets: all but the id, the tenant and the timestamps. */
export interface IntegrationValues extends Partial<EncryptedCredentials> {
  provider?: string;
  name: string;
  /** Stored as JSON. */
  config: object;
  demo?: boolean;
}

/** Loads one integration with its sealed credentials. Null when not visible. */
export async function loadIntegrationRecord(trx: Trx, id: string): Promise<IntegrationRecord | null> {
  const row: IntegrationRecord | undefined = await trx('integrations')
    .select([
      ...INTEGRATION_VIEW_COLUMNS,
      'credentials_ciphertext',
      'credentials_iv',
      'credentials_tag',
      'key_version',
    ])
    .where({ id })
    .first();
  return row ?? null;
}

/** The id of the tenant's integration named `name`, or undefined. */
export async function integrationIdByName(trx: Trx, name: string): Promise<string | undefined> {
  const row: { id: string } | undefined = await trx('integrations').select('id').where({ name }).first();
  return row?.id;
}

/** One page of the tenant's integrations by name, optionally of one provider. */
export async function integrationPage(
  trx: Trx,
  options: { limit: number; cursor?: string; provider?: string },
): Promise<{ items: IntegrationView[]; next_cursor: string | null }> {
  const after = options.cursor ? decodeCursor(options.cursor, 'name', LIST_ORDER) : null;
  const query = trx('integrations').select(INTEGRATION_VIEW_COLUMNS);
  if (options.provider) query.where({ provider: options.provider });
  const rows = (await applyPage(query, LIST_ORDER, after, options.limit)) as IntegrationView[];
  return toPage(
    rows as unknown as Record<string, unknown>[],
    options.limit,
    'name',
    LIST_ORDER,
  ) as unknown as { items: IntegrationView[]; next_cursor: string | null };
}

/** Inserts an integration with its id; returns its view. */
export async function insertIntegration(
  trx: Trx,
  row: IntegrationValues & { id: string; tenant_id: string },
): Promise<IntegrationView> {
  const [view] = await trx('integrations')
    .insert({ ...row, config: JSON.stringify(row.config) })
    .returning(INTEGRATION_VIEW_COLUMNS);
  return view as IntegrationView;
}

/** Rewrites an integration's columns (and its updated_at); returns its view. */
export async function updateIntegration(
  trx: Trx,
  id: string,
  values: IntegrationValues,
): Promise<IntegrationView> {
  const [view] = await trx('integrations')
    .where({ id })
    .update({ ...values, config: JSON.stringify(values.config), updated_at: trx.fn.now() })
    .returning(INTEGRATION_VIEW_COLUMNS);
  return view as IntegrationView;
}

/** Deletes an integration row. */
export async function deleteIntegration(trx: Trx, id: string): Promise<void> {
  await trx('integrations').where({ id }).delete();
}
