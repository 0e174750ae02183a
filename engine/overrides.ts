/**
 * Per-tenant overrides, the engine side: data, never a recompilation. A tenant can set rule parameters
 * (validated against the rule's parameter schema), disable a rule, change its severity, and except resources
 * from a rule (with a reason, an approver and an expiry; an expired exception stops applying by itself).
 *
 * Everything here is a pure function. Storing overrides (append-only, with author and time) and the HTTP API
 * are the caller's: validate with `overrideProblems` / `assertValidOverrides` before saving, then per scan
 * `effectiveOverrides(saved, scanTime)` → `overridesHash` (record it on the scan), `overrideParams` (pass to
 * engine.evaluate) and `applyOverrides` (on the findings).
 */
import { createHash } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import type { Finding, Resource } from '../schemas/index.ts';
import type { CatalogRule } from './catalog.ts';
import { EngineError, ERROR_CODES } from './errors.ts';
import { parameterDefaults, parameterValidators, type RuleParams } from './params.ts';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** A tenant's settings for one rule. Absent fields keep the rule's own. */
export interface RuleOverride {
  rule_id: string;
  /** false: the rule gives no findings for this tenant. */
  enabled?: boolean;
  severity?: Severity;
  /** Parameter values; merged over the rule's defaults. */
  params?: Record<string, unknown>;
}

/**
 * Which resources an exception covers: every given field must match. Values are exact, except that `*`
 * matches any run of characters (`arn:aws:s3:::logs-*`).
 */
export interface ExceptionSelector {
  resource_id?: string;
  resource_type?: string;
  account?: string;
  region?: string;
  name?: string;
}

/** A resource excepted from a rule: its failing findings are set aside, with who accepted it and why. */
export interface ResourceException {
  /** Stable id (given by the store). */
  id: string;
  /** The rule excepted, or `*` for every rule. */
  rule_id: string;
  selector: ExceptionSelector;
  reason: string;
  approver: string;
  /** RFC 3339; the exception applies strictly before this instant. */
  expires_at: string;
}

export interface TenantOverrides {
  rules: RuleOverride[];
  exceptions: ResourceException[];
}

/** One problem with an override, naming the field (`rules[0].params.max_age`) so an API can answer 4xx. */
export interface OverrideProblem {
  field: string;
  message: string;
}

const SELECTOR_KEYS: readonly (keyof ExceptionSelector)[] = [
  'resource_id',
  'resource_type',
  'account',
  'region',
  'name',
];

/** A date that parses and was written as RFC 3339 (date, time and zone). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.trim().length > 0;
}

/** Validates overrides against the bundle's rules. Collects every problem; empty when valid. */
export function overrideProblems(
  rules: readonly CatalogRule[],
  overrides: TenantOverrides,
  validators: Map<string, ValidateFunction> = parameterValidators(rules),
): OverrideProblem[] {
  const problems: OverrideProblem[] = [];
  const byId = new Map(rules.map((r) => [r.id, r]));
  const seen = new Set<string>();
  overrides.rules.forEach((o, i) => {
    const at = `rules[${i}]`;
    const rule = byId.get(o.rule_id);
    if (!rule) {
      problems.push({
        field: `${at}.rule_id`,
        message: `no rule ${JSON.stringify(o.rule_id)} in the bundle`,
      });
      return;
    }
    if (seen.has(o.rule_id)) {
      problems.push({ field: `${at}.rule_id`, message: `${o.rule_id} has more than one override` });
    }
    seen.add(o.rule_id);
    if (o.enabled !== undefined && typeof o.enabled !== 'boolean') {
      problems.push({ field: `${at}.enabled`, message: 'must be true or false' });
    }
    if (o.severity !== undefined && !(SEVERITIES as readonly string[]).includes(o.severity)) {
      problems.push({ field: `${at}.severity`, message: `must be one of ${SEVERITIES.join(', ')}` });
    }
    if (o.params === undefined) return;
    const validate = validators.get(rule.id);
    if (!validate) {
      problems.push({ field: `${at}.params`, message: `${rule.id} has no parameters` });
      return;
    }
    if (typeof o.params !== 'object' || o.params === null || Array.isArray(o.params)) {
      problems.push({ field: `${at}.params`, message: 'must be an object of parameter values' });
      return;
    }
    if (!validate({ ...parameterDefaults(rule), ...o.params })) {
      for (const e of validate.errors ?? []) {
        const name =
          e.keyword === 'additionalProperties'
            ? String((e.params as { additionalProperty?: string }).additionalProperty)
            : e.instancePath.slice(1).replace(/\//g, '.');
        problems.push({
          field: name ? `${at}.params.${name}` : `${at}.params`,
          message:
            e.keyword === 'additionalProperties'
              ? `${rule.id} has no parameter ${name}`
              : (e.message ?? 'invalid'),
        });
      }
    }
  });
  overrides.exceptions.forEach((x, i) => {
    const at = `exceptions[${i}]`;
    if (!isNonEmptyString(x.id)) problems.push({ field: `${at}.id`, message: 'must be a non-empty string' });
    if (x.rule_id !== '*' && !byId.has(x.rule_id)) {
      problems.push({
        field: `${at}.rule_id`,
        message: `no rule ${JSON.stringify(x.rule_id)} in the bundle (or * for every rule)`,
      });
    }
    for (const key of ['reason', 'approver'] as const) {
      if (!isNonEmptyString(x[key])) problems.push({ field: `${at}.${key}`, message: 'is required' });
    }
    if (
      typeof x.expires_at !== 'string' ||
      !RFC3339.test(x.expires_at) ||
      Number.isNaN(Date.parse(x.expires_at))
    ) {
      problems.push({
        field: `${at}.expires_at`,
        message: 'must be an RFC 3339 date-time, e.g. 2027-01-31T00:00:00Z',
      });
    }
    const selector = (x.selector ?? {}) as Record<string, unknown>;
    const keys = Object.keys(selector);
    for (const key of keys) {
      if (!(SELECTOR_KEYS as readonly string[]).includes(key)) {
        problems.push({
          field: `${at}.selector.${key}`,
          message: `unknown selector field; use ${SELECTOR_KEYS.join(', ')}`,
        });
      } else if (!isNonEmptyString(selector[key])) {
        problems.push({ field: `${at}.selector.${key}`, message: 'must be a non-empty string' });
      }
    }
    if (keys.length === 0) {
      problems.push({
        field: `${at}.selector`,
        message: 'must name at least one of ' + SELECTOR_KEYS.join(', '),
      });
    }
  });
  return problems;
}

/** Throws PARAMS_INVALID (an EngineError whose details list every `{ field, message }`) unless valid. */
export function assertValidOverrides(rules: readonly CatalogRule[], overrides: TenantOverrides): void {
  const problems = overrideProblems(rules, overrides);
  if (problems.length > 0) {
    throw new EngineError(
      ERROR_CODES.PARAMS_INVALID,
      `invalid overrides: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
      { problems },
    );
  }
}

/**
 * The overrides in force at `now`: exceptions that have not expired, everything sorted so the same set always
 * serialises (and hashes) the same way whatever order it was stored in.
 */
export function effectiveOverrides(overrides: TenantOverrides, now: Date): TenantOverrides {
  const at = now.getTime();
  return {
    rules: [...overrides.rules].sort((a, b) => compare(a.rule_id, b.rule_id)),
    exceptions: overrides.exceptions
      .filter((x) => Date.parse(x.expires_at) > at)
      .sort((a, b) => compare(a.id, b.id)),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with object keys sorted at every level: one text per value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compare(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of the effective override set (from effectiveOverrides), to record on each scan. */
export function overridesHash(effective: TenantOverrides): string {
  return createHash('sha256').update(canonicalJson(effective)).digest('hex');
}

/** The tenant's parameter values by rule, for `engine.evaluate(resources, { params })`. */
export function overrideParams(effective: TenantOverrides): RuleParams {
  const params: RuleParams = {};
  for (const o of effective.rules) if (o.params) params[o.rule_id] = o.params;
  return params;
}

function globMatch(pattern: string, value: string): boolean {
  const source = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${source.join('.*')}$`, 's').test(value);
}

/** Does the exception cover this finding (on this resource, when known)? */
export function exceptionCovers(
  exception: ResourceException,
  finding: Pick<Finding, 'rule_id' | 'resource_id' | 'resource_type'>,
  resource?: Pick<Resource, 'account' | 'region' | 'name'>,
): boolean {
  if (exception.rule_id !== '*' && exception.rule_id !== finding.rule_id) return false;
  const fields: Record<keyof ExceptionSelector, string | undefined> = {
    resource_id: finding.resource_id,
    resource_type: finding.resource_type,
    account: resource?.account,
    region: resource?.region,
    name: resource?.name,
  };
  return SELECTOR_KEYS.every((key) => {
    const pattern = exception.selector[key];
    if (pattern === undefined) return true;
    const value = fields[key];
    return value !== undefined && globMatch(pattern, value);
  });
}

/** A failing finding set aside by an exception. */
export interface ExceptedFinding {
  finding: Finding;
  exception: ResourceException;
}

export interface AppliedOverrides {
  /** Findings of enabled rules, with the tenant's severity, minus the excepted ones. */
  findings: Finding[];
  /** Failing findings an exception covers (the first matching exception by id). */
  excepted: ExceptedFinding[];
  /** How many findings were dropped because their rule is disabled. */
  disabled: number;
}

/**
 * Applies effective overrides (see effectiveOverrides: expired exceptions are already gone) to the engine's
 * findings. Exceptions set aside `fail` findings only: a pass needs none, and an `error` (data that could not
 * be read) stays visible. `resources` lets selectors match account, region and name.
 */
export function applyOverrides(
  findings: readonly Finding[],
  effective: TenantOverrides,
  resources: readonly Resource[] = [],
): AppliedOverrides {
  const byRule = new Map(effective.rules.map((o) => [o.rule_id, o]));
  const byResource = new Map(resources.map((r) => [`${r.type}\0${r.id}`, r]));
  const out: AppliedOverrides = { findings: [], excepted: [], disabled: 0 };
  for (const original of findings) {
    const override = byRule.get(original.rule_id);
    if (override?.enabled === false) {
      out.disabled++;
      continue;
    }
    const finding = override?.severity ? { ...original, severity: override.severity } : original;
    const resource = byResource.get(`${finding.resource_type}\0${finding.resource_id}`);
    const exception =
      finding.status === 'fail'
        ? effective.exceptions.find((x) => exceptionCovers(x, finding, resource))
        : undefined;
    if (exception) out.excepted.push({ finding, exception });
    else out.findings.push(finding);
  }
  return out;
}
