/**
 * The `evidence` table: which tenant records which bytes of the evidence store (the bytes themselves live in
 * the store, plugins/app/evidence.ts); and `manual_evidence`: what people attach to a UCF control they assess
 * or to a framework requirement, each row naming its bytes by sha256. Manual evidence rows are never edited:
 * newer evidence supersedes older evidence when scores are computed. Every function runs in the caller's
 * transaction.
 */
import type { Knex } from 'knex';
import { chunks } from '../batch.ts';
import { applyPage, decodeCursor, toPage, type SortKey } from '../pagination.ts';
import type { Trx } from '../plugins/app/tenancy.ts';

/** What every recorded artifact is: canonical JSON. */
export const EVIDENCE_CONTENT_TYPE = 'application/json';

/**
 * Transaction-scoped advisory locks on evidence hashes (sorted, so two lockers never deadlock). A writer that
 * records bytes takes them shared until its evidence rows commit; the retention job takes one exclusive
 * before it deletes bytes no tenant records, so it never removes bytes a row is about to name.
 */
export async function lockEvidence(
  trx: Knex.Transaction,
  sha256s: string[],
  mode: 'shared' | 'exclusive',
): Promise<void> {
  if (sha256s.length === 0) return;
  const fn = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  await trx.raw(`select ${fn}(hashtextextended('evidence:' || sha, 0)) from unnest(?::text[]) as sha`, [
    [...new Set(sha256s)].sort(),
  ]);
}

/** An `evidence` row: the tenant records these bytes. */
export interface EvidenceRow {
  tenant_id: string;
  sha256: string;
  size: number;
  content_type: string;
}

/**
 * Records evidence rows for their tenant, once per (tenant, sha256); returns the sha256s newly recorded. One
 * statement, each column one array parameter (no bind limit): a scan records its snapshots 500 at a time.
 */
export async function insertEvidenceRows(
  trx: Knex.Transaction,
  rows: readonly EvidenceRow[],
): Promise<string[]> {
  if (rows.length === 0) return [];
  const { rows: inserted } = (await trx.raw(
    `INSERT INTO evidence (tenant_id, sha256, size, content_type)
     SELECT * FROM unnest(?::uuid[], ?::text[], ?::int[], ?::text[])
     ON CONFLICT (tenant_id, sha256) DO NOTHING
     RETURNING sha256`,
    [
      rows.map((r) => r.tenant_id),
      rows.map((r) => r.sha256),
      rows.map((r) => r.size),
      rows.map((r) => r.content_type),
    ],
  )) as { rows: { sha256: string }[] };
  return inserted.map((row) => row.sha256);
}

/** What the tenant's row says of an artifact, or undefined when the tenant does not record it. */
export async function evidenceRecord(
  trx: Knex.Transaction,
  sha256: string,
): Promise<{ sha256: string; size: number; content_type: string; created_at: Date } | undefined> {
  return trx('evidence').select('sha256', 'size', 'content_type', 'created_at').where({ sha256 }).first();
}

/** The tenant's rows of several artifacts (those it records; the others are left out). */
export async function evidenceRecords(
  trx: Knex.Transaction,
  sha256s: readonly string[],
): Promise<{ sha256: string; size: number; content_type: string; created_at: Date }[]> {
  const rows = [];
  for (const batch of chunks(sha256s))
    rows.push(
      ...((await trx('evidence')
        .select('sha256', 'size', 'content_type', 'created_at')
        .whereIn('sha256', batch)) as {
        sha256: string;
        size: number;
        content_type: string;
        created_at: Date;
      }[]),
    );
  return rows;
}

/** A `manual_evidence` row. */
export interface ManualEvidenceRecord {
  id: string;
  control_id: string | null;
  framework_id: string | null;
  framework_version: string | null;
  requirement_id: string | null;
  verdict: 'pass' | 'fail';
  sha256: string;
  kind: 'file' | 'note';
  filename: string | null;
  description: string | null;
  attested_by: string;
  collected_at: Date;
  created_at: Date;
}

export const MANUAL_EVIDENCE_COLUMNS = [
  'id',
  'control_id',
  'framework_id',
  'framework_version',
  'requirement_id',
  'verdict',
  'sha256',
  'kind',
  'filename',
  'description',
  'attested_by',
  'collected_at',
  'created_at',
] as const;

type TargetColumns = 'control_id' | 'framework_id' | 'framework_version' | 'requirement_id';

/** A manual evidence row to insert: its target (a control, or a framework requirement) and the rest but the id. */
export type NewManualEvidence = Omit<
  ManualEvidenceRecord,
  'id' | 'created_at' | 'collected_at' | TargetColumns
> &
  Partial<Pick<ManualEvidenceRecord, TargetColumns>> & { tenant_id: string; collected_at: string };

/** Inserts one manual evidence row; returns it. */
export async function insertManualEvidence(trx: Trx, row: NewManualEvidence): Promise<ManualEvidenceRecord> {
  const [inserted] = (await trx('manual_evidence')
    .insert(row)
    .returning(MANUAL_EVIDENCE_COLUMNS)) as ManualEvidenceRecord[];
  return inserted!;
}

/** Every manual evidence row of the tenant of `trx`, oldest first. */
export async function listManualEvidence(trx: Trx): Promise<ManualEvidenceRecord[]> {
  return (await trx('manual_evidence')
    .select(MANUAL_EVIDENCE_COLUMNS)
    .orderBy([
      { column: 'created_at', order: 'asc' },
      { column: 'id', order: 'asc' },
    ])) as ManualEvidenceRecord[];
}

/** Newest first; the cursor carries created_at as text, so no precision is lost to a JavaScript Date. */
const MANUAL_ORDER: SortKey[] = [
  { column: 'created_at', field: 'cursor_created_at', direction: 'desc' },
  { column: 'id', direction: 'desc' },
];

/** One page of the tenant's manual evidence, newest first, optionally of one control or framework. */
export async function manualEvidencePage(
  trx: Trx,
  options: { limit: number; cursor?: string; control_id?: string; framework_id?: string },
): Promise<{ items: ManualEvidenceRecord[]; next_cursor: string | null }> {
  const { limit, cursor, control_id, framework_id } = options;
  const after = cursor ? decodeCursor(cursor, 'manual', MANUAL_ORDER) : null;
  const query = trx('manual_evidence')
    .select(MANUAL_EVIDENCE_COLUMNS)
    .select(trx.raw('created_at::text as cursor_created_at'));
  if (control_id) query.where({ control_id });
  if (framework_id) query.where({ framework_id });
  const rows = (await applyPage(query, MANUAL_ORDER, after, limit)) as (ManualEvidenceRecord & {
    cursor_created_at?: string;
  })[];
  const page = toPage(rows as unknown as Record<string, unknown>[], limit, 'manual', MANUAL_ORDER);
  return {
    items: page.items.map(({ cursor_created_at: _c, ...row }) => row) as unknown as ManualEvidenceRecord[],
    next_cursor: page.next_cursor,
  };
}

/** An evidence row of a period, with the manual evidence rows that name its bytes (none for a snapshot). */
export interface RecordedEvidence {
  sha256: string;
  size: number;
  content_type: string;
  created_at: Date;
  manual: ManualEvidenceRecord[];
}

const RECORDED_ORDER: SortKey[] = [
  { column: 'created_at', field: 'cursor_created_at', direction: 'desc' },
  { column: 'sha256', direction: 'desc' },
];

/**
 * One page of the evidence the tenant recorded in [from, to] (resource snapshots, manual evidence, report
 * files), newest first, each with the manual evidence rows that cite its bytes.
 */
export async function recordedEvidencePage(
  trx: Trx,
  window: { from: Date; to: Date },
  options: { limit: number; cursor?: string },
): Promise<{ items: RecordedEvidence[]; next_cursor: string | null }> {
  const after = options.cursor ? decodeCursor(options.cursor, 'recorded', RECORDED_ORDER) : null;
  const query = trx('evidence')
    .select('sha256', 'size', 'content_type', 'created_at', trx.raw('created_at::text as cursor_created_at'))
    .where('created_at', '>=', window.from)
    .andWhere('created_at', '<=', window.to);
  const rows = (await applyPage(query, RECORDED_ORDER, after, options.limit)) as Record<string, unknown>[];
  const page = toPage(rows, options.limit, 'recorded', RECORDED_ORDER);
  const shas = page.items.map((row) => row.sha256 as string);
  const manual = shas.length
    ? ((await trx('manual_evidence')
        .select(MANUAL_EVIDENCE_COLUMNS)
        .whereIn('sha256', shas)
        .orderBy([
          { column: 'created_at', order: 'asc' },
          { column: 'id', order: 'asc' },
        ])) as ManualEvidenceRecord[])
    : [];
  return {
    items: page.items.map(({ cursor_created_at: _c, ...row }) => ({
      ...(row as Omit<RecordedEvidence, 'manual'>),
      manual: manual.filter((m) => m.sha256 === row.sha256),
    })),
    next_cursor: page.next_cursor,
  };
}

/** What cites an artifact: a scan whose findings name it, a report or audit package it is, manual evidence. */
export interface EvidenceCitation {
  kind: 'scan' | 'report' | 'audit_package' | 'manual';
  /** The scan's, report's, audit's or manual evidence row's id. */
  id: string;
  /** When the subject was made: the scan's finish, the report's creation, the audit's close, the attachment. */
  at: Date;
  /** Words naming the subject: a snapshot's resource, a report's framework, the audit's name, the file. */
  label: string;
  /** The resource a scan's snapshot describes (null for the other kinds). */
  resource_id: string | null;
  /** A report's framework, or manual evidence's target (a control, or a framework requirement); else null. */
  framework_id: string | null;
  framework_version: string | null;
  requirement_id: string | null;
  control_id: string | null;
}

const NO_TARGET = { framework_id: null, framework_version: null, requirement_id: null, control_id: null };

/** Scans listed per artifact (a snapshot unchanged between scans is cited by each of them). */
export const CITING_SCANS = 50;

/**
 * What cites `sha256` in the tenant of `trx`: its report, its audit, its manual evidence rows, and the newest
 * CITING_SCANS scans whose findings name it (`scans` counts them all), each newest first.
 */
export async function evidenceCitations(
  trx: Trx,
  sha256: string,
): Promise<{ items: EvidenceCitation[]; scans: number }> {
  const reports = (await trx('reports')
    .select('id', 'created_at', 'framework_id', 'framework_version', 'kind')
    .where({ sha256 })
    .orderBy('created_at', 'desc')) as {
    id: string;
    created_at: Date;
    framework_id: string;
    framework_version: string | null;
    kind: string;
  }[];
  const audits = (await trx('audits')
    .select('id', 'name', 'closed_at')
    .where({ package_sha256: sha256 })
    .orderBy('closed_at', 'desc')) as { id: string; name: string; closed_at: Date }[];
  const manual = (await trx('manual_evidence')
    .select(MANUAL_EVIDENCE_COLUMNS)
    .where({ sha256 })
    .orderBy('created_at', 'desc')) as ManualEvidenceRecord[];
  const scans = (await trx('findings as f')
    .join('scans as s', function () {
      this.on('s.id', '=', 'f.scan_id').andOn('s.tenant_id', '=', 'f.tenant_id');
    })
    .where('f.evidence_sha256', sha256)
    .groupBy('f.scan_id')
    .select(
      'f.scan_id as id',
      trx.raw('max(coalesce(s.finished_at, s.created_at)) as at'),
      trx.raw('min(f.resource_id) as resource_id'),
      trx.raw('count(*) over () as total'),
    )
    .orderBy([
      { column: 'at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(CITING_SCANS)) as { id: string; at: Date; resource_id: string; total: string | number }[];
  return {
    scans: Number(scans[0]?.total ?? 0),
    items: [
      ...audits.map((a) => ({
        kind: 'audit_package' as const,
        id: a.id,
        at: a.closed_at,
        label: a.name,
        resource_id: null,
        ...NO_TARGET,
      })),
      ...reports.map((r) => ({
        kind: 'report' as const,
        id: r.id,
        at: r.created_at,
        label: `${r.framework_id}${r.framework_version ? ` ${r.framework_version}` : ''}`,
        resource_id: null,
        ...NO_TARGET,
        framework_id: r.framework_id,
        framework_version: r.framework_version,
      })),
      ...manual.map((m) => ({
        kind: 'manual' as const,
        id: m.id,
        at: m.created_at,
        label: [m.filename ?? (m.kind === 'note' ? 'note' : 'file'), m.requirement_id ?? m.control_id]
          .filter(Boolean)
          .join(' for '),
        resource_id: null,
        framework_id: m.framework_id,
        framework_version: m.framework_version,
        requirement_id: m.requirement_id,
        control_id: m.control_id,
      })),
      ...scans.map((s) => ({
        kind: 'scan' as const,
        id: s.id,
        at: new Date(s.at),
        label: s.resource_id,
        resource_id: s.resource_id,
        ...NO_TARGET,
      })),
    ],
  };
}
