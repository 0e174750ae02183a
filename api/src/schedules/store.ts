/**
 * A schedule is the `scan_schedule` column of its integration's row (tenant-isolated like the rest of it; an archived integration has none):
 * these read and write that column only. Every function runs in the caller's transaction.
 */
import type { Knex } from 'knex';

/**
 * The integration's cron expression: null when it has none, undefined when the tenant has no such
 * integration. `lock` holds the row until the transaction ends.
 */
export async function scheduleOf(
  trx: Knex.Transaction,
  integrationId: string,
  options: { lock?: boolean } = {},
): Promise<string | null | undefined> {
  const query = trx('integrations')
    .select('scan_schedule')
    .where({ id: integrationId })
    .whereNull('archived_at');
  if (options.lock) query.forUpdate();
  const row: { scan_schedule: string | null } | undefined = await query.first();
  return row?.scan_schedule;
}

/** Sets (cron) or clears (null) the integration's schedule; false when the tenant has no such integration. */
export async function writeSchedule(
  trx: Knex.Transaction,
  integrationId: string,
  cron: string | null,
): Promise<boolean> {
  const updated = await trx('integrations')
    .where({ id: integrationId })
    .whereNull('archived_at')
    .update({ scan_schedule: cron, updated_at: trx.fn.now() });
  return updated > 0;
}
