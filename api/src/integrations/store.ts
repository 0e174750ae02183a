/**
 * The `integrations` table: connected provider accounts. Their configuration (account, region, endpoint) is
 * stored in clear; their credentials only sealed (plugins/app/crypto.ts), and the sealed columns are selected
 * only by `loadIntegrationRecord`, for the scan worker. An archived integration (`archived_at` set) has none:
 * its row stays for the history that names it, and only the list (when asked) and the scans' joins see it.
 * Every function runs in the caller's tenant transaction.
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
  'archived_at',
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

/** Loads one active integration with its sealed credentials. Null when not visible or archived. */
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
    .whereNull('archived_at')
    .first();
  return row ?? null;
}

/** The id of the tenant's active integration named `name`, or undefined. */
export async function integrationIdByName(trx: Trx, name: string): Promise<string | undefined> {
  const row: { id: string } | undefined = await trx('integrations')
    .select('id')
    .where({ name })
    .whereNull('archived_at')
    .first();
  return row?.id;
}

/** One page of the tenant's integrations by name, optionally of one provider; archived ones only when asked. */
export async function integrationPage(
  trx: Trx,
  options: { limit: number; cursor?: string; provider?: string; archived?: boolean },
): Promise<{ items: IntegrationView[]; next_cursor: string | null }> {
  const after = options.cursor ? decodeCursor(options.cursor, 'name', LIST_ORDER) : null;
  const query = trx('integrations').select(INTEGRATION_VIEW_COLUMNS);
  if (options.provider) query.where({ provider: options.provider });
  if (!options.archived) query.whereNull('archived_at');
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

/**
 * Archives an active integration: stamps `archived_at`, clears its sealed credentials and its schedule.
 * Returns its view, or undefined when no active integration has the id.
 */
export async function archiveIntegration(trx: Trx, id: string): Promise<IntegrationView | undefined> {
  const [view] = await trx('integrations')
    .where({ id })
    .whereNull('archived_at')
    .update({
      archived_at: trx.fn.now(),
      updated_at: trx.fn.now(),
      credentials_ciphertext: null,
      credentials_iv: null,
      credentials_tag: null,
      key_version: null,
      scan_schedule: null,
    })
    .returning(INTEGRATION_VIEW_COLUMNS);
  return view as IntegrationView | undefined;
}
