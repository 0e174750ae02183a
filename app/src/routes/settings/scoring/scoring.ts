/**
 * The scoring page's pure rules (unit-tested in scoring.test.ts): a framework's policy as the form shows it,
 * and the whole policy the form sends back (schemas/scoring-policy.schema.json; docs/scoring.md).
 */

/** Dependency key of the policy: invalidated after any change. */
export const SCORING_DEPENDENCY = 'app:scoring';

export interface Rollup {
  mode: 'all_pass' | 'threshold';
  pass_threshold?: number;
}

export interface FrameworkPolicy {
  requirements?: Rollup;
  weights?: Record<string, number>;
  evidence_freshness_days?: number;
  needs_evidence_counts_as?: 'excluded' | 'failed';
}

export interface ScoringPolicy {
  controls?: Rollup;
  default?: FrameworkPolicy;
  frameworks?: Record<string, FrameworkPolicy>;
}

/** A framework's settings as the form edits them. */
export interface PolicyForm {
  mode: 'all_pass' | 'threshold';
  /** The threshold in percent (1–100), for `threshold`. */
  percent: number;
  freshnessDays: number;
  needsEvidence: 'excluded' | 'failed';
}

/** The defaults of docs/scoring.md: all-pass roll-up, a 365-day freshness window, needs-evidence left out. */
export const DEFAULT_FORM: PolicyForm = {
  mode: 'all_pass',
  percent: 80,
  freshnessDays: 365,
  needsEvidence: 'excluded',
};

/** The entry that applies to a framework: `<id>@<version>`, else `<id>`, else the default; and its key. */
export function entryFor(
  policy: ScoringPolicy,
  id: string,
  version: string,
): { key: string | null; entry: FrameworkPolicy } {
  const frameworks = policy.frameworks ?? {};
  for (const key of [`${id}@${version}`, id]) {
    const entry = frameworks[key];
    if (entry) return { key, entry };
  }
  return { key: null, entry: policy.default ?? {} };
}

/** A framework policy as the form shows it, with the defaults filled in. */
export function formOf(entry: FrameworkPolicy): PolicyForm {
  return {
    mode: entry.requirements?.mode ?? DEFAULT_FORM.mode,
    percent:
      entry.requirements?.mode === 'threshold' && entry.requirements.pass_threshold !== undefined
        ? Math.round(entry.requirements.pass_threshold * 100)
        : DEFAULT_FORM.percent,
    freshnessDays: entry.evidence_freshness_days ?? DEFAULT_FORM.freshnessDays,
    needsEvidence: entry.needs_evidence_counts_as ?? DEFAULT_FORM.needsEvidence,
  };
}

/**
 * The whole policy with `key`'s framework entry set from the form (its weights kept), everything else
 * unchanged; with `form` null, the framework's own entry is removed (it follows the default again).
 */
export function withFramework(policy: ScoringPolicy, key: string, form: PolicyForm | null): ScoringPolicy {
  const frameworks = { ...(policy.frameworks ?? {}) };
  if (form === null) {
    delete frameworks[key];
  } else {
    const weights = frameworks[key]?.weights;
    frameworks[key] = {
      requirements:
        form.mode === 'threshold'
          ? { mode: 'threshold', pass_threshold: form.percent / 100 }
          : { mode: 'all_pass' },
      evidence_freshness_days: form.freshnessDays,
      needs_evidence_counts_as: form.needsEvidence,
      ...(weights ? { weights } : {}),
    };
  }
  const { frameworks: _old, ...rest } = policy;
  return Object.keys(frameworks).length > 0 ? { ...rest, frameworks } : rest;
}

/** A framework policy in words. */
export function describePolicy(form: PolicyForm): string {
  const rollup =
    form.mode === 'threshold'
      ? `a requirement passes when at least ${form.percent}% of its controls pass`
      : 'a requirement passes when all of its controls pass';
  const evidence = `manual evidence counts for ${form.freshnessDays} days`;
  const waiting =
    form.needsEvidence === 'failed'
      ? 'requirements waiting for evidence count as failed'
      : 'requirements waiting for evidence are left out';
  return `${rollup[0]!.toUpperCase()}${rollup.slice(1)}; ${evidence}; ${waiting}.`;
}
