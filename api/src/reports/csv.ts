/**
 * The CSV reports' columns and rows (RFC 4180 through csv-stringify: comma-separated, CRLF line ends, fields
 * quoted when they hold a comma, quote or line break, UTF-8, one header row). Rows are built from the very
 * objects the JSON routes answer, so a CSV says exactly what the API says.
 */
import { Readable, pipeline } from 'node:stream';
import { stringify, type Stringifier } from 'csv-stringify';
import type { ControlResult, FrameworkScore } from '../../../schemas/index.ts';
import type { ExplorerFinding } from '../explorer/types.ts';
import type { FindingView } from '../scans/types.ts';

/** A control result as GET /api/scans/:id/controls answers it (with the UCF control's title). */
export type DescribedControl = ControlResult & { title: string };

export const CONTROL_MATRIX_COLUMNS = [
  'framework_id',
  'framework_version',
  'requirement_id',
  'requirement_title',
  'requirement_status',
  'needs_evidence',
  'control_id',
  'control_title',
  'control_status',
  'rule_ids',
  'pass',
  'fail',
  'not_applicable',
  'error',
] as const;

export type ControlMatrixRow = Record<(typeof CONTROL_MATRIX_COLUMNS)[number], string>;

/**
 * One row per requirement and mapped control, in the score's requirement order; a requirement no control
 * maps to gets one row with the control columns empty. Rule ids are joined by spaces (ids hold none).
 */
export function controlMatrixRows(
  score: FrameworkScore,
  controls: ReadonlyMap<string, DescribedControl>,
): ControlMatrixRow[] {
  const rows: ControlMatrixRow[] = [];
  for (const requirement of score.requirements) {
    const base = {
      framework_id: score.framework_id,
      framework_version: score.framework_version,
      requirement_id: requirement.requirement_id,
      requirement_title: requirement.title,
      requirement_status: requirement.status,
      needs_evidence: requirement.needs_evidence ? 'true' : 'false',
    };
    const empty = { control_id: '', control_title: '', control_status: '', rule_ids: '' };
    if (requirement.control_ids.length === 0) {
      rows.push({ ...base, ...empty, pass: '', fail: '', not_applicable: '', error: '' });
      continue;
    }
    for (const controlId of requirement.control_ids) {
      const control = controls.get(controlId);
      rows.push({
        ...base,
        control_id: controlId,
        control_title: control?.title ?? '',
        control_status: control?.status ?? '',
        rule_ids: control?.rule_ids.join(' ') ?? '',
        pass: String(control?.counts.pass ?? ''),
        fail: String(control?.counts.fail ?? ''),
        not_applicable: String(control?.counts.not_applicable ?? ''),
        error: String(control?.counts.error ?? ''),
      });
    }
  }
  return rows;
}

/** The finding columns (those of GET /api/scans/:id/findings), then the applied exception flattened. */
export const FINDING_CSV_COLUMNS = [
  'id',
  'rule_id',
  'rule_version',
  'rule_hash',
  'bundle_revision',
  'resource_id',
  'resource_type',
  'resource_name',
  'status',
  'severity',
  'message',
  'evidence_sha256',
  'exception_id',
  'exception_reason',
  'exception_approver',
  'exception_expires_at',
] as const;

export type FindingCsvRow = Record<(typeof FINDING_CSV_COLUMNS)[number], string>;

/** A finding as the findings route answers it, as one CSV row (null → empty field). */
export function findingCsvRow(finding: FindingView): FindingCsvRow {
  const exception = finding.exception ?? null;
  const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));
  return {
    id: finding.id,
    rule_id: finding.rule_id,
    rule_version: finding.rule_version,
    rule_hash: finding.rule_hash,
    bundle_revision: finding.bundle_revision,
    resource_id: finding.resource_id,
    resource_type: finding.resource_type,
    resource_name: finding.resource_name,
    status: finding.status,
    severity: finding.severity,
    message: finding.message,
    evidence_sha256: text(finding.evidence_sha256),
    exception_id: text(finding.exception_id),
    exception_reason: text(exception?.reason),
    exception_approver: text(exception?.approver),
    exception_expires_at: exception ? new Date(exception.expires_at).toISOString() : '',
  };
}

/** The explorer's columns after the finding's: where the finding comes from and whether it is new. */
export const EXPLORER_CSV_COLUMNS = [
  ...FINDING_CSV_COLUMNS,
  'scan_id',
  'integration_id',
  'integration_name',
  'provider',
  'resource_account',
  'resource_region',
  'new_since_last_scan',
] as const;

export type ExplorerCsvRow = Record<(typeof EXPLORER_CSV_COLUMNS)[number], string>;

/** A finding as GET /api/findings answers it, as one CSV row. */
export function explorerCsvRow(finding: ExplorerFinding): ExplorerCsvRow {
  return {
    ...findingCsvRow(finding),
    scan_id: finding.scan_id,
    integration_id: finding.integration_id,
    integration_name: finding.integration_name,
    provider: finding.provider,
    resource_account: finding.resource_account,
    resource_region: finding.resource_region,
    new_since_last_scan: finding.new_since_last_scan ? 'true' : 'false',
  };
}

/** A CSV writer with the header row and CRLF line ends (RFC 4180). */
export function csvWriter(columns: readonly string[]): Stringifier {
  return stringify({ header: true, columns: [...columns], record_delimiter: 'windows' });
}

async function* explorerCsvRows(findings: AsyncIterable<ExplorerFinding>): AsyncGenerator<ExplorerCsvRow> {
  for await (const finding of findings) yield explorerCsvRow(finding);
}

/**
 * The findings CSV of `findings` (the explorer's rows, GET /api/findings), streamed: rows are converted as they
 * are read. A read failing midway destroys the stream (a cut file, never a silent short one); `onError` hears
 * why. The findings.csv route and the audit package both write it, so the two files are the same bytes.
 */
export function findingsCsvStream(
  findings: AsyncIterable<ExplorerFinding>,
  onError: (error: Error) => void = () => {},
): Readable {
  return pipeline(Readable.from(explorerCsvRows(findings)), csvWriter(EXPLORER_CSV_COLUMNS), (error) => {
    if (error) onError(error);
  });
}

/** The control matrix CSV of `rows`. */
export function controlMatrixCsvStream(rows: readonly ControlMatrixRow[]): Stringifier {
  const writer = csvWriter(CONTROL_MATRIX_COLUMNS);
  for (const row of rows) writer.write(row);
  writer.end();
  return writer;
}
