/**
 * The audit screens' data rules that need no Svelte runtime (unit-tested in audits.test.ts): which rule
 * versions were in force at a moment, the versions of one rule in order, the audit-open form's body, and
 * which audits an auditor is listed on.
 */
import type { AuditDetail, AuditRuleVersion } from '#lib/api/types.ts';

/** Dependency key of the audits list: invalidated after an audit is opened. */
export const AUDITS_DEPENDENCY = 'app:audits';

/** Dependency key of one audit: invalidated after an auditor is added, a mark made or the audit closed. */
export const AUDIT_DEPENDENCY = 'app:audit';

/** Findings of a rule version shown per page. */
export const FINDINGS_PAGE = 20;

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
