/**
 * A tenant's scoring policy (schemas/scoring-policy.schema.json), stored append-only in scoring_policies: a
 * change is a new row and the newest row is in force. Validation names the offending field the way the client
 * wrote it (`frameworks.soc2.requirements.pass_threshold`), and checks what the schema cannot: that framework
 * keys and weighted requirement ids exist.
 */
import type { Frameworks } from '../../../engine/index.ts';
import { validatorFor, type ScoringPolicy } from '../../../schemas/index.ts';
import { canonicalJson, sha256Hex } from '../canonical.ts';
import type { FieldProblem } from '../errors.ts';

export interface StoredPolicy {
  policy: ScoringPolicy;
  /** sha256 of the canonical JSON of `policy`; null while the tenant has none (every default applies). */
  sha256: string | null;
  updated_at: Date | null;
  updated_by: string | null;
}

/** sha256 of a policy's canonical JSON: what score snapshots and ledger events record. */
export function policySha256(policy: unknown): string {
  return sha256Hex(Buffer.from(canonicalJson(policy), 'utf8'));
}

const dotted = (instancePath: string) => instancePath.replace(/^\//, '').split('/').join('.');

/** Roll-up rules checked by hand: the schema's oneOf would report both branches for one mistake. */
function rollupProblems(field: string, value: unknown): FieldProblem[] {
  if (value === undefined) return [];
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return [{ field, message: 'must be an object with mode all_pass or threshold' }];
  const rule = value as Record<string, unknown>;
  if (rule.mode === 'all_pass') {
    const extra = Object.keys(rule).filter((k) => k !== 'mode');
    return extra.map((k) => ({ field: `${field}.${k}`, message: 'is not allowed with mode all_pass' }));
  }
  if (rule.mode === 'threshold') {
    const t = rule.pass_threshold;
    const problems: FieldProblem[] = [];
    if (typeof t !== 'number' || !(t > 0 && t <= 1))
      problems.push({ field: `${field}.pass_threshold`, message: 'must be a number above 0 and at most 1' });
    for (const k of Object.keys(rule).filter((k) => k !== 'mode' && k !== 'pass_threshold'))
      problems.push({ field: `${field}.${k}`, message: 'is not allowed' });
    return problems;
  }
  return [{ field: `${field}.mode`, message: 'must be all_pass or threshold' }];
}

/** Every problem of `body` as a scoring policy for these frameworks (empty when it is valid). */
export function policyProblems(body: unknown, frameworks: Frameworks): FieldProblem[] {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return [{ field: '/', message: 'must be a scoring policy object' }];
  const policy = body as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const entries: [string, unknown][] = [];
  problems.push(...rollupProblems('controls', policy.controls));
  if (policy.default !== undefined) entries.push(['default', policy.default]);
  const perFramework = policy.frameworks;
  if (perFramework && typeof perFramework === 'object' && !Array.isArray(perFramework)) {
    for (const [key, value] of Object.entries(perFramework)) entries.push([`frameworks.${key}`, value]);
  }
  for (const [field, value] of entries) {
    if (value && typeof value === 'object') {
      problems.push(
        ...rollupProblems(`${field}.requirements`, (value as Record<string, unknown>).requirements),
      );
    }
  }
  // The schema for the rest (types, ranges, unknown keys), skipping what the hand checks above reported.
  const validate = validatorFor('scoring-policy')!;
  if (!validate(body)) {
    for (const e of validate.errors ?? []) {
      const path = dotted(e.instancePath);
      if (/(^|\.)(controls|requirements)(\.|$)/.test(path) || e.keyword === 'oneOf') continue;
      const extra =
        e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }) : null;
      const field = extra ? [path, extra.additionalProperty].filter(Boolean).join('.') : path || '/';
      const message =
        e.keyword === 'propertyNames'
          ? 'framework keys are <id> or <id>@<version>'
          : extra
            ? 'is not a scoring policy field'
            : (e.message ?? 'is invalid');
      if (!problems.some((p) => p.field === field)) problems.push({ field, message });
    }
  }
  if (problems.length > 0) return problems;

  // Keys and weights must name what exists: a typo would otherwise silently change nothing.
  const typed = body as ScoringPolicy;
  for (const [key, fwPolicy] of Object.entries(typed.frameworks ?? {})) {
    const [id, version] = key.split('@') as [string, string | undefined];
    const matches = frameworks.frameworks.filter(
      (f) => f.id === id && (version === undefined || f.version === version),
    );
    if (matches.length === 0) {
      problems.push({ field: `frameworks.${key}`, message: `no framework ${key}` });
      continue;
    }
    for (const requirement of Object.keys(fwPolicy.weights ?? {})) {
      if (!matches.some((f) => f.requirements.some((r) => r.id === requirement)))
        problems.push({
          field: `frameworks.${key}.weights.${requirement}`,
          message: `${key} has no requirement ${requirement}`,
        });
    }
  }
  return problems;
}
