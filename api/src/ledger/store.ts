/**
 * The ledger's tables: `ledger_entries` (each tenant's hash chain, append-only) and `ledger_checkpoints`
 * (signatures on chain heads). Every function runs in the caller's transaction; rows come back as the
 * chain's own types (times as ISO strings, as they were hashed).
 */
import type { Trx } from '../plugins/app/tenancy.ts';
import type { LedgerCheckpoint, LedgerEntry } from './chain.ts';

interface EntryRow extends Omit<LedgerEntry, 'occurred_at'> {
  occurred_at: Date;
}
interface CheckpointRow extends Omit<LedgerCheckpoint, 'signed_at'> {
  signed_at: Date;
}

const toEntry = (row: EntryRow): LedgerEntry => ({ ...row, occurred_at: row.occurred_at.toISOString() });
const toCheckpoint = (row: CheckpointRow): LedgerCheckpoint => ({
  ...row,
  signed_at: row.signed_at.toISOString(),
});

/** Serialises appends to the tenant's chain until the transaction ends. */
export async function lockChain(trx: Trx, tenantId: string): Promise<void> {
  await trx.raw(`select pg_advisory_xact_lock(hashtextextended(?, 7))`, [`ledger:${tenantId}`]);
}

/** The tenant's entry `seq` (default: the newest) by sequence and hash, or undefined. */
export async function entryHead(
  trx: Trx,
  tenantId: string,
  seq?: number,
): Promise<{ seq: number; entry_hash: string } | undefined> {
  const query = trx('ledger_entries').select('seq', 'entry_hash').where({ tenant_id: tenantId });
  return seq === undefined ? query.orderBy('seq', 'desc').first() : query.andWhere({ seq }).first();
}

/** Inserts chained entries, 500 to a statement. */
export async function insertEntries(trx: Trx, entries: readonly LedgerEntry[]): Promise<void> {
  for (let i = 0; i < entries.length; i += 500) {
    await trx('ledger_entries').insert(
      entries.slice(i, i + 500).map((e) => ({ ...e, payload: JSON.stringify(e.payload) })),
    );
  }
}

/** One page of the tenant's entries, newest first. */
export async function entryPage(
  trx: Trx,
  tenantId: string,
  limit: number,
  beforeSeq?: number,
): Promise<LedgerEntry[]> {
  const query = trx('ledger_entries').where({ tenant_id: tenantId });
  if (beforeSeq !== undefined) query.andWhere('seq', '<', beforeSeq);
  return ((await query.orderBy('seq', 'desc').limit(limit)) as EntryRow[]).map(toEntry);
}

/**
 * The actor name of entries recorded with no actor (the system's own work): filtering on it finds them, and the
 * period's actor counts name them by it. User ids are UUIDs and the named system actors ('worker',
 * 'retention', 'operator') are other words, so it names no one else.
 */
export const SYSTEM_ACTOR = 'system';

/** Narrows a period's entries to one event kind and/or one actor (SYSTEM_ACTOR: entries with none). */
export interface EntryFilter {
  kind?: string;
  actor?: string;
}

/** The tenant's entries that occurred in [from, to], narrowed by `filter` (unordered, unlimited). */
function entriesInWindow(trx: Trx, tenantId: string, window: { from: Date; to: Date }, filter: EntryFilter) {
  const query = trx('ledger_entries')
    .where({ tenant_id: tenantId })
    .andWhere('occurred_at', '>=', window.from)
    .andWhere('occurred_at', '<=', window.to);
  if (filter.kind !== undefined) query.andWhere('kind', filter.kind);
  if (filter.actor === SYSTEM_ACTOR) query.whereNull('actor');
  else if (filter.actor !== undefined) query.andWhere('actor', filter.actor);
  return query;
}

/**
 * One page of the tenant's entries that occurred in [from, to] (an audit period's log), narrowed by `filter`,
 * newest first.
 */
export async function entryPageBetween(
  trx: Trx,
  tenantId: string,
  window: { from: Date; to: Date },
  limit: number,
  beforeSeq?: number,
  filter: EntryFilter = {},
): Promise<LedgerEntry[]> {
  const query = entriesInWindow(trx, tenantId, window, filter);
  if (beforeSeq !== undefined) query.andWhere('seq', '<', beforeSeq);
  return ((await query.orderBy('seq', 'desc').limit(limit)) as EntryRow[]).map(toEntry);
}

/** How many entries of [from, to] there are per value of `column` (kind or actor), most first. */
export async function entryCountsBetween(
  trx: Trx,
  tenantId: string,
  window: { from: Date; to: Date },
  column: 'kind' | 'actor',
): Promise<{ value: string | null; count: number }[]> {
  const rows = (await entriesInWindow(trx, tenantId, window, {})
    .select({ value: column })
    .count({ n: '*' })
    .groupBy(column)
    .orderBy([
      { column: 'n', order: 'desc' },
      { column: 'value', order: 'asc' },
    ])) as { value: string | null; n: string | number }[];
  return rows.map((row) => ({ value: row.value, count: Number(row.n) }));
}

/** How many entries of [from, to] `filter` leaves. */
export async function entryCountBetween(
  trx: Trx,
  tenantId: string,
  window: { from: Date; to: Date },
  filter: EntryFilter,
): Promise<number> {
  const [row] = (await entriesInWindow(trx, tenantId, window, filter).count({ n: '*' })) as {
    n: string | number;
  }[];
  return Number(row?.n ?? 0);
}

/**
 * The tenant's entries of `kinds` whose payload holds one of `values` under one of `keys` (e.g. every entry
 * of some overrides: `id` on creation, `override_id` on retirement), oldest first.
 */
export async function entriesNaming(
  trx: Trx,
  tenantId: string,
  kinds: readonly string[],
  keys: readonly string[],
  values: readonly string[],
): Promise<LedgerEntry[]> {
  if (values.length === 0 || keys.length === 0) return [];
  const rows = (await trx('ledger_entries')
    .where({ tenant_id: tenantId })
    .whereIn('kind', [...kinds])
    .andWhere((q) => {
      for (const key of keys) q.orWhereRaw('payload->>? = any(?::text[])', [key, [...values]]);
    })
    .orderBy('seq')) as EntryRow[];
  return rows.map(toEntry);
}

/**
 * The `evidence.recorded` entry of an artifact the tenant recorded at `recordedAt`: it is appended in the
 * transaction that inserts the evidence row, so it occurred at or after that moment (which lets the time index
 * find it without an index on the artifact). A minute's slack: the row's time is the database's clock at the
 * transaction's start, the entry's the API's clock in milliseconds.
 */
export async function recordingEntry(
  trx: Trx,
  tenantId: string,
  sha256: string,
  recordedAt: Date,
): Promise<LedgerEntry | undefined> {
  const row = (await trx('ledger_entries')
    .where({ tenant_id: tenantId, kind: 'evidence.recorded', artifact_sha256: sha256 })
    .andWhere('occurred_at', '>=', new Date(recordedAt.getTime() - 60_000))
    .orderBy([{ column: 'occurred_at' }, { column: 'seq' }])
    .first()) as EntryRow | undefined;
  return row && toEntry(row);
}

/** The tenant's entries that occurred in [from, to], oldest first. */
export async function entriesBetween(
  trx: Trx,
  tenantId: string,
  from: Date,
  to: Date,
): Promise<LedgerEntry[]> {
  const rows = (await trx('ledger_entries')
    .where({ tenant_id: tenantId })
    .andWhere('occurred_at', '>=', from)
    .andWhere('occurred_at', '<=', to)
    .orderBy('seq')) as EntryRow[];
  return rows.map(toEntry);
}

/** The tenant's entries of one kind, oldest first. */
export async function entriesOfKind(trx: Trx, tenantId: string, kind: string): Promise<LedgerEntry[]> {
  const rows = (await trx('ledger_entries')
    .where({ tenant_id: tenantId, kind })
    .orderBy('seq')) as EntryRow[];
  return rows.map(toEntry);
}

/** The checkpoint on the tenant's entry `seq`, or undefined. */
export async function checkpointAt(
  trx: Trx,
  tenantId: string,
  seq: number,
): Promise<LedgerCheckpoint | undefined> {
  const row: CheckpointRow | undefined = await trx('ledger_checkpoints')
    .where({ tenant_id: tenantId, seq })
    .first();
  return row && toCheckpoint(row);
}

export async function insertCheckpoint(trx: Trx, checkpoint: LedgerCheckpoint): Promise<void> {
  await trx('ledger_checkpoints').insert(checkpoint);
}

/** The tenant's checkpoints on entries `first`..`last`, by sequence. */
export async function checkpointsBetween(
  trx: Trx,
  tenantId: string,
  first: number,
  last: number,
): Promise<LedgerCheckpoint[]> {
  const rows = (await trx('ledger_checkpoints')
    .where({ tenant_id: tenantId })
    .andWhere('seq', '>=', first)
    .andWhere('seq', '<=', last)
    .orderBy('seq')) as CheckpointRow[];
  return rows.map(toCheckpoint);
}

/** The tenant's checkpoints on exactly the entries `seqs`, by sequence. */
export async function checkpointsOn(
  trx: Trx,
  tenantId: string,
  seqs: readonly number[],
): Promise<LedgerCheckpoint[]> {
  const rows = (await trx('ledger_checkpoints')
    .where({ tenant_id: tenantId })
    .whereIn('seq', seqs)
    .orderBy('seq')) as CheckpointRow[];
  return rows.map(toCheckpoint);
}
