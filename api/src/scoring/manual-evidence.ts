/**
 * Manual evidence: what people attach to a UCF control they assess, or to a framework requirement (a policy
 * document, a review record, a JSON note). The bytes go to the evidence store under their sha256 (canonical
 * JSON, like scan evidence, so GET /api/evidence/:sha256 reads them back); the row says which control or
 * requirement, the verdict, who attested it and when it was collected. Rows are never edited: newer evidence
 * supersedes older evidence when scores are computed (engine/score.ts keeps the latest per control).
 */
import {
  type Frameworks,
  controlsByRequirement,
  testedControls,
  type ManualEvidence,
} from '../../../engine/index.ts';
import type { Trx } from '../plugins/app/tenancy.ts';

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

/** Every manual evidence row of the tenant of `trx`, oldest first. */
export async function listManualEvidence(trx: Trx): Promise<ManualEvidenceRecord[]> {
  return (await trx('manual_evidence')
    .select(MANUAL_EVIDENCE_COLUMNS)
    .orderBy([
      { column: 'created_at', order: 'asc' },
      { column: 'id', order: 'asc' },
    ])) as ManualEvidenceRecord[];
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
