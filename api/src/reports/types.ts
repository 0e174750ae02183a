/** Shapes of the reports domain. */

/** What a report is of. Only the framework readiness report so far. */
export type ReportKind = 'readiness';
export const REPORT_KINDS: readonly ReportKind[] = ['readiness'];

export type ReportStatus = 'queued' | 'running' | 'succeeded' | 'failed';
export const REPORT_STATUSES: readonly ReportStatus[] = ['queued', 'running', 'succeeded', 'failed'];

/** A report row as the API shows it. */
export interface ReportView {
  id: string;
  kind: ReportKind;
  framework_id: string;
  framework_version: string | null;
  status: ReportStatus;
  /** Percent done, 0-100. */
  progress: number;
  /** The succeeded scan whose results the report shows (set once the job starts). */
  scan_id: string | null;
  sha256: string | null;
  size: number | null;
  content_type: string | null;
  failure_code: string | null;
  failure_message: string | null;
  requested_by: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** The job the queue carries for one report. */
export interface ReportJobData {
  tenant_id: string;
  report_id: string;
}

/** What POST /api/reports asks for. */
export interface ReportRequest {
  kind: ReportKind;
  framework_id: string;
  framework_version?: string;
}
