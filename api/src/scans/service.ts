/**
 * Scans: queue one for an integration, cancel it, and read scans with their results (scores, control
 * results, findings, the OSCAL assessment results). Each call opens the tenant's transaction, so another
 * tenant's scan is simply not there (404); changes append their ledger events in the same transaction.
 */
import type { JobWakeups } from '../plugins/external/wakeups.ts';
import type { PgBoss } from 'pg-boss';
import { assessmentResultsToOscal, sourceAges } from '../../../engine/index.ts';
import type { ControlResult, Finding, FrameworkScore } from '../../../schemas/index.ts';
import { ApiError } from '../errors.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import { withExceptions } from '../overrides/store.ts';
import { decodeCursor, toPage, type SortKey } from '../pagination.ts';
import { loadIntegrationRecord } from '../integrations/store.ts';
import type { Trx, WithTenant } from '../plugins/app/tenancy.ts';
import { SCAN_QUEUE } from '../plugins/external/boss.ts';
import { STALE_AFTER_DAYS } from '../scoring/compute.ts';
import { latestScoringEvent, postureScoresOf, scoresOf } from '../scoring/store.ts';
import {
  controlResultOf,
  controlResultsOf,
  failScan,
  findingCounts,
  findingCountsOfScans,
  findingPage,
  findingsOf,
  findScan,
  insertQueuedScan,
  latestSucceededScan,
  markCancelled,
  scanPage,
  scanPartViews,
  scanPartLengths,
  scanResourceCountOfType,
  scanResourcePage,
  unfoundScanResourceEvidence,
  type ScanPartLength,
  scanStatus,
  tenantName,
  type ScanPartView,
} from './store.ts';
import {
  QUEUED_PROGRESS,
  type FindingListOptions,
  type FindingView,
  type LatestScores,
  type Page,
  type ScanJobData,
  type ScanListOptions,
  type ScanResourceListOptions,
  type ScanResourceView,
  type ScanView,
} from './types.ts';
import type { EvidenceStore } from '../plugins/app/evidence.ts';
import { chunks } from '../batch.ts';

/** The scan `id` in the tenant of `trx`, or 404. */
export async function requireScan(trx: Trx, id: string): Promise<ScanView> {
  const scan = await findScan(trx, id);
  if (!scan) throw new ApiError('SCAN_NOT_FOUND', `no scan ${id}`);
  return scan;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** Where a resource is, as its evidence snapshot says. */
interface SnapshotPlace {
  type: string | null;
  name: string | null;
  account: string | null;
  region: string | null;
}

/** Snapshots read at once when the listing needs several (as the scan's gather step reads them). */
const SNAPSHOTS_AT_ONCE = 16;
/** Snapshot places kept in memory: a snapshot never changes (its name is its hash), so none goes stale. */
const SNAPSHOT_PLACES_KEPT = 20_000;

/** The places read from snapshots, by sha256, oldest read first (a small LRU). */
class SnapshotPlaces {
  readonly #kept = new Map<string, SnapshotPlace>();
  readonly #store: Pick<EvidenceStore, 'get'>;

  constructor(store: Pick<EvidenceStore, 'get'>) {
    this.#store = store;
  }

  /** The place in each snapshot of `hashes` (all nulls for one the store no longer has). */
  async of(hashes: readonly string[]): Promise<Map<string, SnapshotPlace>> {
    const out = new Map<string, SnapshotPlace>();
    const missing: string[] = [];
    for (const sha256 of new Set(hashes)) {
      const kept = this.#kept.get(sha256);
      if (kept) {
        this.#kept.delete(sha256);
        this.#kept.set(sha256, kept);
        out.set(sha256, kept);
      } else missing.push(sha256);
    }
    for (const group of chunks(missing, SNAPSHOTS_AT_ONCE)) {
      const read = await Promise.all(group.map((sha256) => this.#store.get(sha256)));
      group.forEach((sha256, i) => {
        const place = placeOf(read[i] ?? null);
        out.set(sha256, place);
        // A snapshot the store no longer has may come back (a retried scan stores it again): not kept.
        if (!read[i]) return;
        this.#kept.set(sha256, place);
        if (this.#kept.size > SNAPSHOT_PLACES_KEPT) this.#kept.delete(this.#kept.keys().next().value!);
      });
    }
    return out;
  }
}

/**
 * The plan positions of the parts one page reaches into: from the cursor's part (`after` is [position,
 * ordinal]) on, until they hold the page and the one row after it that tells whether another page follows.
 */
export function partsOfPage(
  lengths: readonly ScanPartLength[],
  after: readonly (string | number | null)[] | null,
  limit: number,
): number[] {
  const positions: number[] = [];
  let rows = 0;
  for (const part of lengths) {
    if (rows > limit) break;
    const left = after
      ? part.position < Number(after[0])
        ? 0
        : part.position === Number(after[0])
          ? part.length - Number(after[1])
          : part.length
      : part.length;
    if (left <= 0) continue;
    positions.push(part.position);
    rows += left;
  }
  return positions;
}

function placeOf(bytes: Buffer | null): SnapshotPlace {
  let snapshot: Record<string, unknown> = {};
  try {
    if (bytes) snapshot = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    // Not a resource snapshot: nothing to say of its place.
  }
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
  return {
    type: text(snapshot.type),
    name: text(snapshot.name),
    account: text(snapshot.account),
    region: text(snapshot.region),
  };
}

/** Queue and read scans for one tenant at a time. */
export class ScanService {
  readonly #withTenant: WithTenant;
  readonly #boss: PgBoss;
  /** Wakes the scan workers of every process once a job is queued, instead of at their next poll. */
  readonly #wakeups: Pick<JobWakeups, 'announce'>;

  readonly #ledger: LedgerService | undefined;
  readonly #snapshots: SnapshotPlaces | undefined;

  constructor(
    withTenant: WithTenant,
    boss: PgBoss,
    wakeups: Pick<JobWakeups, 'announce'>,
    ledger?: LedgerService,
    evidenceStore?: Pick<EvidenceStore, 'get'>,
  ) {
    this.#withTenant = withTenant;
    this.#boss = boss;
    this.#wakeups = wakeups;
    this.#ledger = ledger;
    this.#snapshots = evidenceStore && new SnapshotPlaces(evidenceStore);
  }

  /**
   * Cancels a queued or running scan: the row says `cancelled` at once (with a ledger event), its queued job
   * is removed, and a running job stops at its next checkpoint without writing results (409 when the scan
   * has already finished).
   */
  async cancel(tenantId: string, scanId: string, actor: string): Promise<ScanView> {
    const scan = await this.#withTenant(tenantId, async (trx) => {
      // Locked: the worker's final write takes the same lock, so either the cancel or the results win.
      const status = await scanStatus(trx, scanId, true);
      if (!status) throw new ApiError('SCAN_NOT_FOUND', `no scan ${scanId}`);
      if (status !== 'queued' && status !== 'running') {
        const done = status === 'cancelled' ? 'been cancelled' : status;
        throw new ApiError('SCAN_NOT_CANCELLABLE', `scan ${scanId} has already ${done}`, { status });
      }
      await markCancelled(trx, scanId);
      await this.#ledger?.append(trx, tenantId, [
        { kind: 'scan.cancelled', actor, payload: { scan_id: scanId, previous_status: status } },
      ]);
      return requireScan(trx, scanId);
    });
    // A queued job is dropped; an active one loses its claim, which aborts its signal at the next heartbeat.
    // Best effort: the worker also checks the row between phases, and skips a cancelled scan.
    await this.#boss.cancel(SCAN_QUEUE, scanId).catch(() => {});
    return scan;
  }

  /** The scan's parts (which worker collected each, attempts, counts, errors, times); 404 for an unknown scan. */
  async parts(tenantId: string, scanId: string): Promise<{ scan_id: string; items: ScanPartView[] }> {
    return this.#withTenant(tenantId, async (trx) => {
      if (!(await scanStatus(trx, scanId))) throw new ApiError('SCAN_NOT_FOUND', `no scan ${scanId}`);
      return { scan_id: scanId, items: await scanPartViews(trx, scanId) };
    });
  }

  /**
   * One page of the resources the scan collected (each part's [resource id, evidence] pairs), in plan order,
   * with `total`, how many match the filters in all. A resource's type, name, account and region come from
   * its findings in the scan, else from its snapshot (a resource no rule checked); with a type filter, the
   * snapshots of every resource no finding names are read first (once: their places are kept by hash).
   */
  async resources(
    tenantId: string,
    scanId: string,
    options: ScanResourceListOptions,
  ): Promise<Page<ScanResourceView> & { scan_id: string; total: number }> {
    // The sort is fixed; its name binds a cursor to the filters it was made under, so a cursor of another
    // filter (whose rows would differ) is refused instead of skipping rows.
    const sort = `plan:${options.part ?? ''}:${options.type ?? ''}`;
    const order: SortKey[] = [
      { column: 'r.position', field: 'position', direction: 'asc' },
      { column: 'r.ordinal', field: 'ordinal', direction: 'asc' },
    ];
    const after = options.cursor ? decodeCursor(options.cursor, sort, order) : null;
    const { rows, total } = await this.#withTenant(tenantId, async (trx) => {
      if (!(await scanStatus(trx, scanId))) throw new ApiError('SCAN_NOT_FOUND', `no scan ${scanId}`);
      const lengths = await scanPartLengths(trx, scanId, options.part);
      const filter = { part: options.part, positions: partsOfPage(lengths, after, options.limit) };
      if (options.type === undefined) {
        return {
          rows: await scanResourcePage(trx, scanId, filter, order, after, options.limit),
          total: lengths.reduce((sum, part) => sum + part.length, 0),
        };
      }
      // A type filter may skip any number of rows: every part from the cursor's on, and the snapshot types
      // of the resources no finding names.
      const fromCursor = lengths.filter((part) => !after || part.position >= Number(after[0]));
      const places = await this.#placesOf(await unfoundScanResourceEvidence(trx, scanId, options.part));
      const snapshotTypes = new Map(
        [...places].flatMap(([sha256, place]) => (place.type ? [[sha256, place.type] as const] : [])),
      );
      const typed = { part: options.part, type: options.type, snapshotTypes };
      return {
        rows: await scanResourcePage(
          trx,
          scanId,
          { ...typed, positions: fromCursor.map((part) => part.position) },
          order,
          after,
          options.limit,
        ),
        total: await scanResourceCountOfType(trx, scanId, typed),
      };
    });
    const page = toPage(rows as unknown as Record<string, unknown>[], options.limit, sort, order);
    const items = page.items as unknown as typeof rows;
    const places = await this.#placesOf(items.filter((r) => r.findings === 0).map((r) => r.evidence_sha256));
    return {
      scan_id: scanId,
      total,
      items: items.map((row) => {
        const place = row.findings === 0 ? places.get(row.evidence_sha256) : undefined;
        return {
          resource_id: row.resource_id,
          part: row.part,
          evidence_sha256: row.evidence_sha256,
          resource_type: row.resource_type ?? place?.type ?? null,
          resource_name: row.resource_name ?? place?.name ?? null,
          account: row.resource_account ?? place?.account ?? null,
          region: row.resource_region ?? place?.region ?? null,
          findings: row.findings,
          failing: row.failing,
        };
      }),
      next_cursor: page.next_cursor,
    };
  }

  #placesOf(hashes: readonly string[]): Promise<Map<string, SnapshotPlace>> {
    if (!this.#snapshots || hashes.length === 0) return Promise.resolve(new Map());
    return this.#snapshots.of(hashes);
  }

  /** Inserts a queued scan of `integrationId` and enqueues its job; 404 when the integration is not the tenant's. */
  async create(tenantId: string, integrationId: string): Promise<{ id: string; status: 'queued' }> {
    const scanId = await this.#withTenant(tenantId, async (trx) => {
      if (!(await loadIntegrationRecord(trx, integrationId)))
        throw new ApiError('INTEGRATION_NOT_FOUND', `no integration ${integrationId}`);
      return insertQueuedScan(trx, tenantId, integrationId, QUEUED_PROGRESS);
    });
    // Enqueued after the scan row is committed (on PGlite a send inside the transaction would wait for the
    // very connection the transaction holds). If the queue refuses, the scan is marked failed, not left queued.
    try {
      const data: ScanJobData = { tenant_id: tenantId, scan_id: scanId };
      // The scan id doubles as the job id: one job per scan, whatever happens. The tenant is the job's group,
      // which the worker's per-tenant concurrency limit counts.
      await this.#boss.send(SCAN_QUEUE, data, { id: scanId, group: { id: tenantId } });
    } catch (error) {
      await this.#withTenant(tenantId, (trx) =>
        failScan(trx, scanId, 'QUEUE_UNAVAILABLE', 'the scan could not be queued'),
      );
      throw new ApiError('SERVICE_UNAVAILABLE', 'the job queue is not available, try again shortly', {
        cause: (error as Error).message,
      });
    }
    await this.#wakeups.announce(SCAN_QUEUE);
    return { id: scanId, status: 'queued' };
  }

  /** One page of the tenant's scans, filtered and sorted (newest first by default), with their finding counts. */
  list(
    tenantId: string,
    options: ScanListOptions,
  ): Promise<Page<ScanView & { finding_counts: Record<string, number> }>> {
    const sort = options.sort ?? '-created_at';
    const direction = sort.startsWith('-') ? 'desc' : 'asc';
    // Cursors carry the timestamp as text: full microsecond precision, which a JS Date would cut to ms.
    const order: SortKey[] = [
      { column: 's.created_at', field: 'cursor_created_at', direction },
      { column: 's.id', field: 'id', direction },
    ];
    const after = options.cursor ? decodeCursor(options.cursor, sort, order) : null;
    return this.#withTenant(tenantId, async (trx) => {
      const rows = await scanPage(trx, options, order, after);
      const page = toPage(rows as unknown as Record<string, unknown>[], options.limit, sort, order);
      const items = page.items as unknown as typeof rows;
      const counts = await findingCountsOfScans(
        trx,
        items.map((scan) => scan.id),
      );
      return {
        items: items.map(({ cursor_created_at: _cursor, ...scan }) => ({
          ...scan,
          finding_counts: counts.get(scan.id)!,
        })),
        next_cursor: page.next_cursor,
      };
    });
  }

  /** One scan with its finding counts by status. */
  get(tenantId: string, scanId: string): Promise<ScanView & { finding_counts: Record<string, number> }> {
    return this.#withTenant(tenantId, async (trx) => {
      const scan = await requireScan(trx, scanId);
      // Excepted findings (failing, set aside by an exception) are counted apart, as the score leaves them out.
      return { ...scan, finding_counts: await findingCounts(trx, scanId) };
    });
  }

  /** Framework scores of one scan. */
  scores(tenantId: string, scanId: string): Promise<{ scan_id: string; items: FrameworkScore[] }> {
    return this.#withTenant(tenantId, async (trx) => {
      await requireScan(trx, scanId);
      return { scan_id: scanId, items: await scoresOf(trx, scanId) };
    });
  }

  /**
   * The tenant's posture at its newest scoring event (docs/scoring.md, "Tenant posture") with the age of
   * each integration's contribution at `now`, as an answer `build` makes, unless `cached` already holds one
   * for its version. Events are append-only, so the version is the event id, the newest succeeded scan,
   * and each source's age in days and staleness: a cached answer is never stale, and a day later (or once
   * a source crosses the threshold) the answer is built again.
   */
  latestScoresAnswer<T>(
    tenantId: string,
    answer: { cached(version: string): T | undefined; build(scores: LatestScores, version: string): T },
    now = new Date(),
  ): Promise<T> {
    return this.#withTenant(tenantId, async (trx) => {
      const latest = await latestSucceededScan(trx);
      const event = await latestScoringEvent(trx);
      const ages = event ? sourceAges(event.sources, now, STALE_AFTER_DAYS) : [];
      const version = [
        event?.id ?? 'none',
        latest?.id ?? 'none',
        ...ages.map((a) => `${a.age_days}${a.stale ? 's' : ''}`),
      ].join(':');
      const hit = answer.cached(version);
      if (hit !== undefined) return hit;
      const scores: LatestScores = {
        scan_id: latest?.id ?? null,
        finished_at: latest?.finished_at ?? null,
        items: event ? await postureScoresOf(trx, event.id) : [],
        posture: event
          ? {
              event_id: event.id,
              reason: event.reason,
              integration_id: event.integration_id,
              event_scan_id: event.scan_id,
              scored_at: event.scored_at,
              stale_after_days: STALE_AFTER_DAYS,
              integrations: ages,
            }
          : null,
      };
      return answer.build(scores, version);
    });
  }

  /** Control results of one scan. */
  controls(tenantId: string, scanId: string): Promise<ControlResult[]> {
    return this.#withTenant(tenantId, async (trx) => {
      await requireScan(trx, scanId);
      return controlResultsOf(trx, scanId);
    });
  }

  /** One control result of a scan and the findings of its rules; 404 when the scan has no such control. */
  control(
    tenantId: string,
    scanId: string,
    controlId: string,
  ): Promise<{ result: ControlResult; findings: FindingView[] }> {
    return this.#withTenant(tenantId, async (trx) => {
      await requireScan(trx, scanId);
      const result = await controlResultOf(trx, scanId, controlId);
      if (!result)
        throw new ApiError('CONTROL_NOT_FOUND', `scan ${scanId} has no result for control ${controlId}`);
      const findings = await findingsOf(trx, scanId, result.rule_ids);
      return { result, findings: await withExceptions(trx, findings) };
    });
  }

  /** One page of a scan's findings, filtered and sorted (by rule, then resource, by default). */
  findings(tenantId: string, scanId: string, options: FindingListOptions): Promise<Page<FindingView>> {
    const sort = options.sort ?? 'rule_id';
    const second = sort === 'resource_id' ? 'rule_id' : 'resource_id';
    const order: SortKey[] = [
      { column: sort, direction: 'asc' },
      ...(sort === 'status' ? [{ column: 'rule_id', direction: 'asc' as const }] : []),
      { column: second, direction: 'asc' },
      { column: 'id', direction: 'asc' },
    ];
    const after = options.cursor ? decodeCursor(options.cursor, sort, order) : null;
    return this.#withTenant(tenantId, async (trx) => {
      await requireScan(trx, scanId);
      const rows = await findingPage(trx, scanId, options, order, after);
      const page = toPage(
        rows as unknown as Record<string, unknown>[],
        options.limit,
        sort,
        order,
      ) as unknown as Page<FindingView>;
      return { ...page, items: await withExceptions(trx, page.items) };
    });
  }

  /**
   * The OSCAL 1.1.3 assessment-results document of one succeeded scan (`'latest'`: the newest one): its
   * findings as observations, its control results as findings and its framework scores as props (409 for a
   * scan that has no results, 404 when there is none).
   */
  assessmentResults(tenantId: string, scanId: string | 'latest'): Promise<{ 'assessment-results': object }> {
    return this.#withTenant(tenantId, async (trx) => {
      let id = scanId;
      if (id === 'latest') {
        const latest = await latestSucceededScan(trx);
        if (!latest) throw new ApiError('SCAN_NOT_FOUND', 'no succeeded scan yet');
        id = latest.id;
      }
      const scan = await requireScan(trx, id);
      if (scan.status !== 'succeeded' || !scan.bundle_revision)
        throw new ApiError('CONFLICT', `scan ${id} is ${scan.status}: only a succeeded scan has results`);
      const subject = await tenantName(trx, tenantId);
      return assessmentResultsToOscal(
        {
          scan_id: scan.id,
          started_at: iso(scan.started_at ?? scan.created_at)!,
          finished_at: iso(scan.finished_at),
          bundle_revision: scan.bundle_revision,
          ...(subject !== undefined ? { subject } : {}),
        },
        (await findingsOf(trx, id)) as Finding[],
        await controlResultsOf(trx, id),
        await scoresOf(trx, id),
        // last-modified = when the results were final, so the same scan always exports the same document.
        { now: new Date(scan.finished_at ?? scan.updated_at) },
      );
    });
  }
}
