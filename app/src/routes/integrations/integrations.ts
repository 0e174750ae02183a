/** The integrations page's pure rules (unit-tested in integrations.test.ts). */
import type { ConnectionResult } from '#lib/api/admin.ts';
import type { Integration } from '#lib/api/types.ts';

/** Dependency key of the page's data: invalidated after any change. */
export const INTEGRATIONS_DEPENDENCY = 'app:integrations';

/** A connection test's outcome in words: who the credentials are, or what is wrong. */
export function describeTest(result: ConnectionResult): string {
  if (result.ok) return `Connected${result.identity ? ` as ${result.identity}` : ''}.`;
  return `The connection failed: ${result.message ?? 'the provider refused the credentials'}.`;
}

/** The question the archive button asks before anything is sent. */
export function deleteQuestion(integration: Integration): string {
  return `Archive ${integration.name}? Its stored credentials are destroyed, its scheduled scans stop and its results leave the scores at once. Its scans, findings and evidence are kept for audit.`;
}

/** The active integrations and the archived ones (newest archive first), from a list with both. */
export function splitArchived(integrations: readonly Integration[]): {
  active: Integration[];
  archived: Integration[];
} {
  return {
    active: integrations.filter((i) => !i.archived_at),
    archived: integrations
      .filter((i) => i.archived_at)
      .sort((a, b) => (a.archived_at! < b.archived_at! ? 1 : a.archived_at! > b.archived_at! ? -1 : 0)),
  };
}

/** The config settings worth a line on the card (lists joined), by the provider schema's titles. */
export function configSummary(
  integration: Integration,
  titles: Record<string, string>,
): { label: string; value: string }[] {
  return Object.entries(integration.config)
    .filter(([, value]) => typeof value === 'string' || (Array.isArray(value) && value.length <= 3))
    .map(([key, value]) => ({
      label: titles[key] ?? key,
      value: Array.isArray(value) ? value.join(', ') : String(value),
    }));
}

/** Cron presets the schedule form offers beside a free expression (five fields, UTC). */
export const SCHEDULE_PRESETS: readonly { cron: string; label: string }[] = [
  { cron: '0 3 * * *', label: 'Daily at 03:00 UTC' },
  { cron: '0 3 * * 1', label: 'Weekly, Monday 03:00 UTC' },
  { cron: '0 */6 * * *', label: 'Every 6 hours' },
];
