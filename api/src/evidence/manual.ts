/**
 * Manual evidence: what people attach to a UCF control they assess, or to a framework requirement (a policy
 * document, a review record, a JSON note). The bytes go to the evidence store under their sha256 as canonical
 * JSON, like scan evidence, so GET /api/evidence/:sha256 reads them back. This file holds the checks of an
 * attachment and the artifact it becomes, and turns stored rows into the verdicts the engine scores
 * (engine/score.ts keeps the latest per control).
 */
import {
  type Frameworks,
  controlsByRequirement,
  testedControls,
  type ManualEvidence,
} from '../../../engine/index.ts';
import type { FieldProblem } from '../errors.ts';
import type { ManualEvidenceRecord } from './store.ts';

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

export type Target =
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

/** Self-describing canonical JSON content of an attachment, so GET /api/evidence/:sha256 reads it back like scan evidence. */
export function manualArtifact(
  input: AttachInput,
  target: Target,
  verdict: 'pass' | 'fail',
  collected_at: string,
  attestedBy: string,
): Record<string, unknown> {
  return {
    kind: 'manual_evidence',
    target,
    verdict,
    collected_at,
    attested_by: attestedBy,
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
}

/** Manual evidence as the engine scores it, each entry with the id of the row it came from. */
export type ScoredEvidence = ManualEvidence & { evidence_id: string };

/**
 * The UCF controls each row vouches for: its control, or, for a requirement, every control mapped to that
 * requirement that people assess (controls tested by rules keep their automated verdict).
 */
export function toEngineEvidence(
  records: readonly ManualEvidenceRecord[],
  frameworks: Frameworks,
): ScoredEvidence[] {
  const tested = testedControls(frameworks);
  const mapped = new Map<string, Map<string, string[]>>();
  const out: ScoredEvidence[] = [];
  for (const r of records) {
    const collected_at = new Date(r.collected_at).toISOString();
    let controls: string[];
    if (r.control_id) controls = [r.control_id];
    else {
      const key = `${r.framework_id}@${r.framework_version}`;
      if (!mapped.has(key))
        mapped.set(key, controlsByRequirement(frameworks, r.framework_id!, r.framework_version!));
      controls = (mapped.get(key)!.get(r.requirement_id!) ?? []).filter((c) => !tested.has(c));
    }
    for (const control_id of controls)
      out.push({ control_id, verdict: r.verdict, collected_at, evidence_id: r.id });
  }
  return out;
}
