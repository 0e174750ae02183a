/**
 * The audit screens' data rules that need no Svelte runtime (unit-tested in audits.test.ts): which rule
 * versions were in force at a moment, the versions of one rule in order, the audit-open form's body, which
 * audits an auditor is listed on, and the period ledger's filters, subjects and hash checks.
 */
import type { AuditDetail, AuditLedgerEntry, AuditRuleVersion } from '#lib/api/types.ts';
import { canonicalJson, sha256Hex } from '#lib/evidence.ts';

/** Dependency key of the audits list: invalidated after an audit is opened. */
export const AUDITS_DEPENDENCY = 'app:audits';

/** Dependency key of one audit: invalidated after an auditor is added, a mark made or the audit closed. */
export const AUDIT_DEPENDENCY = 'app:audit';

/** Findings of a rule version shown per page. */
export const FINDINGS_PAGE = 20;

/** Resource snapshots of a requirement's period evidence shown per page, unless the URL asks for others. */
export const SNAPSHOT_PAGE = 50;

/** A page of a requirement's period snapshots as the URL names it (`cursor`, `limit` up to the API's 200). */
export interface SnapshotPage {
  cursor: string | null;
  limit: number;
  /** The API's query string for it. */
  query: string;
}

/** Reads the snapshot page from the URL; an unusable `limit` falls back to SNAPSHOT_PAGE. */
export function snapshotPage(params: URLSearchParams): SnapshotPage {
  const cursor = params.get('cursor') || null;
  const asked = Number(params.get('limit'));
  const limit = Number.isInteger(asked) && asked >= 1 && asked <= 200 ? asked : SNAPSHOT_PAGE;
  const query = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) }).toString();
  return { cursor, limit, query };
}

/** The page's own query string for the snapshots after `cursor` (null: the first page), keeping the limit. */
export function snapshotPageQuery(limit: number, cursor: string | null): string {
  const params = new URLSearchParams();
  if (limit !== SNAPSHOT_PAGE) params.set('limit', String(limit));
  if (cursor) params.set('cursor', cursor);
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** True when the version was in force at `moment` (from its first moment to its last, open-ended if none). */
export function inForceAt(version: AuditRuleVersion, moment: Date): boolean {
  const t = moment.getTime();
  if (Date.parse(version.first_in_force_at) > t) return false;
  return version.last_in_force_at === null || Date.parse(version.last_in_force_at) > t;
}

/** The versions grouped by rule (rules in id order), each rule's versions oldest first. */
export function versionsByRule(versions: readonly AuditRuleVersion[]): Map<string, AuditRuleVersion[]> {
  const byRule = new Map<string, AuditRuleVersion[]>();
  for (const version of [...versions].sort(
    (a, b) => a.rule_id.localeCompare(b.rule_id) || a.first_in_force_at.localeCompare(b.first_in_force_at),
  )) {
    const list = byRule.get(version.rule_id) ?? [];
    list.push(version);
    byRule.set(version.rule_id, list);
  }
  return byRule;
}

/** The version that followed `hash` among `versions` (oldest first), or null for the last one. */
export function nextVersion(versions: readonly AuditRuleVersion[], hash: string): AuditRuleVersion | null {
  const index = versions.findIndex((v) => v.hash === hash);
  return index >= 0 && index + 1 < versions.length ? versions[index + 1]! : null;
}

/** The open-audit form as typed: dates are yyyy-mm-dd from date inputs, frameworks `id@version`. */
export interface AuditForm {
  name: string;
  frameworks: string[];
  start: string;
  end: string;
}

/**
 * The POST /api/audits body for the form, or the problem that keeps it from being sent. The period runs from
 * the start of the first day to the end of the last (UTC).
 */
export function auditBody(form: AuditForm): { body: Record<string, unknown> } | { problem: string } {
  const name = form.name.trim();
  if (!name) return { problem: 'Give the audit a name.' };
  if (form.frameworks.length === 0) return { problem: 'Choose at least one framework.' };
  if (!/^\d{4}-\d{2}-\d{2}$/.test(form.start) || !/^\d{4}-\d{2}-\d{2}$/.test(form.end))
    return { problem: 'Give the first and the last day of the period.' };
  if (form.end < form.start) return { problem: 'The period must not end before it starts.' };
  return {
    body: {
      name,
      frameworks: form.frameworks.map((ref) => {
        const at = ref.lastIndexOf('@');
        return { framework_id: ref.slice(0, at), framework_version: ref.slice(at + 1) };
      }),
      period_start: `${form.start}T00:00:00.000Z`,
      period_end: `${form.end}T23:59:59.999Z`,
    },
  };
}

/** True when the signed-in user (`userId`, `email`) is one of the audit's auditors. */
export function listsAuditor(audit: Pick<AuditDetail, 'auditors'>, userId: string, email: string): boolean {
  const mail = email.toLowerCase();
  return audit.auditors.some((a) => a.user_id === userId || a.email.toLowerCase() === mail);
}

/** The audit's period as one line of dates. */
export function periodLabel(audit: { period_start: string; period_end: string }): string {
  return `${audit.period_start.slice(0, 10)} to ${audit.period_end.slice(0, 10)}`;
}

/** Ledger entries shown per page of the period ledger. */
export const LEDGER_PAGE = 50;

/** The period ledger's filters as the page's URL carries them. */
export interface LedgerFilters {
  kind?: string;
  actor?: string;
  /** The page: entries before this sequence number (the newest page when absent). */
  before_seq?: number;
}

/** The filters of the period ledger's URL (empty values and a malformed page number are left out). */
export function ledgerFilters(params: URLSearchParams): LedgerFilters {
  const filters: LedgerFilters = {};
  const kind = params.get('kind')?.trim();
  const actor = params.get('actor')?.trim();
  const before = Number(params.get('before_seq'));
  if (kind) filters.kind = kind;
  if (actor) filters.actor = actor;
  if (Number.isInteger(before) && before > 0) filters.before_seq = before;
  return filters;
}

/** The query string of `filters` (without "?"), in a fixed order; the same names the API takes. */
export function ledgerQuery(filters: LedgerFilters): string {
  const query = new URLSearchParams();
  if (filters.kind) query.set('kind', filters.kind);
  if (filters.actor) query.set('actor', filters.actor);
  if (filters.before_seq) query.set('before_seq', String(filters.before_seq));
  return query.toString();
}

/** What a ledger entry is about, as a page of the app (`path` from the app's root), when it has one. */
export interface LedgerSubject {
  label: string;
  path: string;
}

/**
 * The subject of a ledger entry, read from its payload (or its artifact): a scan (its findings), an override or exception
 * (in the audit's exceptions register), a requirement marked (its evidence in the audit), a rule (its
 * versions in force in the audit), a sample, or a stored artifact. Null when the entry names none of them.
 */
export function ledgerSubject(auditId: string, entry: AuditLedgerEntry): LedgerSubject | null {
  const payload = entry.payload as Record<string, unknown>;
  const text = (key: string) => (typeof payload[key] === 'string' ? payload[key] : undefined);
  const audit = `/audits/${encodeURIComponent(auditId)}`;
  const enc = encodeURIComponent;
  const scanId = text('scan_id');
  if (scanId) return { label: `scan ${scanId.slice(0, 8)}`, path: `/findings?scan_id=${enc(scanId)}` };
  if (entry.kind === 'override.created' || entry.kind === 'override.retired') {
    const id = entry.kind === 'override.created' ? text('id') : text('override_id');
    const what = text('kind') === 'exception' ? 'exception' : 'override';
    if (id)
      return { label: `${what} on ${text('rule_id') ?? 'a rule'}`, path: `${audit}/exceptions#x-${id}` };
  }
  const requirement = text('requirement_id');
  const framework = text('framework_id');
  const version = text('framework_version');
  if (entry.kind === 'audit.marked' && requirement && framework && version)
    return {
      label: `${framework} ${requirement}`,
      path: `${audit}/frameworks/${enc(`${framework}@${version}`)}/requirements/${enc(requirement)}`,
    };
  if (entry.kind === 'audit.sample.drawn')
    return { label: `sample of ${text('resource_type') ?? 'resources'}`, path: audit };
  const ruleId = text('rule_id');
  if (ruleId) return { label: `rule ${ruleId}`, path: `${audit}/rules/${enc(ruleId)}` };
  if (entry.artifact_sha256)
    return {
      label: `evidence ${entry.artifact_sha256.slice(0, 12)}`,
      path: `/evidence/${entry.artifact_sha256}`,
    };
  return null;
}

/** How an entry of the period ledger checks out in the browser (see checkLedgerEntries). */
export interface LedgerCheck {
  /** The entry's hash recomputed from its fields equals its `entry_hash`. */
  hashMatches: boolean;
  /**
   * Its `prev_hash` against the `entry_hash` of the entry before it: true or false when that entry is on the
   * page, null when it is not (a filtered list, or the page's oldest entry).
   */
  linked: boolean | null;
}

/**
 * Recomputes each entry's hash as the ledger does (sha256 over the canonical JSON of every field but the
 * hash) and checks each entry's link to the one before it when both are listed: the same arithmetic as
 * `complywise evidence verify`, without the signed checkpoints that only the exported bundle carries.
 */
export async function checkLedgerEntries(
  entries: readonly AuditLedgerEntry[],
): Promise<Map<number, LedgerCheck>> {
  const bySeq = new Map(entries.map((e) => [e.seq, e]));
  const checks = new Map<number, LedgerCheck>();
  for (const entry of entries) {
    const { tenant_id, seq, kind, occurred_at, actor, payload, artifact_sha256, prev_hash } = entry;
    const computed = await sha256Hex(
      canonicalJson({ tenant_id, seq, kind, occurred_at, actor, payload, artifact_sha256, prev_hash }),
    );
    const previous = bySeq.get(seq - 1);
    checks.set(seq, {
      hashMatches: computed === entry.entry_hash,
      linked: previous ? previous.entry_hash === prev_hash : null,
    });
  }
  return checks;
}
