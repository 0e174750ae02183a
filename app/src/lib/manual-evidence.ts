/**
 * Manual evidence and attestations in the app (unit-tested in manual-evidence.test.ts): the request body the
 * form sends to `POST /api/evidence/manual`, and how long an item counts. An item counts in the score from its
 * collection time for the scoring policy's evidence freshness window (per framework, else the default, else
 * the engine's 365 days); after that it is shown as expired and the posture no longer counts it.
 */

/** The engine's window when the policy names none (engine/score.ts DEFAULT_EVIDENCE_FRESHNESS_DAYS). */
export const DEFAULT_FRESHNESS_DAYS = 365;
const DAY_MS = 86_400_000;

interface FreshnessPolicy {
  default?: { evidence_freshness_days?: number } | null;
  frameworks?: Record<string, { evidence_freshness_days?: number } | null> | null;
}

/** The freshness window of a framework under the tenant's policy, in days. */
export function freshnessDays(policy: FreshnessPolicy | null | undefined, frameworkId: string): number {
  return (
    policy?.frameworks?.[frameworkId]?.evidence_freshness_days ??
    policy?.default?.evidence_freshness_days ??
    DEFAULT_FRESHNESS_DAYS
  );
}

/** Until when an item collected at `collectedAt` counts, and whether that time has passed at `now`. */
export function validity(collectedAt: string, days: number, now: Date): { until: string; expired: boolean } {
  const until = Date.parse(collectedAt) + days * DAY_MS;
  if (Number.isNaN(until)) return { until: collectedAt, expired: false };
  return { until: new Date(until).toISOString(), expired: now.getTime() > until };
}

/** What the form collects. `collectedOn` is a date (YYYY-MM-DD, UTC) or empty for now. */
export interface EvidenceForm {
  kind: 'file' | 'attestation';
  statement: string;
  owner: string;
  verdict: 'pass' | 'fail';
  description: string;
  collectedOn: string;
  file: { filename: string; content_type: string; content_base64: string } | null;
}

/** Where the evidence is attached: a framework requirement or a UCF control people assess. */
export type EvidenceTarget =
  { framework_id: string; framework_version: string; requirement_id: string } | { control_id: string };

/**
 * The request body, or the problems that keep the form from sending it. An attestation is a note naming its
 * owner and statement; the owner also leads the description so the drill-down shows who answers for it.
 */
export function attachBody(
  target: EvidenceTarget,
  form: EvidenceForm,
): { body: Record<string, unknown> } | { problems: string[] } {
  const problems: string[] = [];
  const owner = form.owner.trim();
  if (!owner) problems.push('Name the owner who answers for this evidence.');
  if (form.kind === 'attestation' && !form.statement.trim()) problems.push('Write the attestation.');
  if (form.kind === 'file' && !form.file) problems.push('Choose a file.');
  if (form.collectedOn && !/^\d{4}-\d{2}-\d{2}$/.test(form.collectedOn))
    problems.push('The collection date is not a date.');
  if (problems.length > 0) return { problems };
  const description = [`Owner: ${owner}`, form.description.trim()].filter(Boolean).join('. ');
  const body: Record<string, unknown> = { ...target, verdict: form.verdict, description };
  if (form.collectedOn) body.collected_at = `${form.collectedOn}T00:00:00.000Z`;
  if (form.kind === 'file') body.file = form.file;
  else body.note = { attestation: form.statement.trim(), owner };
  return { body };
}
