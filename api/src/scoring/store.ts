/**
 * The scoring tables: `framework_scores` (a scan's score snapshot, one row per framework version),
 * `scoring_events` and `posture_scores` (the tenant's posture at each scoring event, and their history,
 * newest event first, cursor-paginated on the event's sequence number) and `scoring_policies` (a tenant's
 * policy, append-only: the newest row is in force). Every function takes the caller's tenant transaction.
 */
import { requirementState, scoreBasis, stateCounts } from '../../../engine/index.ts';
import type { FrameworkScore, ScoringPolicy } from '../../../schemas/index.ts';
import { chunks } from '../batch.ts';
import { applyPage, decodeCursor, toPage, type SortKey } from '../pagination.ts';
import type { Trx } from '../plugins/app/tenancy.ts';
import { policySha256, type StoredPolicy } from './policy.ts';

function toScore(row: Record<string, unknown>): FrameworkScore {
  // Snapshots stored before requirement states existed get theirs from their status.
  const requirements = (row.requirements as FrameworkScore['requirements']).map((r) => ({
    ...r,
    state: requirementState(r),
  }));
  const weighted = (row.weighted as boolean | undefined) ?? false;
  return {
    framework_id: row.framework_id as string,
    framework_version: row.framework_version as string,
    title: row.title as string,
    score: row.score as number | null,
    passed: row.passed as number,
    failed: row.failed as number,
    not_applicable: row.not_applicable as number,
    requirements,
    // Requirements waiting for manual evidence, and whether policy weights were used (docs/scoring.md).
    needs_evidence: (row.needs_evidence as number | undefined) ?? 0,
    weighted,
    // Derived from the requirements, so snapshots stored before states existed answer the same way.
    status_counts: stateCounts(requirements),
    score_basis: scoreBasis(requirements, weighted),
  };
}

/** The framework scores of one scan, by framework id and version. */
export async function scoresOf(trx: Trx, scanId: string): Promise<FrameworkScore[]> {
  const rows = await trx('framework_scores')
    .where({ scan_id: scanId })
    .orderBy('framework_id')
    .orderBy('framework_version');
  return rows.map(toScore);
}

/** Upserts a scan's score snapshot (one row per framework version). */
export async function storeScores(trx: Trx, rows: Record<string, unknown>[]): Promise<void> {
  for (const batch of chunks(rows)) {
    await trx('framework_scores')
      .insert(batch)
      .onConflict(['tenant_id', 'scan_id', 'framework_id', 'framework_version'])
      .merge();
  }
}

export interface ScoreHistoryOptions {
  framework: string;
  version?: string;
  limit: number;
  cursor?: string;
}

/**
 * Which integration and scan changed the posture, and why (`scan`, `manual_evidence`, `migrated`,
 * `integration_archived`).
 */
export interface ScoringEventInput {
  reason: 'scan' | 'manual_evidence' | 'integration_archived';
  integration_id: string | null;
  scan_id: string | null;
  /** The scan of each integration the posture was computed from. */
  sources: { integration_id: string; scan_id: string; finished_at: string }[];
  scored_at: Date;
}

/** A stored scoring event. */
export interface ScoringEvent {
  id: string;
  reason: 'scan' | 'manual_evidence' | 'migrated' | 'integration_archived';
  integration_id: string | null;
  scan_id: string | null;
  sources: ScoringEventInput['sources'];
  scored_at: Date;
}

const EVENT_COLUMNS = ['id', 'reason', 'integration_id', 'scan_id', 'sources', 'scored_at'];

/** Records a scoring event and the tenant's posture at it (rows without event_id); returns the event id. */
export async function insertPosture(
  trx: Trx,
  tenantId: string,
  event: ScoringEventInput,
  rows: Record<string, unknown>[],
): Promise<string> {
  const [inserted] = (await trx('scoring_events')
    .insert({ tenant_id: tenantId, ...event, sources: JSON.stringify(event.sources) })
    .returning(['id'])) as { id: string }[];
  const id = inserted!.id;
  for (const batch of chunks(rows.map((row) => ({ ...row, tenant_id: tenantId, event_id: id }))))
    await trx('posture_scores').insert(batch);
  return id;
}

/**
 * Serialises the tenant's scoring events (transaction-scoped advisory lock): the sources of one event are
 * read after the previous event's transaction committed, so a scan finishing while an integration is
 * archived never records a posture that still counts the archived integration after the archive's event.
 */
export async function lockPosture(trx: Trx, tenantId: string): Promise<void> {
  await trx.raw(`select pg_advisory_xact_lock(hashtextextended(?, 7))`, [`posture:${tenantId}`]);
}

/** The tenant's newest scoring event, or undefined before the first. */
export async function latestScoringEvent(trx: Trx): Promise<ScoringEvent | undefined> {
  const row = (await trx('scoring_events').select(EVENT_COLUMNS).orderBy('seq', 'desc').first()) as
    ScoringEvent | undefined;
  return row && { ...row, scored_at: new Date(row.scored_at) };
}

/** The tenant's posture at one scoring event, by framework id and version. */
export async function postureScoresOf(trx: Trx, eventId: string): Promise<FrameworkScore[]> {
  const rows = await trx('posture_scores')
    .where({ event_id: eventId })
    .orderBy('framework_id')
    .orderBy('framework_version');
  return rows.map(toScore);
}

/** The tenant's posture at one past scoring event: the event, and the snapshot of each framework version. */
export interface PostureSnapshot extends Omit<ScoringEvent, 'id'> {
  event_id: string;
  items: FrameworkScore[];
}

/**
 * The posture recorded at scoring event `eventId`, limited to `framework` (`id` or `id@version`) when given;
 * undefined when the tenant has no such event. Every requirement keeps the status and state it had then.
 */
export async function postureAt(
  trx: Trx,
  eventId: string,
  framework?: string,
): Promise<PostureSnapshot | undefined> {
  const event = (await trx('scoring_events').select(EVENT_COLUMNS).where({ id: eventId }).first()) as
    ScoringEvent | undefined;
  if (!event) return undefined;
  const [id, version] = (framework ?? '').split('@') as [string, string | undefined];
  const items = (await postureScoresOf(trx, eventId)).filter(
    (score) => !framework || (score.framework_id === id && (!version || score.framework_version === version)),
  );
  const { id: _id, ...rest } = event;
  return { event_id: eventId, ...rest, scored_at: new Date(event.scored_at), items };
}

export const HISTORY_COLUMNS = [
  'e.id as event_id',
  'e.reason',
  'e.integration_id',
  'e.scan_id',
  'e.sources',
  'e.created_at',
  'e.scored_at',
  'ps.framework_id',
  'ps.framework_version',
  'ps.title',
  'ps.score',
  'ps.passed',
  'ps.failed',
  'ps.not_applicable',
  'ps.needs_evidence',
  'ps.weighted',
  'ps.requirements',
  'ps.policy',
  'ps.policy_sha256',
  'ps.manual_evidence',
];

const ORDER: SortKey[] = [
  { column: 'e.seq', field: 'cursor_seq', direction: 'desc' },
  { column: 'ps.framework_version', field: 'framework_version', direction: 'asc' },
];

/**
 * One page of the tenant's posture of `framework` (`id` or `id@version`), one point per scoring event,
 * newest first. `finished_at` is when the triggering scan finished (the event's time when evidence
 * triggered it), kept for clients of the per-scan history.
 */
export async function scoreHistory(
  trx: Trx,
  options: ScoreHistoryOptions,
): Promise<{ items: Record<string, unknown>[]; next_cursor: string | null }> {
  const [id, inline] = options.framework.split('@') as [string, string | undefined];
  const version = options.version ?? inline;
  const after = options.cursor ? decodeCursor(options.cursor, 'history', ORDER) : null;
  const query = trx('posture_scores as ps')
    .join('scoring_events as e', function () {
      this.on('e.tenant_id', 'ps.tenant_id').andOn('e.id', 'ps.event_id');
    })
    .select(HISTORY_COLUMNS)
    .select(trx.raw('e.seq::text as cursor_seq'))
    .where('ps.framework_id', id);
  if (version !== undefined) query.where('ps.framework_version', version);
  const rows = (await applyPage(query, ORDER, after, options.limit)) as Record<string, unknown>[];
  const page = toPage(rows, options.limit, 'history', ORDER);
  return {
    items: page.items.map(({ cursor_seq: _c, requirements, sources, created_at, ...row }) => {
      const score = toScore({ ...row, requirements });
      const own = (sources as ScoringEvent['sources']).find((s) => s.scan_id === row.scan_id);
      return {
        ...row,
        finished_at: own?.finished_at ?? created_at,
        sources,
        status_counts: score.status_counts,
        score_basis: score.score_basis,
      };
    }),
    next_cursor: page.next_cursor,
  };
}

/**
 * Whether `tenantId` ever set a policy. Filtered by tenant explicitly: the demo seed asks as the owner, whom
 * row-level security may not restrict.
 */
export async function tenantHasPolicy(trx: Trx, tenantId: string): Promise<boolean> {
  return Boolean(await trx('scoring_policies').where({ tenant_id: tenantId }).first());
}

/** The policy in force for the tenant of `trx` (empty, every default, when none was ever set). */
export async function currentPolicy(trx: Trx): Promise<StoredPolicy> {
  const row = (await trx('scoring_policies')
    .select('policy', 'sha256', 'created_at', 'created_by')
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .first()) as
    { policy: ScoringPolicy; sha256: string; created_at: Date; created_by: string | null } | undefined;
  if (!row) return { policy: {}, sha256: null, updated_at: null, updated_by: null };
  return { policy: row.policy, sha256: row.sha256, updated_at: row.created_at, updated_by: row.created_by };
}

/** Stores `policy` as the tenant's new policy (already validated); returns what is now in force. */
export async function insertPolicy(
  trx: Trx,
  tenantId: string,
  policy: ScoringPolicy,
  userId: string | null,
): Promise<StoredPolicy> {
  const sha256 = policySha256(policy);
  const [row] = (await trx('scoring_policies')
    .insert({ tenant_id: tenantId, policy: JSON.stringify(policy), sha256, created_by: userId })
    .returning(['created_at'])) as { created_at: Date }[];
  return { policy, sha256, updated_at: row!.created_at, updated_by: userId };
}
