/**
 * The ordered list of migrations, given to knex as a migration source (no directory scanning, so it works
 * the same under Node, vitest and a bundler). Add a new migration here after creating its file.
 */
import type { Knex } from 'knex';
import * as initial from './0001_initial.ts';
import * as apiTokens from './0002_api_tokens.ts';
import * as ledger from './0003_ledger.ts';
import * as ruleOverrides from './0004_rule_overrides.ts';
import * as ruleVersions from './0005_rule_versions.ts';
import * as scanControl from './0006_scan_control.ts';
import * as retention from './0008_retention.ts';
import * as membersAndKeyRotation from './0007_members_and_key_rotation.ts';
import * as scoring from './0009_scoring.ts';
import * as findingExceptions from './0010_finding_exceptions.ts';
import * as tenantPrimaryKeys from './0011_tenant_primary_keys.ts';
import * as invitations from './0012_invitations.ts';
import * as resetsAndSignups from './0013_password_resets_and_signups.ts';
import * as posture from './0014_posture.ts';
import * as reports from './0015_reports.ts';
import * as integrationCallSlots from './0016_integration_call_slots.ts';
import * as audits from './0017_audits.ts';
import * as auditMarks from './0018_audit_marks.ts';
import * as findingExplorer from './0019_finding_explorer.ts';
import * as auditSamples from './0020_audit_samples.ts';
import * as scanParts from './0021_scan_parts.ts';
import * as integrationArchive from './0022_integration_archive.ts';
import * as newFailures from './0023_new_failures.ts';
import * as rulePacks from './0024_rule_packs.ts';
import * as scanTimings from './0025_scan_timings.ts';
import * as scanFindingCounts from './0026_scan_finding_counts.ts';
import * as findingsPartitions from './0027_findings_partitions.ts';
import * as findingsScanTimes from './0028_findings_scan_times.ts';
import * as findingsResourceIndex from './0029_findings_resource_index.ts';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: Array<[name: string, migration: Migration]> = [
  ['0001_initial', initial],
  ['0002_api_tokens', apiTokens],
  ['0003_ledger', ledger],
  ['0004_rule_overrides', ruleOverrides],
  ['0005_rule_versions', ruleVersions],
  ['0006_scan_control', scanControl],
  ['0008_retention', retention],
  ['0007_members_and_key_rotation', membersAndKeyRotation],
  ['0009_scoring', scoring],
  ['0010_finding_exceptions', findingExceptions],
  ['0011_tenant_primary_keys', tenantPrimaryKeys],
  ['0012_invitations', invitations],
  ['0013_password_resets_and_signups', resetsAndSignups],
  ['0014_posture', posture],
  ['0015_reports', reports],
  ['0016_integration_call_slots', integrationCallSlots],
  ['0017_audits', audits],
  ['0018_audit_marks', auditMarks],
  ['0019_finding_explorer', findingExplorer],
  ['0020_audit_samples', auditSamples],
  ['0021_scan_parts', scanParts],
  ['0022_integration_archive', integrationArchive],
  ['0023_new_failures', newFailures],
  ['0024_rule_packs', rulePacks],
  ['0025_scan_timings', scanTimings],
  ['0026_scan_finding_counts', scanFindingCounts],
  ['0027_findings_partitions', findingsPartitions],
  ['0028_findings_scan_times', findingsScanTimes],
  ['0029_findings_resource_index', findingsResourceIndex],
];

/** knex MigrationSource over the list above. */
export const migrationSource: Knex.MigrationSource<[string, Migration]> = {
  getMigrations: async () => migrations,
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
