/**
 * Reports: the framework readiness report (PDF, made by a background job and kept in the evidence store),
 * and the control matrix and findings CSVs (made on request). Every number is read through the functions
 * the scans routes answer with (`ScanService.scores`, `.controls`, `.findings`), so a report never says
 * anything the API would not.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { JobWakeups } from '../plugins/external/wakeups.ts';
import type { PgBoss } from 'pg-boss';
import { frameworkPolicy } from '../../../engine/index.ts';
import type { FrameworkScore } from '../../../schemas/index.ts';
import { ApiError } from '../errors.ts';
import { insertEvidenceRows, lockEvidence } from '../evidence/store.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import { decodeCursor, toPage, type SortKey } from '../pagination.ts';
import { listManualEvidence } from '../evidence/store.ts';
import { tenantFrameworks } from '../frameworks/catalogs.ts';
import type { EngineRuntime } from '../plugins/app/engine.ts';
import type { EvidenceStore } from '../plugins/app/evidence.ts';
import type { Trx, WithTenant } from '../plugins/app/tenancy.ts';
import { REPORT_QUEUE } from '../plugins/external/boss.ts';
import type { ExplorerService } from '../explorer/service.ts';
import type { ExplorerFinding, FindingFilters } from '../explorer/types.ts';
import type { ScanService } from '../scans/service.ts';
import { findScan, latestSucceededScan, tenantName } from '../scans/store.ts';
import type { Page } from '../scans/types.ts';
import { currentPolicy, scoreHistory } from '../scoring/store.ts';
import { controlMatrixRows, type ControlMatrixRow, type DescribedControl } from './csv.ts';
import {
  renderReadinessPdf,
  type ExceptionInForce,
  type ManualEvidenceRef,
  type ReadinessData,
  type ScorePoint,
} from './pdf.ts';
import { evidenceCountsByRule, findReport, insertReport, reportPage, updateReport } from './store.ts';
import type { ReportJobData, ReportRequest, ReportView } from './types.ts';

const PDF_TYPE = 'application/pdf';
/** Findings read per page when a report walks a scan's findings: bounds memory, whatever the scan's size. */
export const FINDINGS_PAGE = 1000;

export interface ReportDeps {
  withTenant: WithTenant;
  boss: PgBoss;
  /** Wakes the report workers of every process once a job is queued. */
  wakeups: Pick<JobWakeups, 'announce'>;
  ledger: LedgerService;
  store: EvidenceStore;
  scans: ScanService;
  explorer: ExplorerService;
  engine: EngineRuntime;
}

/** A framework's score in `items`: the version asked for, else the newest version scored. */
function pickScore(items: FrameworkScore[], id: string, version?: string | null): FrameworkScore | undefined {
  return items
    .filter((s) => s.framework_id === id && (!version || s.framework_version === version))
    .sort((a, b) => b.framework_version.localeCompare(a.framework_version, 'en', { numeric: true }))[0];
}

export class ReportService {
  readonly #deps: ReportDeps;

  constructor(deps: ReportDeps) {
    this.#deps = deps;
  }

  /**
   * Records a queued readiness report and queues its job (202 for the route). 404 for a framework neither the
   * catalogs nor the tenant's uploads hold; 409 while the tenant has no succeeded scan to report on.
   */
  async create(tenantId: string, actor: string, request: ReportRequest): Promise<ReportView> {
    const { withTenant, engine, ledger, boss } = this.#deps;
    const base = await engine.frameworks();
    const report = await withTenant(tenantId, async (trx) => {
      const known = (await tenantFrameworks(trx, base)).frameworks.some(
        (f) =>
          f.id === request.framework_id &&
          (!request.framework_version || f.version === request.framework_version),
      );
      if (!known)
        throw new ApiError('FRAMEWORK_NOT_FOUND', `no framework ${request.framework_id}`, {
          framework_id: request.framework_id,
        });
      if (!(await latestSucceededScan(trx)))
        throw new ApiError('CONFLICT', 'no succeeded scan yet: run a scan before asking for a report');
      const id = await insertReport(trx, {
        tenant_id: tenantId,
        kind: request.kind,
        framework_id: request.framework_id,
        framework_version: request.framework_version ?? null,
        requested_by: actor,
      });
      await ledger.append(trx, tenantId, [
        { kind: 'report.requested', actor, payload: { report_id: id, ...request } },
      ]);
      return (await findReport(trx, id))!;
    });
    // Sent after the row is committed (as scans are: on PGlite a send inside the transaction would wait for
    // the connection the transaction holds). A refused send fails the report rather than leaving it queued.
    try {
      const data: ReportJobData = { tenant_id: tenantId, report_id: report.id };
      await boss.send(REPORT_QUEUE, data, { id: report.id });
    } catch (error) {
      await this.#fail(tenantId, report.id, 'QUEUE_UNAVAILABLE', 'the report could not be queued');
      throw new ApiError('SERVICE_UNAVAILABLE', 'the job queue is not available, try again shortly', {
        cause: (error as Error).message,
      });
    }
    await this.#deps.wakeups.announce(REPORT_QUEUE);
    return report;
  }

  /** One page of the tenant's reports, newest first. */
  list(tenantId: string, options: { limit: number; cursor?: string }): Promise<Page<ReportView>> {
    const order: SortKey[] = [
      { column: 'created_at', field: 'cursor_created_at', direction: 'desc' },
      { column: 'id', direction: 'desc' },
    ];
    const after = options.cursor ? decodeCursor(options.cursor, '-created_at', order) : null;
    return this.#deps.withTenant(tenantId, async (trx) => {
      const rows = await reportPage(trx, order, after, options.limit);
      const page = toPage(rows as unknown as Record<string, unknown>[], options.limit, '-created_at', order);
      return {
        items: (page.items as unknown as typeof rows).map(({ cursor_created_at: _c, ...report }) => report),
        next_cursor: page.next_cursor,
      };
    });
  }

  /** One report, or 404. */
  async get(tenantId: string, id: string): Promise<ReportView> {
    const report = await this.#deps.withTenant(tenantId, (trx) => findReport(trx, id));
    if (!report) throw new ApiError('REPORT_NOT_FOUND', `no report ${id}`);
    return report;
  }

  /** The stored file of a succeeded report (409 while it is not ready, or when it failed). */
  async download(
    tenantId: string,
    id: string,
  ): Promise<{ bytes: Buffer; filename: string; content_type: string; sha256: string }> {
    const report = await this.get(tenantId, id);
    if (report.status !== 'succeeded' || !report.sha256)
      throw new ApiError('REPORT_NOT_READY', `report ${id} is ${report.status}`, { status: report.status });
    const bytes = await this.#deps.store.get(report.sha256);
    if (!bytes)
      throw new Error(`report ${id} names ${report.sha256}, which the evidence store does not hold`);
    const day = new Date(report.created_at).toISOString().slice(0, 10);
    return {
      bytes,
      sha256: report.sha256,
      content_type: report.content_type ?? PDF_TYPE,
      filename: `readiness-${report.framework_id}-${report.framework_version ?? ''}-${day}.pdf`.replace(
        /[^A-Za-z0-9._-]/g,
        '_',
      ),
    };
  }

  /**
   * Runs one report job: builds the data, renders the PDF, stores it through the evidence store (recorded
   * for the tenant, so retention keeps it) and records it in the ledger with its sha256. A report that cannot
   * be made is marked failed; the job does not retry it.
   */
  async run(job: ReportJobData, log: FastifyBaseLogger): Promise<'succeeded' | 'failed' | 'skipped'> {
    const { withTenant, store, ledger } = this.#deps;
    const { tenant_id: tenantId, report_id: reportId } = job;
    const report = await withTenant(tenantId, (trx) => findReport(trx, reportId));
    if (!report || report.status === 'succeeded' || report.status === 'failed') return 'skipped';
    const progress = (value: number) =>
      withTenant(tenantId, (trx) => updateReport(trx, reportId, { progress: value }));
    try {
      await withTenant(tenantId, (trx) =>
        updateReport(trx, reportId, { status: 'running', progress: 5, started_at: new Date() }),
      );
      const data = await this.#readinessData(
        tenantId,
        { ...report, scan_id: await this.#scanOf(tenantId) },
        progress,
      );
      await progress(60);
      const bytes = await renderReadinessPdf(data);
      await progress(90);
      const sha256 = await store.put(bytes);
      await withTenant(tenantId, async (trx) => {
        await lockEvidence(trx, [sha256], 'shared');
        const added = await insertEvidenceRows(trx, [
          { tenant_id: tenantId, sha256, size: bytes.length, content_type: PDF_TYPE },
        ]);
        await updateReport(trx, reportId, {
          status: 'succeeded',
          progress: 100,
          scan_id: data.scan.id,
          framework_version: data.score.framework_version,
          sha256,
          size: bytes.length,
          content_type: PDF_TYPE,
          finished_at: new Date(),
        });
        const actor = report.requested_by ?? 'worker';
        await ledger.append(trx, tenantId, [
          ...(added.length > 0 ? [{ kind: 'evidence.recorded', actor, artifact_sha256: sha256 }] : []),
          {
            kind: 'report.generated',
            actor,
            artifact_sha256: sha256,
            payload: {
              report_id: reportId,
              kind: report.kind,
              framework_id: data.score.framework_id,
              framework_version: data.score.framework_version,
              scan_id: data.scan.id,
              bundle_revision: data.scan.bundle_revision,
              score: data.score.score,
            },
          },
        ]);
      });
      log.info({ report_id: reportId, sha256, size: bytes.length }, 'report generated');
      return 'succeeded';
    } catch (error) {
      const known = error instanceof ApiError;
      if (!known) log.error({ err: error, report_id: reportId }, 'report job failed');
      await this.#fail(
        tenantId,
        reportId,
        known ? error.code : 'INTERNAL_ERROR',
        known ? error.message : 'the report stopped on an internal error',
      ).catch((writeError: unknown) => log.warn({ err: writeError }, 'could not record the report failure'));
      return 'failed';
    }
  }

  /** The control matrix of one framework in one scan (default: the newest succeeded scan). */
  async controlMatrix(
    tenantId: string,
    frameworkId: string,
    options: { version?: string; scan_id?: string },
  ): Promise<{ scan_id: string; rows: ControlMatrixRow[] }> {
    const scanId = await this.#scanOf(tenantId, options.scan_id);
    const score = pickScore(
      (await this.#deps.scans.scores(tenantId, scanId)).items,
      frameworkId,
      options.version,
    );
    if (!score)
      throw new ApiError('FRAMEWORK_NOT_FOUND', `scan ${scanId} has no score for framework ${frameworkId}`);
    return { scan_id: scanId, rows: controlMatrixRows(score, await this.#controls(tenantId, scanId)) };
  }

  /**
   * The findings of the explorer (GET /api/findings) under its filters and sort, read page by page through
   * the explorer's own function: the same rows in the same order, memory bounded by one page however many
   * findings there are. The first page is read before this resolves, so an unknown scan or framework or a
   * bad filter is an error answer, not a broken download.
   */
  async findings(tenantId: string, filters: FindingFilters): Promise<AsyncIterable<ExplorerFinding>> {
    const read = (cursor?: string) =>
      this.#deps.explorer.list(tenantId, {
        ...filters,
        limit: FINDINGS_PAGE,
        ...(cursor ? { cursor } : {}),
      });
    const first = await read();
    async function* rows(): AsyncGenerator<ExplorerFinding> {
      let page = first;
      for (;;) {
        yield* page.items;
        if (!page.next_cursor) return;
        page = await read(page.next_cursor);
      }
    }
    return rows();
  }

  /** `scanId` when it is the tenant's (404 otherwise), or the newest succeeded scan (404 when none). */
  async #scanOf(tenantId: string, scanId?: string): Promise<string> {
    return this.#deps.withTenant(tenantId, async (trx) => {
      if (scanId) {
        if (!(await findScan(trx, scanId))) throw new ApiError('SCAN_NOT_FOUND', `no scan ${scanId}`);
        return scanId;
      }
      const latest = await latestSucceededScan(trx);
      if (!latest) throw new ApiError('SCAN_NOT_FOUND', 'no succeeded scan yet');
      return latest.id;
    });
  }

  /** The scan's control results as GET /api/scans/:id/controls answers them, by control id. */
  async #controls(tenantId: string, scanId: string): Promise<Map<string, DescribedControl>> {
    const { scans, engine } = this.#deps;
    const results = await scans.controls(tenantId, scanId);
    const described = await Promise.all(results.map((result) => engine.describeControl(result)));
    return new Map(described.map((control) => [control.control_id, control]));
  }

  /**
   * A readiness report PDF made now, not stored nor recorded (the audit package holds and records it): the
   * framework in the succeeded scan `scan_id`, with the audit period on its cover.
   */
  async readinessPdf(
    tenantId: string,
    request: {
      framework_id: string;
      framework_version: string;
      scan_id: string;
      audit: NonNullable<ReadinessData['audit']>;
    },
  ): Promise<Buffer> {
    const data = await this.#readinessData(tenantId, { id: null, ...request }, async () => {});
    const { period_start: start, period_end: end } = request.audit;
    const history = data.history.filter((p) => p.at >= start && p.at <= end);
    return renderReadinessPdf({ ...data, audit: request.audit, history });
  }

  /** Everything the readiness report shows, for the framework of `report` in its succeeded scan. */
  async #readinessData(
    tenantId: string,
    report: { id: string | null; framework_id: string; framework_version: string | null; scan_id: string },
    progress: (value: number) => Promise<void>,
  ): Promise<ReadinessData> {
    const { withTenant, scans } = this.#deps;
    const scanId = report.scan_id;
    const scan = await scans.get(tenantId, scanId);
    const score = pickScore(
      (await scans.scores(tenantId, scanId)).items,
      report.framework_id,
      report.framework_version,
    );
    if (!score)
      throw new ApiError('FRAMEWORK_NOT_FOUND', `scan ${scanId} has no score for ${report.framework_id}`);
    await progress(15);
    const controls = await this.#controls(tenantId, scanId);
    await progress(30);
    const { tenant, snapshotsByRule, records, policy, history } = await withTenant(tenantId, async (trx) => ({
      tenant: (await tenantName(trx, tenantId)) ?? tenantId,
      snapshotsByRule: await evidenceCountsByRule(trx, scanId),
      records: await listManualEvidence(trx),
      policy: (await currentPolicy(trx)).policy,
      history: await postureHistory(trx, score),
    }));
    await progress(40);
    const manualEvidence = new Map<string, ManualEvidenceRef[]>();
    for (const requirement of score.requirements) {
      const refs = records
        .filter((r) =>
          r.requirement_id
            ? r.framework_id === score.framework_id &&
              r.framework_version === score.framework_version &&
              r.requirement_id === requirement.requirement_id
            : requirement.control_ids.includes(r.control_id!),
        )
        .map((r) => ({
          sha256: r.sha256,
          verdict: r.verdict,
          collected_at: new Date(r.collected_at),
          control_id: r.control_id,
          attached_at: new Date(r.created_at),
        }));
      if (refs.length > 0) manualEvidence.set(requirement.requirement_id, refs);
    }
    const exceptions = await this.#exceptionsOf(tenantId, scanId);
    await progress(50);
    return {
      tenant,
      generated_at: new Date(),
      report_id: report.id,
      scan: {
        id: scanId,
        finished_at: scan.finished_at ? new Date(scan.finished_at) : null,
        bundle_revision: scan.bundle_revision,
      },
      score,
      controls,
      snapshotsByRule,
      manualEvidence,
      exceptions,
      policy: frameworkPolicy(policy, score.framework_id, score.framework_version),
      history,
    };
  }

  /** The exceptions that set aside findings of the scan, with how many each, read page by page. */
  async #exceptionsOf(tenantId: string, scanId: string): Promise<ExceptionInForce[]> {
    const found = new Map<string, ExceptionInForce>();
    const rows = await this.findings(tenantId, { scan_id: scanId, excepted: true });
    for await (const finding of rows) {
      const exception = finding.exception;
      if (!exception) continue;
      const known = found.get(exception.id);
      if (known) known.findings += 1;
      else
        found.set(exception.id, {
          id: exception.id,
          rule_id: exception.rule_id,
          reason: exception.reason,
          approver: exception.approver,
          expires_at: exception.expires_at,
          findings: 1,
        });
    }
    return [...found.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  async #fail(tenantId: string, reportId: string, code: string, message: string): Promise<void> {
    await this.#deps.withTenant(tenantId, (trx) =>
      updateReport(trx, reportId, {
        status: 'failed',
        failure_code: code,
        failure_message: message,
        finished_at: new Date(),
      }),
    );
  }
}

/** How many points of the score history a report charts at most (the newest). */
const HISTORY_POINTS = 100;

/**
 * The tenant's posture score of the report's framework version, oldest first, as the history route pages it;
 * each point at the time its triggering scan finished (as audit periods select results).
 */
async function postureHistory(trx: Trx, score: FrameworkScore): Promise<ScorePoint[]> {
  const { items } = await scoreHistory(trx, {
    framework: score.framework_id,
    version: score.framework_version,
    limit: HISTORY_POINTS,
  });
  return items
    .map((item) => ({ at: new Date(item.finished_at as string | Date), score: item.score as number | null }))
    .reverse();
}
