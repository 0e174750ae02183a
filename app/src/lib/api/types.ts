/**
 * Shapes the app reads from the ComplyWise API.
 *
 * The app is a separate runtime and does not import from the repository's schemas/ folder.
 * FrameworkScore, ControlResult, Finding and ScanError mirror schemas/framework-score.schema.json,
 * schemas/control-result.schema.json, schemas/finding.schema.json and schemas/scan-error.schema.json:
 * when one of those schemas changes, change its copy here by hand. The wire shapes of the routes follow
 * docs/api.md.
 */

/** Outcome of a rule, a control or a requirement (schemas/finding.schema.json `status`). */
export type Status = 'pass' | 'fail' | 'not_applicable' | 'error';

/** Finding severity (schemas/finding.schema.json). */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** Mirrors schemas/framework-score.schema.json. */
export interface FrameworkScore {
  framework_id: string;
  framework_version: string;
  title: string;
  /** 0..1, null when no requirement is applicable. */
  score: number | null;
  passed: number;
  failed: number;
  not_applicable: number;
  requirements: {
    requirement_id: string;
    title: string;
    status: Status;
    control_ids: string[];
  }[];
}

/** Per-status counts of the findings behind a control (schemas/control-result.schema.json). */
export interface StatusCounts {
  pass: number;
  fail: number;
  not_applicable: number;
  error: number;
}

/** Mirrors schemas/control-result.schema.json. */
export interface ControlResult {
  control_id: string;
  status: Status;
  rule_ids: string[];
  counts: StatusCounts;
}

/** A control result as the API lists it: the schema's fields plus the UCF control's title and objective. */
export interface ControlSummary extends ControlResult {
  title: string;
  objective: string;
  domain?: string | null;
}

/** Mirrors schemas/finding.schema.json, plus the row id and resource name the API adds. */
export interface Finding {
  id: string;
  rule_id: string;
  rule_title?: string | null;
  rule_version: string;
  /** sha256 of the rule's sources (metadata + check). */
  rule_hash: string;
  bundle_revision: string;
  resource_id: string;
  resource_name: string;
  resource_type: string;
  status: Status;
  severity: Severity;
  message: string;
  evidence_sha256?: string | null;
}

/** Mirrors schemas/scan-error.schema.json. */
export interface ScanError {
  provider: string;
  /** The API call, e.g. s3:GetPublicAccessBlock. */
  operation: string;
  resource_id?: string | null;
  /** Provider error code, e.g. AccessDenied. */
  code: string;
  message: string;
  missing_permission?: string | null;
}

/** The signed-in user, their tenant and role, as login and refresh return them. */
export interface Session {
  access_token: string;
  /** Seconds until the access token expires. */
  expires_in: number;
  user: { id: string; email: string };
  tenant: { id: string; name: string; demo?: boolean };
  role: string;
}

/** A connected account (AWS, Azure, GitHub, Okta). */
export interface Integration {
  id: string;
  provider: string;
  name: string;
  /** True for the built-in demo sandbox. */
  demo: boolean;
  config: Record<string, unknown>;
}

/** Lifecycle of a scan job. */
export type ScanStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** Live progress of a scan, as the scanner reports it. */
export interface ScanProgress {
  phase: string;
  resources_collected: number;
  calls_made: number;
  errors: number;
}

/** A scan as `GET /api/scans/:id` returns it. */
export interface Scan {
  id: string;
  integration_id?: string;
  integration_name?: string;
  status: ScanStatus;
  progress: ScanProgress | null;
  errors: ScanError[];
  bundle_revision: string | null;
  /** Why the whole scan failed (set when status is failed). */
  failure?: ScanFailure | string | null;
  finding_counts?: Partial<StatusCounts>;
  created_at: string;
  started_at?: string | null;
  finished_at?: string | null;
}

/** Why a scan failed as a whole. */
export interface ScanFailure {
  code?: string;
  message: string;
}

/** `GET /api/scores`: framework scores of the latest succeeded scan; scan_id is null before the first one. */
export interface ScoresResponse {
  scan_id: string | null;
  finished_at?: string | null;
  items: FrameworkScore[];
}

/** How a UCF control maps to a framework requirement (NIST IR 8477 relationship). */
export interface ControlMapping {
  framework_id: string;
  framework_version: string;
  framework_title: string;
  requirement_id: string;
  requirement_title: string;
  relationship?: string | null;
  rationale?: string | null;
}

/** `GET /api/scans/:id/controls/:controlId`. */
export interface ControlDetail {
  control: ControlSummary;
  mappings: ControlMapping[];
  findings: Finding[];
}

/** `GET /api/evidence/:sha256`: one stored evidence artifact. */
export interface Evidence {
  sha256: string;
  size: number;
  content_type: string;
  created_at: string;
  /** The evaluated snapshot; JSON evidence may arrive parsed or as text. */
  content: unknown;
}

/** The body of every API error response. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}
