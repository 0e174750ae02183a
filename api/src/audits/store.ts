/**
 * The `audits` and `audit_auditors` tables. Every function runs in the caller's (tenant) transaction.
 */
import { applyPage, type SortKey } from '../pagination.ts';
import type { Trx } from '../plugins/app/tenancy.ts';
import type {
  AuditFramework,
  AuditMarkKind,
  AuditMarkView,
  AuditorView,
  AuditSampleView,
  AuditView,
} from './types.ts';

const AUDIT_COLUMNS = [
  'id',
  'name',
  'frameworks',
  'period_start',
  'period_end',
  'status',
  'created_by',
  'created_at',
  'closed_by',
  'closed_at',
  'package_sha256',
] as const;

/** Inserts an open audit; returns it. */
export async function insertAudit(
  trx: Trx,
  row: {
    tenant_id: string;
    name: string;
    frameworks: AuditFramework[];
    period_start: Date;
    period_end: Date;
    created_by: string;
  },
): Promise<AuditView> {
  const [inserted] = (await trx('audits')
    .insert({ ...row, frameworks: JSON.stringify(row.frameworks) })
    .returning(AUDIT_COLUMNS)) as AuditView[];
  return inserted!;
}

/** The audit `id` of the tenant in view (locked for update when `lock`), or undefined. */
export async function findAudit(trx: Trx, id: string, lock = false): Promise<AuditView | undefined> {
  const query = trx('audits').select(AUDIT_COLUMNS).where({ id });
  if (lock) query.forUpdate();
  return (await query.first()) as AuditView | undefined;
}

/**
 * One page of the tenant's audits after the cursor values `after` (`cursor_created_at` carries the order);
 * with `auditorId`, only the audits that list that member (with the auditor role) among their auditors.
 */
export async function auditPage(
  trx: Trx,
  order: SortKey[],
  after: (string | number | null)[] | null,
  limit: number,
  auditorId?: string,
): Promise<(AuditView & { cursor_created_at: string })[]> {
  const query = trx('audits').select(...AUDIT_COLUMNS, trx.raw('created_at::text as cursor_created_at'));
  if (auditorId !== undefined) query.whereIn('id', auditsListing(trx, auditorId).select('a.audit_id'));
  return (await applyPage(query, order, after, limit)) as (AuditView & { cursor_created_at: string })[];
}

/** Marks an open audit closed, keeping its package. */
export async function closeAudit(
  trx: Trx,
  id: string,
  changes: { closed_by: string; package_sha256: string },
): Promise<AuditView> {
  const [row] = (await trx('audits')
    .where({ id, status: 'open' })
    .update({ ...changes, status: 'closed', closed_at: trx.fn.now() })
    .returning(AUDIT_COLUMNS)) as AuditView[];
  return row!;
}

/** Records an auditor of an audit; false when the e-mail was already listed. */
export async function insertAuditor(
  trx: Trx,
  row: {
    tenant_id: string;
    audit_id: string;
    email: string;
    invitation_id: string | null;
    added_by: string;
  },
): Promise<boolean> {
  const added = await trx('audit_auditors')
    .insert(row)
    .onConflict(['tenant_id', 'audit_id', 'email'])
    .ignore()
    .returning('email');
  return added.length > 0;
}

/**
 * The auditors of an audit by e-mail, each with the member account of that e-mail (if any) and its role:
 * `active` for a member with the auditor role, `not_auditor` for a member with another, `invited` before
 * the invitee joined.
 */
export async function auditorsOf(trx: Trx, auditId: string): Promise<AuditorView[]> {
  const rows = (await trx('audit_auditors as a')
    .leftJoin('users as u', 'u.email', 'a.email')
    .leftJoin('memberships as m', function () {
      this.on('m.user_id', '=', 'u.id').andOn('m.tenant_id', '=', 'a.tenant_id');
    })
    .select(
      'a.email',
      'a.invitation_id',
      'a.added_by',
      'a.added_at',
      'm.user_id as member_id',
      'm.role as role',
    )
    .where('a.audit_id', auditId)
    .orderBy('a.email')) as {
    email: string;
    invitation_id: string | null;
    added_by: string | null;
    added_at: Date;
    member_id: string | null;
    role: string | null;
  }[];
  return rows.map(({ member_id, role, ...row }) => ({
    ...row,
    user_id: member_id,
    status: role === null ? 'invited' : role === 'auditor' ? 'active' : 'not_auditor',
  }));
}

/** The auditor rows (`a`) naming `userId`, a member with the auditor role. */
function auditsListing(trx: Trx, userId: string) {
  return trx('audit_auditors as a')
    .join('users as u', 'u.email', 'a.email')
    .join('memberships as m', function () {
      this.on('m.user_id', '=', 'u.id').andOn('m.tenant_id', '=', 'a.tenant_id');
    })
    .where({ 'u.id': userId, 'm.role': 'auditor' });
}

/** Whether `userId` is a member with the auditor role whose e-mail the audit lists among its auditors. */
export async function isActiveAuditor(trx: Trx, auditId: string, userId: string): Promise<boolean> {
  const row = await auditsListing(trx, userId).where('a.audit_id', auditId).first('a.email');
  return row !== undefined;
}

const MARK_COLUMNS = [
  'id',
  'audit_id',
  'framework_id',
  'framework_version',
  'requirement_id',
  'mark',
  'comment',
  'marked_by',
  'marked_at',
] as const;

/** Appends one mark; returns it. */
export async function insertMark(
  trx: Trx,
  row: Omit<AuditMarkView, 'id' | 'marked_at'> & { tenant_id: string },
): Promise<AuditMarkView> {
  const [inserted] = (await trx('audit_marks').insert(row).returning(MARK_COLUMNS)) as AuditMarkView[];
  return inserted!;
}

/**
 * The marks of an audit, oldest first: every mark with `history`, else only each requirement's newest (its
 * current mark); optionally only those of one kind.
 */
export async function marksOf(
  trx: Trx,
  auditId: string,
  options: { mark?: AuditMarkKind; history?: boolean },
): Promise<AuditMarkView[]> {
  const query = trx('audit_marks as k')
    .select(MARK_COLUMNS.map((c) => `k.${c}`))
    .where('k.audit_id', auditId);
  if (!options.history)
    query.whereNotExists(
      trx('audit_marks as newer')
        .select(trx.raw('1'))
        .whereRaw('newer.tenant_id = k.tenant_id')
        .andWhereRaw('newer.audit_id = k.audit_id')
        .andWhereRaw('newer.framework_id = k.framework_id')
        .andWhereRaw('newer.framework_version = k.framework_version')
        .andWhereRaw('newer.requirement_id = k.requirement_id')
        .andWhereRaw('(newer.marked_at, newer.id) > (k.marked_at, k.id)'),
    );
  if (options.mark) query.where('k.mark', options.mark);
  return (await query.orderBy([
    { column: 'k.marked_at', order: 'asc' },
    { column: 'k.id', order: 'asc' },
  ])) as AuditMarkView[];
}

const SAMPLE_COLUMNS = [
  'id',
  'audit_id',
  'resource_type',
  'as_of',
  'size',
  'seed',
  'population_size',
  'population_sha256',
  'scan_ids',
  'items',
  'drawn_by',
  'drawn_at',
] as const;

/**
 * The population a sample is drawn from: the distinct resources of `resourceType` that the newest succeeded
 * scan of each integration, finished in [from, asOf], saw (resource id order), and those scans' ids.
 */
export async function samplePopulation(
  trx: Trx,
  resourceType: string,
  window: { from: Date; asOf: Date },
): Promise<{ scan_ids: string[]; resources: string[] }> {
  const scans = (await trx('scans')
    .distinctOn('integration_id')
    .select('id', 'integration_id', trx.raw('created_at::text as created_at'))
    .where('status', 'succeeded')
    .andWhere('finished_at', '>=', window.from)
    .andWhere('finished_at', '<=', window.asOf)
    .orderBy([{ column: 'integration_id' }, { column: 'finished_at', order: 'desc' }])) as {
    id: string;
    created_at: string;
  }[];
  const scanIds = scans.map((s) => s.id).sort();
  if (scanIds.length === 0) return { scan_ids: [], resources: [] };
  const rows = (await trx('findings')
    .distinct('resource_id')
    .whereIn('scan_id', scanIds)
    // Those scans' month partitions of `findings` only (all of a scan's findings carry its created_at; as
    // text, a Date would drop the microseconds).
    .whereIn('created_at', [...new Set(scans.map((s) => s.created_at))])
    .andWhere('resource_type', resourceType)
    .orderBy('resource_id')) as { resource_id: string }[];
  return { scan_ids: scanIds, resources: rows.map((r) => r.resource_id) };
}

/** Inserts a drawn sample; returns it. */
export async function insertSample(
  trx: Trx,
  row: Omit<AuditSampleView, 'id' | 'drawn_at'> & { tenant_id: string },
): Promise<AuditSampleView> {
  const [inserted] = (await trx('audit_samples')
    .insert({ ...row, scan_ids: JSON.stringify(row.scan_ids), items: JSON.stringify(row.items) })
    .returning(SAMPLE_COLUMNS)) as AuditSampleView[];
  return inserted!;
}

/** The samples drawn in an audit, newest first (at most `limit`). */
export async function samplesOf(trx: Trx, auditId: string, limit: number): Promise<AuditSampleView[]> {
  return (await trx('audit_samples')
    .select(SAMPLE_COLUMNS)
    .where({ audit_id: auditId })
    .orderBy([
      { column: 'drawn_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(limit)) as AuditSampleView[];
}

/** One sample of an audit, or undefined. */
export async function findSample(
  trx: Trx,
  auditId: string,
  sampleId: string,
): Promise<AuditSampleView | undefined> {
  return (await trx('audit_samples')
    .select(SAMPLE_COLUMNS)
    .where({ audit_id: auditId, id: sampleId })
    .first()) as AuditSampleView | undefined;
}
