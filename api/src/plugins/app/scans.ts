/**
 * Scans: queue one for an integration, and read scans with their results (scores, control results,
 * findings). Every query runs through withTenant, so another tenant's scan is simply not there (404).
 */
import fp from 'fastify-plugin';
import type { ControlResult, FrameworkScore, ScanError } from '../../../../schemas/index.ts';
import { ApiError } from '../../errors.ts';
import { withExceptions, type FindingException } from '../../overrides/store.ts';
import { applyPage, decodeCursor, toPage, type SortKey } from '../../pagination.ts';
import { SCAN_QUEUE } from '../external/boss.ts';
import type { Trx, WithTenant } from './tenancy.ts';
import type { PgBoss } from 'pg-boss';
import type { LedgerService } from '../../ledger/ledger.ts';

export type ScanStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** The statuses a scan can be in; `cancelled` is final like succeeded and failed. */
export const SCAN_STATUSES: readonly ScanStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

export interface ScanProgressView {
  phase: string;
  resources_collected: number;
  calls_made: number;
  errors: number;
}

export interface ScanView {
  id: string;
  integration_id: string;
  integration_name: string;
  status: ScanStatus;
  progress: ScanProgressView;
  errors: ScanError[];
  bundle_revision: string | null;
  /** sha256 of the tenant's override set in force when the scan was evaluated (engine overridesHash). */
  overrides_hash: string | null;
  /** Why the whole scan failed; null unless status is failed. */
  failure: { code: string; message: string } | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

/** What a scan job carries: ids only, never credentials. */
export interface ScanJobData {
  tenant_id: string;
  scan_id: string;
}

export interface FindingView {
  id: string;
  rule_id: string;
  rule_version: string;
  rule_hash: string;
  bundle_revision: string;
  resource_id: string;
  resource_type: string;
  resource_name: string;
  status: string;
  severity: string;
  message: string;
  evidence_sha256: string | null;
  /** The exception that set this failing finding aside (left out of the score), or null. */
  exception_id: string | null;
  exception: FindingException | null;
}

export const QUEUED_PROGRESS: ScanProgressView = {
  phase: 'queued',
  resources_collected: 0,
  calls_made: 0,
  errors: 0,
};

const SCAN_COLUMNS = [
  's.id',
  's.integration_id',
  'i.name as integration_name',
  's.status',
  's.progress',
  's.errors',
  's.bundle_revision',
  's.overrides_hash',
  's.failure_code',
  's.failure_message',
  's.created_at',
  's.started_at',
  's.finished_at',
  's.updated_at',
];

/** The finding fields the API returns: selected here, required by the route schema. */
export const FINDING_COLUMNS = [
  'id',
  'rule_id',
  'rule_version',
  'rule_hash',
  'bundle_revision',
  'resource_id',
  'resource_type',
  'resource_name',
  'status',
  'severity',
  'message',
  'evidence_sha256',
  'exception_id',
];

function scansQuery(trx: Trx) {
  return trx('scans as s').join('integrations as i', 'i.id', 's.integration_id').select(SCAN_COLUMNS);
}

type ScanRow = Omit<ScanView, 'failure'> & { failure_code: string | null; failure_message: string | null };

function toScanView({ failure_code, failure_message, ...rest }: ScanRow): ScanView {
  return {
    ...rest,
    failure:
      failure_code || failure_message
        ? { code: failure_code ?? 'FAILED', message: failure_message ?? '' }
        : null,
  };
}

/** The scan `id` in the tenant of `trx`, or 404. */
export async function requireScan(trx: Trx, id: string): Promise<ScanView> {
  const scan = (await scansQuery(trx).where('s.id', id).first()) as ScanRow | undefined;
  if (!scan) throw new ApiError('SCAN_NOT_FOUND', `no scan ${id}`);
  return toScanView(scan);
}

function toScore(row: Record<string, unknown>): FrameworkScore {
  return {
    framework_id: row.framework_id as string,
    framework_version: row.framework_version as string,
    title: row.title as string,
    score: row.score as number | null,
    passed: row.passed as number,
    failed: row.failed as number,
    not_applicable: row.not_applicable as number,
    requirements: row.requirements as FrameworkScore['requirements'],
    // Requirements waiting for manual evidence, and whether policy weights were used (docs/scoring.md).
    needs_evidence: (row.needs_evidence as number | undefined) ?? 0,
    weighted: (row.weighted as boolean | undefined) ?? false,
  };
}

async function scoresOf(trx: Trx, scanId: string): Promise<FrameworkScore[]> {
  const rows = await trx('framework_scores')
    .where({ scan_id: scanId })
    .orderBy('framework_id')
    .orderBy('framework_version');
  return rows.map(toScore);
}

/** The dashboard's scores: those of the tenant's newest succeeded scan. */
export interface LatestScores {
  scan_id: string | null;
  finished_at: Date | null;
  items: FrameworkScore[];
}

/** Queue and read scans for one tenant at a time. */
export class ScanService {
  readonly #withTenant: WithTenant;
  readonly #boss: PgBoss;
  /** Called after a job is queued: wakes an in-process worker instead of waiting for its next poll. */
  onQueued: () => void = () => {};

  readonly #ledger: LedgerService | undefined;

  constructor(withTenant: WithTenant, boss: PgBoss, ledger?: LedgerService) {
    this.#withTenant = withTenant;
    this.#boss = boss;
    this.#ledger = ledger;
  }

  /**
   * Cancels a queued or running scan: the row says `cancelled` at once (with a ledger event), its queued job
   * is removed, and a running job stops at its next checkpoint without writing results (409 when the scan
   * has already finished).
   */
  async cancel(tenantId: string, scanId: string, actor: string): Promise<ScanView> {
    const scan = await this.#withTenant(tenantId, async (trx) => {
      // Locked: the worker's final write takes the same lock, so either the cancel or the results win.
      const row: { status: ScanStatus } | undefined = await trx('scans')
        .select('status')
        .where({ id: scanId })
        .forUpdate()
        .first();
      if (!row) throw new ApiError('SCAN_NOT_FOUND', `no scan ${scanId}`);
      if (row.status !== 'queued' && row.status !== 'running') {
        const done = row.status === 'cancelled' ? 'been cancelled' : row.status;
        throw new ApiError('SCAN_NOT_CANCELLABLE', `scan ${scanId} has already ${done}`, {
          status: row.status,
        });
      }
      await trx('scans')
        .where({ id: scanId })
        .update({
          status: 'cancelled',
          progress: trx.raw(`jsonb_set(progress, '{phase}', '"cancelled"')`),
          finished_at: trx.fn.now(),
          updated_at: trx.fn.now(),
        });
      await this.#ledger?.append(trx, tenantId, [
        { kind: 'scan.cancelled', actor, payload: { scan_id: scanId, previous_status: row.status } },
      ]);
      return requireScan(trx, scanId);
    });
    // A queued job is dropped; an active one loses its claim, which aborts its signal at the next heartbeat.
    // Best effort: the worker also checks the row between phases, and skips a cancelled scan.
    await this.#boss.cancel(SCAN_QUEUE, scanId).catch(() => {});
    return scan;
  }

  /** Inserts a queued scan of `integrationId` and enqueues its job; 404 when the integration is not the tenant's. */
  async create(tenantId: string, integrationId: string): Promise<{ id: string; status: 'queued' }> {
    const scanId = await this.#withTenant(tenantId, async (trx) => {
      const integration = await trx('integrations').select('id').where({ id: integrationId }).first();
      if (!integration) throw new ApiError('INTEGRATION_NOT_FOUND', `no integration ${integrationId}`);
      const [row] = await trx('scans')
        .insert({
          tenant_id: tenantId,
          integration_id: integrationId,
          progress: JSON.stringify(QUEUED_PROGRESS),
        })
        .returning('id');
      return (row as { id: string }).id;
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
        trx('scans').where({ id: scanId }).update({
          status: 'failed',
          failure_code: 'QUEUE_UNAVAILABLE',
          failure_message: 'the scan could not be queued',
          finished_at: trx.fn.now(),
          updated_at: trx.fn.now(),
        }),
      );
      throw new ApiError('SERVICE_UNAVAILABLE', 'the job queue is not available, try again shortly', {
        cause: (error as Error).message,
      });
    }
    this.onQueued();
    return { id: scanId, status: 'queued' };
  }

  /** One page of the tenant's scans, filtered and sorted (newest first by default). */
  list(tenantId: string, options: ScanListOptions): Promise<Page<ScanView>> {
    const sort = options.sort ?? '-created_at';
    const direction = sort.startsWith('-') ? 'desc' : 'asc';
    // Cursors carry the timestamp as text: full microsecond precision, which a JS Date would cut to ms.
    const order: SortKey[] = [
      { column: 's.created_at', field: 'cursor_created_at', direction },
      { column: 's.id', field: 'id', direction },
    ];
    const after = options.cursor ? decodeCursor(options.cursor, sort, order) : null;
    return this.#withTenant(tenantId, async (trx) => {
      const query = scansQuery(trx).select(trx.raw('s.created_at::text as cursor_created_at'));
      if (options.status) query.where('s.status', options.status);
      if (options.integration_id) query.where('s.integration_id', options.integration_id);
      const rows = (await applyPage(query, order, after, options.limit)) as (ScanRow & {
        cursor_created_at?: string;
      })[];
      const page = toPage(rows, options.limit, sort, order);
      return {
        items: page.items.map(({ cursor_created_at: _cursor, ...row }) => toScanView(row)),
        next_cursor: page.next_cursor,
      };
    });
  }

  /** One scan with its finding counts by status. */
  get(tenantId: string, scanId: string): Promise<ScanView & { finding_counts: Record<string, number> }> {
    return this.#withTenant(tenantId, async (trx) => {
      const scan = await requireScan(trx, scanId);
      // Excepted findings (failing, set aside by an exception) are counted apart, as the score leaves them out.
      const counts = await trx('findings')
        .select('status', trx.raw('exception_id is not null as excepted'))
        .count<{ status: string; excepted: boolean; count: string | number }[]>('* as count')
        .where({ scan_id: scanId })
        .groupBy('status', 'excepted');
      const finding_counts: Record<string, number> = {
        pass: 0,
        fail: 0,
        not_applicable: 0,
        error: 0,
        excepted: 0,
      };
      for (const row of counts) {
        const key = row.excepted ? 'excepted' : row.status;
        finding_counts[key] = (finding_counts[key] ?? 0) + Number(row.count);
      }
      return { ...scan, finding_counts };
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
   * The newest succeeded scan's scores (`scan_id: null` when there is none) as an answer `build` makes, unless `cached` already holds one for their
   * version. The version is the scan id plus the row versions (xmin) of its score rows, so it changes whenever
   * a newer scan succeeds or its scores are rewritten (manual evidence rescoring): a cached answer is never
   * stale. Rows rewritten between the two reads only put a newer answer under the older version, which no later
   * request asks for.
   */
  latestScoresAnswer<T>(
    tenantId: string,
    answer: { cached(version: string): T | undefined; build(scores: LatestScores, version: string): T },
  ): Promise<T> {
    return this.#withTenant(tenantId, async (trx) => {
      const latest: { id: string; finished_at: Date; rows: string | null } | undefined = await trx('scans')
        .select('id', 'finished_at')
        .select(
          trx.raw(
            "(SELECT string_agg(fs.xmin::text, ',' ORDER BY fs.id) FROM framework_scores fs WHERE fs.scan_id = scans.id) AS rows",
          ),
        )
        .where({ status: 'succeeded' })
        .orderBy('finished_at', 'desc')
        .orderBy('id')
        .first();
      const version = latest ? `${latest.id}:${latest.rows ?? ''}` : 'none';
      const hit = answer.cached(version);
      if (hit !== undefined) return hit;
      const scores: LatestScores = latest
        ? { scan_id: latest.id, finished_at: latest.finished_at, items: await scoresOf(trx, latest.id) }
        : { scan_id: null, finished_at: null, items: [] };
      return answer.build(scores, version);
    });
  }

  /** Control results of one scan. */
  controls(tenantId: string, scanId: string): Promise<ControlResult[]> {
    return this.#withTenant(tenantId, async (trx) => {
      await requireScan(trx, scanId);
      return trx('control_results')
        .select('control_id', 'status', 'counts', 'rule_ids')
        .where({ scan_id: scanId })
        .orderBy('control_id');
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
      const result = (await trx('control_results')
        .select('control_id', 'status', 'counts', 'rule_ids')
        .where({ scan_id: scanId, control_id: controlId })
        .first()) as ControlResult | undefined;
      if (!result)
        throw new ApiError('CONTROL_NOT_FOUND', `scan ${scanId} has no result for control ${controlId}`);
      const findings = result.rule_ids.length
        ? await trx('findings')
            .select(FINDING_COLUMNS)
            .where({ scan_id: scanId })
            .whereIn('rule_id', result.rule_ids)
            .orderBy([{ column: 'rule_id' }, { column: 'resource_id' }])
        : [];
      return { result, findings: await withExceptions(trx, findings as FindingView[]) };
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
      const query = trx('findings').select(FINDING_COLUMNS).where({ scan_id: scanId });
      for (const field of ['status', 'severity', 'rule_id', 'resource_type'] as const) {
        const value = options[field];
        if (value) query.andWhere(field, value);
      }
      if (options.excepted !== undefined) {
        if (options.excepted) query.whereNotNull('exception_id');
        else query.whereNull('exception_id');
      }
      const rows = (await applyPage(query, order, after, options.limit)) as FindingView[];
      const page = toPage(
        rows as unknown as Record<string, unknown>[],
        options.limit,
        sort,
        order,
      ) as unknown as Page<FindingView>;
      return { ...page, items: await withExceptions(trx, page.items) };
    });
  }
}

/** One page of a list: its items and the cursor of the next page (null on the last). */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface ScanListOptions {
  limit: number;
  cursor?: string;
  sort?: 'created_at' | '-created_at';
  status?: string;
  integration_id?: string;
}

export interface FindingListOptions {
  limit: number;
  cursor?: string;
  sort?: 'rule_id' | 'resource_id' | 'status';
  status?: string;
  severity?: string;
  rule_id?: string;
  resource_type?: string;
  /** true: only excepted findings; false: none of them. */
  excepted?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    scans: ScanService;
  }
}

/** Decorates `app.scans`. */
export const scansPlugin = fp(
  async (app) => {
    app.decorate('scans', new ScanService(app.withTenant, app.boss, app.ledger));
  },
  { name: 'scans', dependencies: ['tenancy', 'boss', 'ledger'] },
);
