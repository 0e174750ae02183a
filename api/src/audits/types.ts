/** Shapes of the audits domain. */

export type AuditStatus = 'open' | 'closed';
export const AUDIT_STATUSES: readonly AuditStatus[] = ['open', 'closed'];

/** One framework an audit covers, at one version. */
export interface AuditFramework {
  framework_id: string;
  framework_version: string;
}

/** Where an invited auditor stands: a member with the auditor role, invited, or a member with another role. */
export type AuditorStatus = 'active' | 'invited' | 'not_auditor';
export const AUDITOR_STATUSES: readonly AuditorStatus[] = ['active', 'invited', 'not_auditor'];

export interface AuditorView {
  email: string;
  /** The member's account, once the e-mail belongs to a member of the tenant. */
  user_id: string | null;
  status: AuditorStatus;
  invitation_id: string | null;
  added_by: string | null;
  added_at: Date;
}

/** An audit row as the API shows it. */
export interface AuditView {
  id: string;
  name: string;
  frameworks: AuditFramework[];
  period_start: Date;
  period_end: Date;
  status: AuditStatus;
  created_by: string | null;
  created_at: Date;
  closed_by: string | null;
  closed_at: Date | null;
  /** The package kept when the audit closed (read it at GET /api/audits/:id/package). */
  package_sha256: string | null;
}

/** What POST /api/audits takes. */
export interface AuditRequest {
  name: string;
  frameworks: { framework_id: string; framework_version?: string }[];
  period_start: string;
  period_end: string;
}

/** An auditor's feedback on a requirement's evidence within an audit. */
export type AuditMarkKind = 'accepted' | 'flagged' | 'not_applicable';
export const AUDIT_MARK_KINDS: readonly AuditMarkKind[] = ['accepted', 'flagged', 'not_applicable'];

export interface AuditMarkView {
  id: string;
  audit_id: string;
  framework_id: string;
  framework_version: string;
  requirement_id: string;
  mark: AuditMarkKind;
  comment: string | null;
  marked_by: string | null;
  marked_at: Date;
}

/** What POST /api/audits/:id/marks takes. */
export interface AuditMarkRequest {
  framework_id: string;
  framework_version?: string;
  requirement_id: string;
  mark: AuditMarkKind;
  comment?: string;
}

/** A sample drawn from a population of an audit's period (the seed reproduces it). */
export interface AuditSampleView {
  id: string;
  audit_id: string;
  resource_type: string;
  as_of: Date;
  size: number;
  seed: string;
  /** How many resources the population held, and the sha256 of their ids (one a line, in id order). */
  population_size: number;
  population_sha256: string;
  /** The scans the population came from: the newest succeeded scan of each integration as of `as_of`. */
  scan_ids: string[];
  /** The resources drawn, in the order drawn. */
  items: string[];
  drawn_by: string | null;
  drawn_at: Date;
}

/** What POST /api/audits/:id/samples takes. */
export interface AuditSampleRequest {
  resource_type: string;
  size: number;
  /** The moment the population is taken at (in the period; by default its end, or now while it runs). */
  as_of?: string;
  /** Left out: the server picks one, and records it either way. */
  seed?: string;
}
