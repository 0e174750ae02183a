/**
 * Shapes the app reads from the ComplyWise API.
 *
 * The schema-backed shapes (FrameworkScore, ControlResult, Finding, ScanError) are imported as types from the
 * repository's generated schemas/types.ts, so the JSON Schemas stay the single source of truth; type-only
 * imports are erased at build time, so nothing from outside app/ is bundled. The wire shapes of the routes
 * follow docs/api.md.
 */
import type {
  ControlResult,
  Finding as FindingRecord,
  FrameworkCatalog,
  FrameworkScore,
  ScanError,
  Status,
} from '../../../../schemas/types.ts';

export type { ControlResult, FrameworkScore, ScanError, Status };

/** Finding severity (schemas/finding.schema.json). */
export type Severity = FindingRecord['severity'];

/** Per-status counts of the findings behind a control (schemas/control-result.schema.json). */
export type StatusCounts = ControlResult['counts'];

/** A control result as the API lists it: the schema's fields plus the UCF control's title and objective. */
export interface ControlSummary extends ControlResult {
  title: string;
  objective: string;
  domain?: string | null;
}

/** A finding as the API returns it: the schema's fields plus the row id, resource name and rule title. */
export interface Finding extends FindingRecord {
  id: string;
  resource_name: string;
  rule_title?: string | null;
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
export type ScanStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

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

/** How far automated rules cover a requirement (engine/coverage.ts). */
export type CoverageLevel = 'automated' | 'partial' | 'manual' | 'unmapped' | 'out_of_scope';

/**
 * One framework catalog as `GET /api/frameworks` lists it: the catalog schema's header fields, with
 * `requirements` as a count.
 */
export interface FrameworkInfo extends Pick<
  FrameworkCatalog,
  'id' | 'version' | 'title' | 'owner' | 'source' | 'license' | 'text_policy'
> {
  requirements: number;
  /** True for a catalog the tenant uploaded. */
  uploaded: boolean;
}

/** `GET /api/frameworks`. */
export interface FrameworksResponse {
  ucf_version: string;
  controls: number;
  items: FrameworkInfo[];
}

/** One framework's coverage as `GET /api/frameworks/coverage` answers it. */
export interface FrameworkCoverage {
  framework_id: string;
  framework_version: string;
  title: string;
  total: number;
  counts: Record<CoverageLevel, number>;
  requirements: {
    requirement_id: string;
    coverage: CoverageLevel;
    controls: { control_id: string; relationship: string; tested_by_rules: boolean }[];
  }[];
}

/** `GET /api/frameworks/coverage` and `GET /api/frameworks/:frameworkId/coverage`. */
export interface CoverageResponse {
  frameworks: FrameworkCoverage[];
}

/**
 * One framework's score after one succeeded scan (`GET /api/scores/history`): the score schema's totals
 * without the per-requirement list, plus when and for which scan.
 */
export interface ScoreSnapshot extends Pick<
  FrameworkScore,
  'framework_id' | 'framework_version' | 'title' | 'score' | 'passed' | 'failed' | 'not_applicable'
> {
  scan_id: string;
  finished_at: string;
  scored_at: string;
  needs_evidence: number;
  weighted: boolean;
}

/** A page of score snapshots, newest scan first; `next_cursor` is null on the last page. */
export interface ScoreHistoryPage {
  items: ScoreSnapshot[];
  next_cursor: string | null;
}
