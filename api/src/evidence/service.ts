/**
 * Evidence for a tenant: reads only what its `evidence` rows name (row-level security), bytes from the store;
 * and manual evidence: attaching checks the target (a UCF control people assess, or a framework requirement
 * with such controls), stores the bytes by sha256, records the rows and the ledger events, and recomputes
 * the tenant's posture from the stored control results as a new scoring event (no new scan needed).
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical.ts';
import { ApiError, type FieldProblem } from '../errors.ts';
import { tenantFrameworks } from '../frameworks/catalogs.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import type { EngineRuntime } from '../plugins/app/engine.ts';
import { EvidenceCorruptedError, type EvidenceStore } from '../plugins/app/evidence.ts';
import type { WithTenant } from '../plugins/app/tenancy.ts';
import { scorePosture } from '../scoring/compute.ts';
import { contentProblems, manualArtifact, resolveTarget, type AttachInput } from './manual.ts';
import {
  EVIDENCE_CONTENT_TYPE,
  evidenceCitations,
  evidenceRecord,
  evidenceRecords,
  insertEvidenceRows,
  insertManualEvidence,
  manualEvidencePage,
  recordedEvidencePage,
  type EvidenceCitation,
  type ManualEvidenceRecord,
  type RecordedEvidence,
} from './store.ts';
import { recordingEntry } from '../ledger/store.ts';

/** What the stored bytes of an artifact are now: still matching their sha256, changed, or gone. */
export type StoredState = 'verified' | 'altered' | 'missing';

export interface EvidenceView {
  sha256: string;
  size: number;
  content_type: string;
  created_at: Date;
  /** Whether the stored bytes, hashed again on this read, still have `sha256` (content is null when not). */
  verified: boolean;
  stored: StoredState;
  /** The parsed canonical JSON of a JSON artifact; null for other media types and for bytes not verified. */
  content: unknown;
  /** What recorded the artifact: its first citation of the kind its media type says, and its ledger entry. */
  recorded: {
    by: EvidenceCitation['kind'] | 'unknown';
    subject_id: string | null;
    actor: string | null;
    ledger_seq: number | null;
  };
  /** What cites it, newest first per kind (see evidenceCitations); `scans` counts every citing scan. */
  cited_by: { scans: number; items: EvidenceCitation[] };
}

/** The kind of subject that records artifacts of a media type (JSON: manual evidence before a scan's). */
const RECORDER_BY_TYPE: Record<string, EvidenceCitation['kind'][]> = {
  'application/zip': ['audit_package'],
  'application/pdf': ['report'],
  [EVIDENCE_CONTENT_TYPE]: ['manual', 'scan'],
};

/** File name extensions of the media types the API records. */
const EXTENSIONS: Record<string, string> = {
  'application/zip': 'zip',
  'application/pdf': 'pdf',
  [EVIDENCE_CONTENT_TYPE]: 'json',
  'text/csv': 'csv',
};

/** The recomputed posture, per framework version. */
export interface RescoredSummary {
  /** The scoring event the evidence caused. */
  event_id: string;
  /** The newest scan the posture was computed from. */
  scan_id: string;
  scores: { framework_id: string; framework_version: string; score: number | null; needs_evidence: number }[];
}

function invalid(problems: FieldProblem[]): ApiError {
  return new ApiError(
    'VALIDATION_ERROR',
    `manual evidence is invalid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    { problems },
  );
}

export class EvidenceService {
  readonly #withTenant: WithTenant;
  readonly #store: EvidenceStore;
  readonly #ledger: LedgerService;
  readonly #engine: Pick<EngineRuntime, 'frameworks'>;
  constructor(
    withTenant: WithTenant,
    store: EvidenceStore,
    ledger: LedgerService,
    engine: Pick<EngineRuntime, 'frameworks'>,
  ) {
    this.#withTenant = withTenant;
    this.#store = store;
    this.#ledger = ledger;
    this.#engine = engine;
  }

  /**
   * What the tenant records of an artifact, of any media type: its row, the stored bytes hashed again now,
   * what recorded it and what cites it, and the content when it is JSON.
   */
  async read(tenantId: string, sha256: string): Promise<EvidenceView> {
    const found = await this.#withTenant(tenantId, async (trx) => {
      const row = await evidenceRecord(trx, sha256);
      if (!row) return null;
      const cited = await evidenceCitations(trx, sha256);
      const entry = await recordingEntry(trx, tenantId, sha256, row.created_at);
      return { row, cited, entry };
    });
    if (!found) throw new ApiError('EVIDENCE_NOT_FOUND', `no evidence ${sha256}`);
    const { row, cited, entry } = found;
    const { stored, bytes } = await this.#stored(sha256);
    let content: unknown = null;
    if (bytes && row.content_type === EVIDENCE_CONTENT_TYPE) {
      try {
        content = JSON.parse(bytes.toString('utf8'));
      } catch {
        content = null;
      }
    }
    const kinds = RECORDER_BY_TYPE[row.content_type] ?? [];
    // The oldest citation of the first kind that has one: the subject that was being made when it was recorded.
    const recorder = kinds
      .map((kind) => cited.items.filter((c) => c.kind === kind).at(-1))
      .find((c) => c !== undefined);
    return {
      ...row,
      verified: stored === 'verified',
      stored,
      content,
      recorded: {
        by: recorder?.kind ?? 'unknown',
        subject_id: recorder?.id ?? null,
        actor: entry?.actor ?? null,
        ledger_seq: entry?.seq ?? null,
      },
      cited_by: { scans: cited.scans, items: cited.items },
    };
  }

  /**
   * The stored bytes of an artifact the tenant records, hashed again on this read, with its media type and a
   * file name; 404 when the tenant does not record it, 409 EVIDENCE_UNAVAILABLE when the bytes are gone or
   * no longer match.
   */
  async file(
    tenantId: string,
    sha256: string,
  ): Promise<{ bytes: Buffer; content_type: string; filename: string }> {
    const row = await this.#withTenant(tenantId, (trx) => evidenceRecord(trx, sha256));
    if (!row) throw new ApiError('EVIDENCE_NOT_FOUND', `no evidence ${sha256}`);
    const { stored, bytes } = await this.#stored(sha256);
    if (!bytes)
      throw new ApiError(
        'EVIDENCE_UNAVAILABLE',
        stored === 'missing'
          ? `the evidence store no longer holds ${sha256}`
          : `the stored bytes of ${sha256} no longer have that sha256`,
        { stored },
      );
    const extension = EXTENSIONS[row.content_type] ?? 'bin';
    return { bytes, content_type: row.content_type, filename: `evidence-${sha256}.${extension}` };
  }

  /** The stored bytes, read and hashed again now (the store checks the hash), or why there are none. */
  async #stored(sha256: string): Promise<{ stored: StoredState; bytes: Buffer | null }> {
    try {
      const bytes = await this.#store.get(sha256);
      return bytes ? { stored: 'verified', bytes } : { stored: 'missing', bytes: null };
    } catch (error) {
      if (error instanceof EvidenceCorruptedError) return { stored: 'altered', bytes: null };
      throw error;
    }
  }

  /**
   * One page of the evidence recorded in `window` (an audit period), newest first, each re-hashed from the
   * store: `verified` is true only when the stored bytes still hash to their name.
   */
  recordedBetween(
    tenantId: string,
    window: { from: Date; to: Date },
    options: { limit: number; cursor?: string },
  ): Promise<{ items: (RecordedEvidence & { verified: boolean })[]; next_cursor: string | null }> {
    return this.#withTenant(tenantId, async (trx) => {
      const page = await recordedEvidencePage(trx, window, options);
      const items = [];
      for (const item of page.items) items.push({ ...item, verified: await this.verified(item.sha256) });
      return { items, next_cursor: page.next_cursor };
    });
  }

  /** Whether the store still holds bytes that hash to `sha256` (read and hashed again now). */
  async verified(sha256: string): Promise<boolean> {
    const bytes = await this.#store.get(sha256).catch(() => null);
    return bytes !== null && createHash('sha256').update(bytes).digest('hex') === sha256;
  }

  /** The tenant's records of these artifacts (size, type, when recorded), by sha256. */
  records(
    tenantId: string,
    sha256s: readonly string[],
  ): Promise<Map<string, { size: number; content_type: string; created_at: Date }>> {
    return this.#withTenant(tenantId, async (trx) => {
      const rows = await evidenceRecords(trx, sha256s);
      return new Map(rows.map(({ sha256, ...row }) => [sha256, row]));
    });
  }

  /** One page of the tenant's manual evidence, newest first. */
  listManual(
    tenantId: string,
    options: { limit: number; cursor?: string; control_id?: string; framework_id?: string },
  ): Promise<{ items: ManualEvidenceRecord[]; next_cursor: string | null }> {
    return this.#withTenant(tenantId, (trx) => manualEvidencePage(trx, options));
  }

  /** Attaches manual evidence for `userId` and rescores the tenant's latest scan; see the file comment. */
  async attachManual(
    tenantId: string,
    userId: string,
    input: AttachInput,
    now: Date,
  ): Promise<{ evidence: ManualEvidenceRecord; rescored: RescoredSummary | null }> {
    const base = await this.#engine.frameworks();
    return this.#withTenant(tenantId, async (trx) => {
      const resolved = resolveTarget(input, await tenantFrameworks(trx, base));
      const problems = [...resolved.problems, ...contentProblems(input, now)];
      if (problems.length > 0 || !resolved.target) throw invalid(problems);
      const target = resolved.target;
      const verdict = input.verdict ?? 'pass';
      const collected_at = input.collected_at
        ? new Date(input.collected_at).toISOString()
        : now.toISOString();
      const artifact = manualArtifact(input, target, verdict, collected_at, userId);
      const bytes = Buffer.from(canonicalJson(artifact), 'utf8');
      const sha256 = await this.#store.put(bytes);
      const added = await insertEvidenceRows(trx, [
        { tenant_id: tenantId, sha256, size: bytes.length, content_type: EVIDENCE_CONTENT_TYPE },
      ]);
      const evidence = await insertManualEvidence(trx, {
        tenant_id: tenantId,
        ...target,
        verdict,
        sha256,
        kind: input.file ? 'file' : 'note',
        filename: input.file?.filename ?? null,
        description: input.description ?? null,
        attested_by: userId,
        collected_at,
      });
      const rescored = await scorePosture(trx, tenantId, base, now, { reason: 'manual_evidence' });
      const summary: RescoredSummary | null = rescored && {
        event_id: rescored.event_id,
        scan_id: rescored.sources.reduce((a, b) => (b.finished_at > a.finished_at ? b : a)).scan_id,
        scores: rescored.scores.map((s) => ({
          framework_id: s.framework_id,
          framework_version: s.framework_version,
          score: s.score,
          needs_evidence: s.needs_evidence ?? 0,
        })),
      };
      await this.#ledger.append(trx, tenantId, [
        ...(added.length > 0 ? [{ kind: 'evidence.recorded', actor: userId, artifact_sha256: sha256 }] : []),
        {
          kind: 'evidence.attached',
          actor: userId,
          artifact_sha256: sha256,
          payload: { id: evidence.id, ...target, verdict, collected_at },
        },
        ...(rescored && summary
          ? [
              {
                kind: 'scores.recomputed',
                actor: userId,
                payload: {
                  event_id: rescored.event_id,
                  reason: 'manual evidence attached',
                  sources: rescored.sources,
                  scores: summary.scores,
                },
              },
            ]
          : []),
      ]);
      return { evidence, rescored: summary };
    });
  }
}
