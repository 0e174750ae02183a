/**
 * Attaching manual evidence: check the target (a UCF control people assess, or a framework requirement with
 * such controls), store the bytes by sha256 in the evidence store, record the row and the ledger events, and
 * record a scoring event: the tenant's posture recomputed from the stored control results (no new scan).
 */
import { type Frameworks, controlsByRequirement, testedControls } from '../../../engine/index.ts';
import { ApiError } from '../errors.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import { canonicalJson } from '../canonical.ts';
import { EVIDENCE_CONTENT_TYPE } from '../evidence/store.ts';
import type { EvidenceStore } from '../plugins/app/evidence.ts';
import type { Trx } from '../plugins/app/tenancy.ts';
import { scorePosture } from './compute.ts';
import { MANUAL_EVIDENCE_COLUMNS, type ManualEvidenceRecord } from './manual-evidence.ts';
import type { FieldProblem } from './policy.ts';
import { tenantFrameworks } from './tenant-frameworks.ts';

/** The body of POST /api/evidence/manual (shape checked by the route schema). */
export interface AttachInput {
  control_id?: string;
  framework_id?: string;
  framework_version?: string;
  requirement_id?: string;
  verdict?: 'pass' | 'fail';
  collected_at?: string;
  description?: string;
  file?: { filename: string; content_type?: string; content_base64: string };
  note?: Record<string, unknown>;
}

type Target =
  { control_id: string } | { framework_id: string; framework_version: string; requirement_id: string };

/** Where the evidence goes, or the problems naming the body fields that are wrong. */
export function resolveTarget(
  input: AttachInput,
  frameworks: Frameworks,
): { target: Target; problems: [] } | { target: null; problems: FieldProblem[] } {
  const fail = (field: string, message: string) => ({ target: null, problems: [{ field, message }] });
  const tested = testedControls(frameworks);
  if (input.control_id !== undefined) {
    if (input.requirement_id !== undefined || input.framework_id !== undefined)
      return fail('control_id', 'name either a control or a framework requirement, not both');
    if (!frameworks.controls.some((c) => c.id === input.control_id))
      return fail('control_id', `no UCF control ${input.control_id}`);
    if (tested.has(input.control_id))
      return fail('control_id', `${input.control_id} is tested by rules: its result comes from scans`);
    return { target: { control_id: input.control_id }, problems: [] };
  }
  if (input.framework_id === undefined || input.requirement_id === undefined)
    return fail(
      input.framework_id === undefined ? 'framework_id' : 'requirement_id',
      'is required (or name a control_id)',
    );
  const versions = frameworks.frameworks.filter(
    (f) =>
      f.id === input.framework_id &&
      (input.framework_version === undefined || f.version === input.framework_version),
  );
  if (versions.length === 0)
    return fail(
      input.framework_version === undefined ? 'framework_id' : 'framework_version',
      `no framework ${input.framework_id}${input.framework_version ? ` version ${input.framework_version}` : ''}`,
    );
  if (versions.length > 1)
    return fail('framework_version', `${input.framework_id} has several versions: name one`);
  const fw = versions[0]!;
  if (!fw.requirements.some((r) => r.id === input.requirement_id))
    return fail('requirement_id', `${fw.id} ${fw.version} has no requirement ${input.requirement_id}`);
  const manual = (
    controlsByRequirement(frameworks, fw.id, fw.version).get(input.requirement_id) ?? []
  ).filter((c) => !tested.has(c));
  if (manual.length === 0)
    return fail('requirement_id', `no control people assess is mapped to ${input.requirement_id}`);
  return {
    target: { framework_id: fw.id, framework_version: fw.version, requirement_id: input.requirement_id },
    problems: [],
  };
}

/** The problems of the parts the schema cannot check: one of file/note, a real base64 body, a past date. */
export function contentProblems(input: AttachInput, now: Date): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if ((input.file === undefined) === (input.note === undefined))
    problems.push({ field: 'file', message: 'send exactly one of file or note' });
  if (input.file) {
    const b64 = input.file.content_base64;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0)
      problems.push({ field: 'file.content_base64', message: 'is not base64' });
    else if (b64.length === 0) problems.push({ field: 'file.content_base64', message: 'is empty' });
  }
  if (input.collected_at !== undefined) {
    const t = Date.parse(input.collected_at);
    if (Number.isNaN(t)) problems.push({ field: 'collected_at', message: 'is not a date-time' });
    // A little slack for clocks; evidence from the future would stay fresh longer than it should.
    else if (t > now.getTime() + 5 * 60_000)
      problems.push({ field: 'collected_at', message: 'is in the future' });
  }
  return problems;
}

function invalid(problems: FieldProblem[]): ApiError {
  return new ApiError(
    'VALIDATION_ERROR',
    `manual evidence is invalid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    { problems },
  );
}

/** The recomputed posture, per framework version. */
export interface RescoredSummary {
  /** The scoring event the evidence caused. */
  event_id: string;
  /** The newest scan the posture was computed from. */
  scan_id: string;
  scores: { framework_id: string; framework_version: string; score: number | null; needs_evidence: number }[];
}

export interface AttachDeps {
  store: EvidenceStore;
  ledger: LedgerService;
  base: Frameworks;
}

/** Attaches the evidence for `userId` in the tenant of `trx` and rescores the tenant's posture; see the module doc. */
export async function attachManualEvidence(
  deps: AttachDeps,
  trx: Trx,
  tenantId: string,
  userId: string,
  input: AttachInput,
  now: Date,
): Promise<{ evidence: ManualEvidenceRecord; rescored: RescoredSummary | null }> {
  const frameworks = await tenantFrameworks(trx, deps.base);
  const resolved = resolveTarget(input, frameworks);
  const problems = [...resolved.problems, ...contentProblems(input, now)];
  if (problems.length > 0 || !resolved.target) throw invalid(problems);
  const verdict = input.verdict ?? 'pass';
  const collected_at = input.collected_at ? new Date(input.collected_at).toISOString() : now.toISOString();
  // Self-describing canonical JSON, so GET /api/evidence/:sha256 reads it back like scan evidence.
  const artifact = {
    kind: 'manual_evidence',
    target: resolved.target,
    verdict,
    collected_at,
    attested_by: userId,
    ...(input.description ? { description: input.description } : {}),
    ...(input.file
      ? {
          file: {
            filename: input.file.filename,
            content_type: input.file.content_type ?? 'application/octet-stream',
            size: Buffer.from(input.file.content_base64, 'base64').length,
            content_base64: input.file.content_base64,
          },
        }
      : { note: input.note }),
  };
  const bytes = Buffer.from(canonicalJson(artifact), 'utf8');
  const sha256 = await deps.store.put(bytes);
  const added = await trx('evidence')
    .insert({ tenant_id: tenantId, sha256, size: bytes.length, content_type: EVIDENCE_CONTENT_TYPE })
    .onConflict(['tenant_id', 'sha256'])
    .ignore()
    .returning('sha256');
  const [evidence] = (await trx('manual_evidence')
    .insert({
      tenant_id: tenantId,
      ...resolved.target,
      verdict,
      sha256,
      kind: input.file ? 'file' : 'note',
      filename: input.file?.filename ?? null,
      description: input.description ?? null,
      attested_by: userId,
      collected_at,
    })
    .returning(MANUAL_EVIDENCE_COLUMNS)) as ManualEvidenceRecord[];
  const rescored = await scorePosture(trx, tenantId, deps.base, now, { reason: 'manual_evidence' });
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
  await deps.ledger.append(trx, tenantId, [
    ...(added.length > 0 ? [{ kind: 'evidence.recorded', actor: userId, artifact_sha256: sha256 }] : []),
    {
      kind: 'evidence.attached',
      actor: userId,
      artifact_sha256: sha256,
      payload: { id: evidence!.id, ...resolved.target, verdict, collected_at },
    },
    ...(rescored
      ? [
          {
            kind: 'scores.recomputed',
            actor: userId,
            payload: {
              event_id: rescored.event_id,
              reason: 'manual evidence attached',
              sources: rescored.sources,
              scores: summary!.scores,
            },
          },
        ]
      : []),
  ]);
  return { evidence: evidence!, rescored: summary };
}
