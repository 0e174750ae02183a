/** What a schedule occurrence carries: ids only. */
export interface ScheduleJobData {
  tenant_id: string;
  integration_id: string;
}

export interface ScheduleView {
  integration_id: string;
  /** The cron expression (UTC), or null when the integration is scanned on demand only. */
  cron: string | null;
  /** The next few occurrences (empty without a schedule). */
  next_runs: Date[];
}
