/**
 * Audits: an admin opens an audit (name, frameworks, period), invites auditors (existing members with the
 * auditor role join at once; other e-mails get an auditor invitation), and closes it, which makes and keeps
 * its package. Everything read inside an audit is limited to its period, through the other domains' own
 * reads with a period filter: scans and their scores, recorded evidence, rule versions in force, overrides
 * and exceptions in force, ledger entries. Opening, inviting, closing and each package made are ledger entries.
 */
import { Readable } from 'node:stream';
import { evidenceFreshnessDays } from '../../../engine/index.ts';
import { normalizeEmail } from '../accounts/service.ts';
import type { Role } from '../auth/role.ts';
import { ApiError } from '../errors.ts';
import type { EvidenceService } from '../evidence/service.ts';
import {
  insertEvidenceRows,
  listManualEvidence,
  lockEvidence,
  type ManualEvidenceRecord,
} from '../evidence/store.ts';
import { tenantFrameworks } from '../frameworks/catalogs.ts';
import type { InvitationService } from '../invitations/service.ts';
import type { LedgerService, PeriodPage } from '../ledger/ledger.ts';
import type { LedgerEntry } from '../ledger/chain.ts';
import { findMemberByEmail } from '../members/store.ts';
import { overridesInForceBetween, type OverrideRecord } from '../overrides/store.ts';
import { decodeCursor, toPage, type SortKey } from '../pagination.ts';
import type { EngineRuntime } from '../plugins/app/engine.ts';
import type { EvidenceStore } from '../plugins/app/evidence.ts';
import type { WithTenant } from '../plugins/app/tenancy.ts';
import { controlMatrixCsvStream, findingsCsvStream } from '../reports/csv.ts';
import type { ReportService } from '../reports/service.ts';
import type { RuleVersionService, RuleVersionSummary } from '../rule-versions/service.ts';
import type { ScanService } from '../scans/service.ts';
import { currentPolicy } from '../scoring/store.ts';
import { requirementControls } from '../scoring/service.ts';
import {
  exceptedFindingsBetween,
  latestSucceededScan,
  ruleVersionFindingsPage,
  snapshotsOfRulesBetween,
  tenantName,
  type PeriodSnapshot,
  type ExceptedFinding,
  type RuleVersionFinding,
} from '../scans/store.ts';
import type { Page, ScanView } from '../scans/types.ts';
import { packageReadme, zipPackage, type PackageFile, type PackageSummary } from './package.ts';
import {
  auditPage,
  auditorsOf,
  closeAudit,
  findAudit,
  insertAudit,
  insertAuditor,
  findSample,
  insertMark,
  insertSample,
  isActiveAuditor,
  marksOf,
  samplePopulation,
  samplesOf,
} from './store.ts';
import { drawSample, newSeed, populationDigest } from './sample.ts';
import type {
  AuditFramework,
  AuditMarkKind,
  AuditMarkRequest,
  AuditMarkView,
  AuditorView,
  AuditRequest,
  AuditSampleRequest,
  AuditSampleView,
  AuditView,
} from './types.ts';

export interface AuditDeps {
  withTenant: WithTenant;
  ledger: LedgerService;
  invitations: InvitationService;
  scans: ScanService;
  reports: ReportService;
  ruleVersions: RuleVersionService;
  evidence: EvidenceService;
  store: EvidenceStore;
  engine: EngineRuntime;
}

/** An audit's period as a read window: [start, end]. */
export interface AuditWindow {
  from: Date;
  to: Date;
}

/** One exception or override of the register, with what it set aside in the period and its ledger entries. */
export interface RegisterEntry extends OverrideRecord {
  /** Exceptions only: past its expiry at the end of the period (or now, if the period is not over). */
  expired: boolean;
  /** Retired (withdrawn) by the end of the period. */
  retired: boolean;
  findings: {
    count: number;
    /** The first findings it set aside in the period's scans (newest scan first). */
    items: Omit<ExceptedFinding, 'exception_id'>[];
  };
  ledger: LedgerEntry[];
}

/** Who reads an audit: the member (or the maker of the API token) and the role they act with. */
export interface AuditViewer {
  userId: string;
  role: Role;
}

/** An artifact of a requirement's period evidence as the store and the tenant's record describe it now. */
export interface ArtifactCheck {
  /** The stored bytes were read and hashed again just now, and still match their sha256. */
  verified: boolean;
  /** From the tenant's evidence record (null when it has none). */
  size: number | null;
  content_type: string | null;
  recorded_at: Date | null;
}

/** A requirement's evidence in an audit's period (AuditService.requirementEvidence). */
export interface RequirementEvidence {
  audit_id: string;
  framework: { framework_id: string; framework_version: string; title: string };
  requirement: { requirement_id: string; title: string };
  control_ids: string[];
  /** How long manual evidence counts after collection under the tenant's scoring policy. */
  freshness_days: number;
  /** One page of the snapshots; `total` counts them all. */
  automated: { total: number; items: (PeriodSnapshot & ArtifactCheck)[]; next_cursor: string | null };
  /**
   * Evidence belongs to the period it describes: a piece collected in the period counts even when it was
   * attached after its end, and `attached_after_period` says so (its `created_at` is the attach date).
   */
  manual: (ManualEvidenceRecord & ArtifactCheck & { valid_until: Date; attached_after_period: boolean })[];
}

/** Findings listed per exception in the register; `count` always says how many there are. */
export const REGISTER_FINDINGS_PER_EXCEPTION = 50;

const ZIP_TYPE = 'application/zip';

export class AuditService {
  readonly #deps: AuditDeps;

  constructor(deps: AuditDeps) {
    this.#deps = deps;
  }

  /** Opens an audit over known frameworks (a version left out is the newest the tenant has). */
  async open(tenantId: string, actor: string, request: AuditRequest): Promise<AuditView> {
    const { withTenant, engine, ledger } = this.#deps;
    const start = new Date(request.period_start);
    const end = new Date(request.period_end);
    if (!(start < end))
      throw new ApiError('VALIDATION_ERROR', 'period_start must be before period_end', {
        problems: [{ field: 'period_end', message: 'must be after period_start' }],
      });
    const base = await engine.frameworks();
    return withTenant(tenantId, async (trx) => {
      const known = (await tenantFrameworks(trx, base)).frameworks;
      const frameworks: AuditFramework[] = [];
      for (const asked of request.frameworks) {
        const match = known
          .filter(
            (f) =>
              f.id === asked.framework_id &&
              (!asked.framework_version || f.version === asked.framework_version),
          )
          .sort((a, b) => b.version.localeCompare(a.version, 'en', { numeric: true }))[0];
        if (!match)
          throw new ApiError('FRAMEWORK_NOT_FOUND', `no framework ${asked.framework_id}`, {
            framework_id: asked.framework_id,
          });
        if (!frameworks.some((f) => f.framework_id === match.id && f.framework_version === match.version))
          frameworks.push({ framework_id: match.id, framework_version: match.version });
      }
      const audit = await insertAudit(trx, {
        tenant_id: tenantId,
        name: request.name,
        frameworks,
        period_start: start,
        period_end: end,
        created_by: actor,
      });
      await ledger.append(trx, tenantId, [
        {
          kind: 'audit.opened',
          actor,
          payload: {
            audit_id: audit.id,
            name: audit.name,
            frameworks,
            period_start: start.toISOString(),
            period_end: end.toISOString(),
          },
        },
      ]);
      return audit;
    });
  }

  /**
   * 404 AUDIT_NOT_FOUND unless `viewer` may see the audit at all: an auditor sees only the audits that list
   * them among their auditors (another audit of the tenant is as unknown to them as another tenant's);
   * the other roles' reach is their permission's. An API token acts as the member who made it.
   */
  async assertVisible(tenantId: string, viewer: AuditViewer, auditId: string): Promise<void> {
    if (viewer.role !== 'auditor') return;
    const listed = await this.#deps.withTenant(tenantId, (trx) =>
      isActiveAuditor(trx, auditId, viewer.userId),
    );
    if (!listed) throw new ApiError('AUDIT_NOT_FOUND', `no audit ${auditId}`);
  }

  /** One page of the tenant's audits `viewer` may see (an auditor: those listing them), newest first. */
  list(
    tenantId: string,
    viewer: AuditViewer,
    options: { limit: number; cursor?: string },
  ): Promise<Page<AuditView>> {
    const order: SortKey[] = [
      { column: 'created_at', field: 'cursor_created_at', direction: 'desc' },
      { column: 'id', direction: 'desc' },
    ];
    const after = options.cursor ? decodeCursor(options.cursor, '-created_at', order) : null;
    return this.#deps.withTenant(tenantId, async (trx) => {
      const auditor = viewer.role === 'auditor' ? viewer.userId : undefined;
      const rows = await auditPage(trx, order, after, options.limit, auditor);
      const page = toPage(rows as unknown as Record<string, unknown>[], options.limit, '-created_at', order);
      return {
        items: (page.items as unknown as typeof rows).map(({ cursor_created_at: _c, ...audit }) => audit),
        next_cursor: page.next_cursor,
      };
    });
  }

  /** One audit with its auditors, or 404. */
  get(tenantId: string, id: string): Promise<AuditView & { auditors: AuditorView[] }> {
    return this.#deps.withTenant(tenantId, async (trx) => {
      const audit = await findAudit(trx, id);
      if (!audit) throw new ApiError('AUDIT_NOT_FOUND', `no audit ${id}`);
      return { ...audit, auditors: await auditorsOf(trx, id) };
    });
  }

  /**
   * Adds an auditor by e-mail. A member with the auditor role is listed at once; an e-mail that is no member
   * yet gets an invitation with the auditor role (mailed as any invitation); a member with another role is
   * refused (409 CONFLICT): an audit's auditors read with the auditor role only.
   */
  async addAuditor(tenantId: string, actor: string, auditId: string, rawEmail: string): Promise<AuditorView> {
    const { withTenant, invitations, ledger } = this.#deps;
    const email = normalizeEmail(rawEmail);
    const member = await withTenant(tenantId, async (trx) => {
      await this.#openAudit(trx, auditId);
      return findMemberByEmail(trx, email);
    });
    if (member && member.role !== 'auditor')
      throw new ApiError('CONFLICT', `${email} is a member with the ${member.role} role, not an auditor`, {
        role: member.role,
      });
    const invitation = member ? null : await invitations.invite(tenantId, actor, { email, role: 'auditor' });
    return withTenant(tenantId, async (trx) => {
      await this.#openAudit(trx, auditId);
      const added = await insertAuditor(trx, {
        tenant_id: tenantId,
        audit_id: auditId,
        email,
        invitation_id: invitation?.id ?? null,
        added_by: actor,
      });
      if (added)
        await ledger.append(trx, tenantId, [
          {
            kind: 'audit.auditor_added',
            actor,
            payload: { audit_id: auditId, email, invitation_id: invitation?.id ?? null },
          },
        ]);
      return (await auditorsOf(trx, auditId)).find((a) => a.email === email)!;
    });
  }

  /**
   * Closes an open audit: its package is made now, stored in the evidence store under its sha256 and kept
   * with the audit, and `audit.closed` records that sha256. 409 AUDIT_CLOSED when it already is.
   */
  async close(tenantId: string, actor: string, auditId: string): Promise<AuditView> {
    const { withTenant, store, ledger } = this.#deps;
    const audit = await withTenant(tenantId, (trx) => this.#openAudit(trx, auditId));
    const closing = { ...audit, status: 'closed' as const };
    const chunks: Uint8Array[] = [];
    let summary: PackageSummary | undefined;
    for await (const chunk of this.#package(tenantId, closing, async (done) => {
      summary = done;
    }))
      chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    const sha256 = await store.put(bytes);
    return withTenant(tenantId, async (trx) => {
      await this.#openAudit(trx, auditId, true);
      await lockEvidence(trx, [sha256], 'shared');
      const added = await insertEvidenceRows(trx, [
        { tenant_id: tenantId, sha256, size: bytes.length, content_type: ZIP_TYPE },
      ]);
      const closed = await closeAudit(trx, auditId, { closed_by: actor, package_sha256: sha256 });
      await ledger.append(trx, tenantId, [
        ...(added.length > 0 ? [{ kind: 'evidence.recorded', actor, artifact_sha256: sha256 }] : []),
        {
          kind: 'audit.closed',
          actor,
          payload: {
            audit_id: auditId,
            package_sha256: sha256,
            package_size: bytes.length,
            files: summary?.files ?? [],
          },
        },
      ]);
      return closed;
    });
  }

  /**
   * The audit package as a stream. A closed audit answers the package it kept; an open one gets a package made
   * now, streamed while it is made, whose sha256 enters the ledger (`audit.package.generated`) once the last
   * byte is written (a failure then cuts the download).
   */
  async package(
    tenantId: string,
    actor: string,
    auditId: string,
  ): Promise<{ stream: Readable; filename: string; sha256: string | null }> {
    const audit = await this.#audit(tenantId, auditId);
    const filename = `audit-${audit.id}.zip`;
    if (audit.status === 'closed' && audit.package_sha256) {
      const bytes = await this.#deps.store.get(audit.package_sha256);
      if (!bytes) throw new Error(`audit ${auditId} names a package the evidence store does not hold`);
      return { stream: Readable.from([bytes]), filename, sha256: audit.package_sha256 };
    }
    const chunks = this.#package(tenantId, audit, (summary) =>
      this.#deps.ledger
        .record(tenantId, [
          {
            kind: 'audit.package.generated',
            actor,
            payload: {
              audit_id: auditId,
              package_sha256: summary.sha256,
              package_size: summary.size,
              files: summary.files,
            },
          },
        ])
        .then(() => {}),
    );
    // The first chunk is read before answering, so an error making the first file is an error answer.
    const first = await chunks.next();
    async function* rest(): AsyncGenerator<Uint8Array> {
      if (!first.done) yield first.value;
      yield* chunks;
    }
    return { stream: Readable.from(rest(), { objectMode: false }), filename, sha256: null };
  }

  /** The succeeded scans that finished in the period, with their scores for the audit's frameworks. */
  async results(
    tenantId: string,
    auditId: string,
    options: { limit: number; cursor?: string },
  ): Promise<Page<ScanView & { scores: ScoreSummary[] }>> {
    const { scans } = this.#deps;
    const audit = await this.#audit(tenantId, auditId);
    const page = await scans.list(tenantId, {
      ...options,
      status: 'succeeded',
      finished_from: audit.period_start,
      finished_to: audit.period_end,
    });
    const items = [];
    for (const scan of page.items) {
      const { items: scores } = await scans.scores(tenantId, scan.id);
      items.push({
        ...scan,
        scores: scores
          .filter((s) =>
            audit.frameworks.some(
              (f) => f.framework_id === s.framework_id && f.framework_version === s.framework_version,
            ),
          )
          .map((s) => ({
            framework_id: s.framework_id,
            framework_version: s.framework_version,
            score: s.score,
            passed: s.passed,
            failed: s.failed,
            not_applicable: s.not_applicable,
            needs_evidence: s.needs_evidence ?? 0,
          })),
      });
    }
    return { items, next_cursor: page.next_cursor };
  }

  /** Evidence recorded in the period, newest first, each re-hashed from the store. */
  async evidence(tenantId: string, auditId: string, options: { limit: number; cursor?: string }) {
    const audit = await this.#audit(tenantId, auditId);
    return this.#deps.evidence.recordedBetween(tenantId, windowOf(audit), options);
  }

  /**
   * A requirement's evidence of the period, for a framework of the audit (`id` or `id@version`): the resource
   * snapshots that the findings of its controls' rules cite in the succeeded scans of the period (failing ones
   * first; one page of them, `total` says how many), and the manual evidence on the requirement or its
   * controls that counted at some moment of the period (collected before its end and still fresh, under the
   * tenant's scoring policy, at its start), wherever it was attached: after the period's end it is flagged.
   * Each artifact re-hashed from the store now.
   */
  async requirementEvidence(
    tenantId: string,
    auditId: string,
    frameworkRef: string,
    requirementId: string,
    page: { limit: number; cursor?: string },
  ): Promise<RequirementEvidence> {
    const { withTenant, engine, evidence } = this.#deps;
    const audit = await this.#audit(tenantId, auditId);
    const window = windowOf(audit);
    const at = frameworkRef.lastIndexOf('@');
    const [id, version] = at > 0 ? [frameworkRef.slice(0, at), frameworkRef.slice(at + 1)] : [frameworkRef];
    const covered = audit.frameworks.find(
      (f) => f.framework_id === id && (version === undefined || f.framework_version === version),
    );
    if (!covered) throw new ApiError('FRAMEWORK_NOT_FOUND', `the audit does not cover ${frameworkRef}`);
    const base = await engine.frameworks();
    const found = await withTenant(tenantId, async (trx) => {
      const frameworks = await tenantFrameworks(trx, base);
      const catalog = frameworks.frameworks.find(
        (f) => f.id === covered.framework_id && f.version === covered.framework_version,
      );
      if (!catalog) throw new ApiError('FRAMEWORK_NOT_FOUND', `no framework ${frameworkRef}`);
      const definition = catalog.requirements.find((r) => r.id === requirementId);
      if (!definition)
        throw new ApiError(
          'REQUIREMENT_NOT_FOUND',
          `${catalog.id} ${catalog.version} has no requirement ${requirementId}`,
        );
      const controlIds = [...requirementControls(frameworks, catalog, definition).keys()].sort();
      const ruleIds = Object.entries(frameworks.rule_controls)
        .filter(([, controls]) => controls.some((c) => controlIds.includes(c)))
        .map(([ruleId]) => ruleId);
      const freshnessDays = evidenceFreshnessDays(
        (await currentPolicy(trx)).policy,
        catalog.id,
        catalog.version,
      );
      const freshMs = freshnessDays * 86_400_000;
      const manual = (await listManualEvidence(trx)).filter(
        (e) =>
          ((e.control_id !== null && controlIds.includes(e.control_id)) ||
            (e.framework_id === catalog.id &&
              e.framework_version === catalog.version &&
              e.requirement_id === requirementId)) &&
          e.collected_at <= window.to &&
          e.collected_at.getTime() + freshMs >= window.from.getTime(),
      );
      return {
        catalog,
        definition,
        controlIds,
        freshnessDays,
        freshMs,
        manual,
        snapshots: await snapshotsOfRulesBetween(trx, ruleIds, window, page),
      };
    });
    const { catalog, definition, snapshots, manual, freshMs } = found;
    const records = await evidence.records(tenantId, [
      ...snapshots.items.map((s) => s.sha256),
      ...manual.map((m) => m.sha256),
    ]);
    const artifact = async (sha256: string) => {
      const record = records.get(sha256);
      return {
        verified: await evidence.verified(sha256),
        size: record?.size ?? null,
        content_type: record?.content_type ?? null,
        recorded_at: record?.created_at ?? null,
      };
    };
    const automated = [];
    for (const snapshot of snapshots.items)
      automated.push({ ...snapshot, ...(await artifact(snapshot.sha256)) });
    const manualItems = [];
    for (const m of [...manual].sort((a, b) => b.collected_at.getTime() - a.collected_at.getTime()))
      manualItems.push({
        ...m,
        valid_until: new Date(m.collected_at.getTime() + freshMs),
        attached_after_period: m.created_at.getTime() > window.to.getTime(),
        ...(await artifact(m.sha256)),
      });
    return {
      audit_id: auditId,
      framework: {
        framework_id: catalog.id,
        framework_version: catalog.version,
        title: catalog.title,
      },
      requirement: { requirement_id: definition.id, title: definition.title },
      control_ids: found.controlIds,
      freshness_days: found.freshnessDays,
      automated: { total: snapshots.total, items: automated, next_cursor: snapshots.next_cursor },
      manual: manualItems,
    };
  }

  /** The rule versions in force at any moment of the period. */
  async ruleVersions(tenantId: string, auditId: string): Promise<RuleVersionSummary[]> {
    const audit = await this.#audit(tenantId, auditId);
    return this.#deps.ruleVersions.inForce(tenantId, audit.period_start, audit.period_end);
  }

  /**
   * One page of the findings a rule version (`ruleId` at content hash `hash`) produced in the succeeded scans
   * of the period, newest scan first. An unknown version has none (an empty page, not an error: the registry
   * lists what was deployed, the findings what ran).
   */
  async ruleVersionFindings(
    tenantId: string,
    auditId: string,
    version: { rule_id: string; rule_hash: string },
    options: { limit: number; cursor?: string },
  ): Promise<Page<RuleVersionFinding>> {
    const audit = await this.#audit(tenantId, auditId);
    const order: SortKey[] = [
      { column: 's.finished_at', field: 'cursor_finished_at', direction: 'desc' },
      { column: 'f.id', field: 'finding_id', direction: 'desc' },
    ];
    const after = options.cursor ? decodeCursor(options.cursor, '-scan_finished_at', order) : null;
    return this.#deps.withTenant(tenantId, async (trx) => {
      const rows = await ruleVersionFindingsPage(trx, version, windowOf(audit), order, after, options.limit);
      const page = toPage(
        rows as unknown as Record<string, unknown>[],
        options.limit,
        '-scan_finished_at',
        order,
      );
      return {
        items: (page.items as unknown as typeof rows).map(
          ({ cursor_finished_at: _c, ...finding }) => finding,
        ),
        next_cursor: page.next_cursor,
      };
    });
  }

  /**
   * One page of the ledger entries of the period, newest first, of one event kind and/or actor when asked,
   * with the period's counts (see LedgerService.periodPage).
   */
  async ledger(
    tenantId: string,
    auditId: string,
    options: { limit: number; before_seq?: number; kind?: string; actor?: string },
  ): Promise<PeriodPage> {
    const audit = await this.#audit(tenantId, auditId);
    return this.#deps.ledger.periodPage(tenantId, windowOf(audit), options);
  }

  /**
   * The exceptions register of the period: every override in force at some moment of it (exceptions first),
   * with reason, approver, author and dates, whether it had expired or was retired by the period's end, the
   * findings it set aside in the period's scans, and its ledger entries.
   */
  async exceptions(
    tenantId: string,
    auditId: string,
    options: { kind?: OverrideRecord['kind'] } = {},
    now = new Date(),
  ): Promise<{ audit_id: string; as_of: string; items: RegisterEntry[] }> {
    const { withTenant, ledger } = this.#deps;
    const audit = await this.#audit(tenantId, auditId);
    const window = windowOf(audit);
    const asOf = audit.period_end < now ? audit.period_end : now;
    const { records, findings } = await withTenant(tenantId, async (trx) => {
      const all = await overridesInForceBetween(trx, window);
      const records = options.kind ? all.filter((r) => r.kind === options.kind) : all;
      const exceptionIds = records.filter((r) => r.kind === 'exception').map((r) => r.id);
      return {
        records,
        findings: await exceptedFindingsBetween(trx, exceptionIds, window, REGISTER_FINDINGS_PER_EXCEPTION),
      };
    });
    const entries = await ledger.entriesNaming(
      tenantId,
      ['override.created', 'override.retired'],
      ['id', 'override_id'],
      records.map((r) => r.id),
    );
    const items: RegisterEntry[] = records.map((record) => ({
      ...record,
      expired: record.expires_at !== null && new Date(record.expires_at) <= asOf,
      retired: record.retired_at !== null && new Date(record.retired_at) <= asOf,
      findings: {
        count: findings.counts.get(record.id) ?? 0,
        items: findings.items
          .filter((f) => f.exception_id === record.id)
          .map(({ exception_id: _e, ...finding }) => finding),
      },
      ledger: entries.filter((e) => {
        const payload = e.payload as { id?: unknown; override_id?: unknown };
        return (e.kind === 'override.created' ? payload.id : payload.override_id) === record.id;
      }),
    }));
    items.sort((a, b) => Number(b.kind === 'exception') - Number(a.kind === 'exception'));
    return { audit_id: auditId, as_of: asOf.toISOString(), items };
  }

  /**
   * An auditor's mark on a requirement's evidence (accepted, flagged with a comment, not applicable), for a
   * framework of the audit (its version when left out); a ledger entry each. Only the audit's own active
   * auditors may mark (403 for another member), only while it is open (409 AUDIT_CLOSED).
   */
  async mark(
    tenantId: string,
    actor: string,
    auditId: string,
    request: AuditMarkRequest,
  ): Promise<AuditMarkView> {
    const { withTenant, engine, ledger } = this.#deps;
    const problems: { field: string; message: string }[] = [];
    if (request.mark === 'flagged' && !request.comment?.trim())
      problems.push({ field: 'comment', message: 'a flag needs a comment saying what is wrong' });
    const base = await engine.frameworks();
    return withTenant(tenantId, async (trx) => {
      const audit = await this.#openAudit(trx, auditId);
      if (!(await isActiveAuditor(trx, auditId, actor)))
        throw new ApiError('FORBIDDEN', 'only the auditors of this audit may mark its evidence');
      const framework = audit.frameworks.find(
        (f) =>
          f.framework_id === request.framework_id &&
          (!request.framework_version || f.framework_version === request.framework_version),
      );
      if (!framework)
        problems.push({
          field: 'framework_id',
          message: 'the audit does not cover this framework (version)',
        });
      else {
        const catalog = (await tenantFrameworks(trx, base)).frameworks.find(
          (f) => f.id === framework.framework_id && f.version === framework.framework_version,
        );
        if (!catalog?.requirements.some((r) => r.id === request.requirement_id))
          problems.push({ field: 'requirement_id', message: 'no such requirement in the framework' });
      }
      if (problems.length > 0 || !framework)
        throw new ApiError('VALIDATION_ERROR', problems.map((p) => `${p.field}: ${p.message}`).join('; '), {
          problems,
        });
      const mark = await insertMark(trx, {
        tenant_id: tenantId,
        audit_id: auditId,
        framework_id: framework.framework_id,
        framework_version: framework.framework_version,
        requirement_id: request.requirement_id,
        mark: request.mark,
        comment: request.comment?.trim() || null,
        marked_by: actor,
      });
      await ledger.append(trx, tenantId, [
        {
          kind: 'audit.marked',
          actor,
          payload: {
            audit_id: auditId,
            mark_id: mark.id,
            framework_id: mark.framework_id,
            framework_version: mark.framework_version,
            requirement_id: mark.requirement_id,
            mark: mark.mark,
            ...(mark.comment ? { comment: mark.comment } : {}),
          },
        },
      ]);
      return mark;
    });
  }

  /** The audit's marks: each requirement's current one (every mark with `history`), of one kind if asked. */
  async marks(
    tenantId: string,
    auditId: string,
    options: { mark?: AuditMarkKind; history?: boolean },
  ): Promise<{ items: AuditMarkView[] }> {
    await this.#audit(tenantId, auditId);
    return { items: await this.#deps.withTenant(tenantId, (trx) => marksOf(trx, auditId, options)) };
  }

  /**
   * Draws a sample from a population of the period: the resources of one type that the newest succeeded scan
   * of each integration, as of `as_of` (in the period; by default its end, or now while it runs), saw. The
   * seed (given, or picked here) is recorded with the population's size and digest and the resources drawn,
   * so the same request with the same seed draws the same sample; a ledger entry `audit.sample.drawn`. Admins
   * and the audit's own active auditors may draw (403 for another auditor), while it is open.
   */
  async drawSample(
    tenantId: string,
    actor: { userId: string; role: string },
    auditId: string,
    request: AuditSampleRequest,
    now = new Date(),
  ): Promise<AuditSampleView> {
    const { withTenant, ledger } = this.#deps;
    return withTenant(tenantId, async (trx) => {
      const audit = await this.#openAudit(trx, auditId);
      if (actor.role !== 'admin' && !(await isActiveAuditor(trx, auditId, actor.userId)))
        throw new ApiError('FORBIDDEN', 'only admins and the auditors of this audit may draw its samples');
      const end = audit.period_end < now ? audit.period_end : now;
      const asOf = request.as_of ? new Date(request.as_of) : end;
      if (asOf < audit.period_start || asOf > audit.period_end)
        throw new ApiError('VALIDATION_ERROR', 'as_of must fall in the period of the audit', {
          problems: [{ field: 'as_of', message: 'must fall in the period of the audit' }],
        });
      const seed = request.seed ?? newSeed();
      const population = await samplePopulation(trx, request.resource_type, {
        from: audit.period_start,
        asOf,
      });
      const sample = await insertSample(trx, {
        tenant_id: tenantId,
        audit_id: auditId,
        resource_type: request.resource_type,
        as_of: asOf,
        size: request.size,
        seed,
        population_size: population.resources.length,
        population_sha256: populationDigest(population.resources),
        scan_ids: population.scan_ids,
        items: drawSample(population.resources, seed, request.size),
        drawn_by: actor.userId,
      });
      await ledger.append(trx, tenantId, [
        {
          kind: 'audit.sample.drawn',
          actor: actor.userId,
          payload: {
            audit_id: auditId,
            sample_id: sample.id,
            resource_type: sample.resource_type,
            as_of: asOf.toISOString(),
            size: sample.size,
            seed,
            population_size: sample.population_size,
            population_sha256: sample.population_sha256,
            items_sha256: populationDigest(sample.items),
          },
        },
      ]);
      return sample;
    });
  }

  /** The samples drawn in an audit, newest first (the newest 200). */
  async samples(tenantId: string, auditId: string): Promise<AuditSampleView[]> {
    await this.#audit(tenantId, auditId);
    return this.#deps.withTenant(tenantId, (trx) => samplesOf(trx, auditId, 200));
  }

  /** One sample of an audit, or 404. */
  async sample(tenantId: string, auditId: string, sampleId: string): Promise<AuditSampleView> {
    await this.#audit(tenantId, auditId);
    const sample = await this.#deps.withTenant(tenantId, (trx) => findSample(trx, auditId, sampleId));
    if (!sample) throw new ApiError('AUDIT_SAMPLE_NOT_FOUND', `no sample ${sampleId} in audit ${auditId}`);
    return sample;
  }

  /** The audit, or 404. */
  async #audit(tenantId: string, auditId: string): Promise<AuditView> {
    const audit = await this.#deps.withTenant(tenantId, (trx) => findAudit(trx, auditId));
    if (!audit) throw new ApiError('AUDIT_NOT_FOUND', `no audit ${auditId}`);
    return audit;
  }

  /** The audit when it is open (locked with `lock`); 404 when unknown, 409 AUDIT_CLOSED when closed. */
  async #openAudit(trx: Parameters<Parameters<WithTenant>[1]>[0], auditId: string, lock = false) {
    const audit = await findAudit(trx, auditId, lock);
    if (!audit) throw new ApiError('AUDIT_NOT_FOUND', `no audit ${auditId}`);
    if (audit.status === 'closed')
      throw new ApiError('AUDIT_CLOSED', `audit ${auditId} is closed: it can no longer change`);
    return audit;
  }

  /** The package's files and zip, for `audit` as it stands (see package.ts). */
  #package(
    tenantId: string,
    audit: AuditView,
    onComplete: (summary: PackageSummary) => Promise<void>,
  ): AsyncGenerator<Uint8Array> {
    const generatedAt = new Date();
    return zipPackage(this.#packageFiles(tenantId, audit, generatedAt), onComplete, generatedAt);
  }

  async *#packageFiles(tenantId: string, audit: AuditView, generatedAt: Date): AsyncGenerator<PackageFile> {
    const { withTenant, ledger, scans, reports } = this.#deps;
    const to = audit.period_end < generatedAt ? audit.period_end : generatedAt;
    const window = { from: audit.period_start, to };
    const { tenant, scan, auditors } = await withTenant(tenantId, async (trx) => ({
      tenant: (await tenantName(trx, tenantId)) ?? tenantId,
      scan: (await latestSucceededScan(trx, audit.period_end)) ?? null,
      auditors: await auditorsOf(trx, audit.id),
    }));
    const scored = scan ? (await scans.scores(tenantId, scan.id)).items : [];
    const frameworks = audit.frameworks.map((f) => ({
      ...f,
      included: scored.some(
        (s) => s.framework_id === f.framework_id && s.framework_version === f.framework_version,
      ),
    }));
    yield {
      name: 'README.txt',
      content: packageReadme({
        audit,
        tenant,
        generated_at: generatedAt,
        bundle_window: window,
        scan: scan ? { id: scan.id, finished_at: scan.finished_at } : null,
        frameworks,
      }),
    };
    yield {
      name: 'audit.json',
      content: `${JSON.stringify({ ...audit, auditors, scan_id: scan?.id ?? null, generated_at: generatedAt }, null, 2)}\n`,
    };
    yield {
      name: 'evidence-bundle.json',
      content: JSON.stringify(await ledger.exportBundle(tenantId, window.from, window.to)),
    };
    if (!scan) return;
    yield {
      name: 'oscal/assessment-results.json',
      content: `${JSON.stringify(await scans.assessmentResults(tenantId, scan.id), null, 2)}\n`,
    };
    for (const f of frameworks.filter((x) => x.included)) {
      const tag = `${f.framework_id}-${f.framework_version}`.replace(/[^A-Za-z0-9._-]/g, '_');
      yield {
        name: `reports/readiness-${tag}.pdf`,
        content: await reports.readinessPdf(tenantId, {
          framework_id: f.framework_id,
          framework_version: f.framework_version,
          scan_id: scan.id,
          audit,
        }),
      };
      const matrix = await reports.controlMatrix(tenantId, f.framework_id, {
        version: f.framework_version,
        scan_id: scan.id,
      });
      yield { name: `reports/control-matrix-${tag}.csv`, content: controlMatrixCsvStream(matrix.rows) };
    }
    const findings = await reports.findings(tenantId, { scan_id: scan.id });
    yield { name: 'reports/findings.csv', content: findingsCsvStream(findings) };
  }
}

/** A framework's score in an audit's results: the figures, not the requirement list. */
export interface ScoreSummary {
  framework_id: string;
  framework_version: string;
  score: number | null;
  passed: number;
  failed: number;
  not_applicable: number;
  needs_evidence: number;
}

function windowOf(audit: AuditView): AuditWindow {
  return { from: new Date(audit.period_start), to: new Date(audit.period_end) };
}
