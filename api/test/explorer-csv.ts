/**
 * The findings CSV row the tests expect for a finding as GET /api/findings answers it: written out here from
 * the JSON, column by column, not taken from the code that builds the CSV.
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));

/** The explorer CSV row of `f` (columns in the header's order; null → empty field). */
export function expectedCsvRow(f: Json): Record<string, string> {
  return {
    id: f.id,
    rule_id: f.rule_id,
    rule_version: f.rule_version,
    rule_hash: f.rule_hash,
    bundle_revision: f.bundle_revision,
    resource_id: f.resource_id,
    resource_type: f.resource_type,
    resource_name: f.resource_name,
    status: f.status,
    severity: f.severity,
    message: f.message,
    evidence_sha256: text(f.evidence_sha256),
    exception_id: text(f.exception_id),
    exception_reason: text(f.exception?.reason),
    exception_approver: text(f.exception?.approver),
    exception_expires_at: text(f.exception?.expires_at),
    scan_id: f.scan_id,
    integration_id: f.integration_id,
    integration_name: f.integration_name,
    provider: f.provider,
    resource_account: f.resource_account,
    resource_region: f.resource_region,
    new_since_last_scan: String(f.new_since_last_scan),
  };
}
