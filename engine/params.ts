/**
 * Tenant parameters: data, not recompilation. Each rule's defaults (from its parameters schema) are merged
 * with the tenant's overrides, validated against the schema, and passed to the bundle as data.params[rule_id].
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { describeErrors } from '../schemas/index.ts';
import type { CatalogRule } from './catalog.ts';
import { EngineError, ERROR_CODES } from './errors.ts';

export type RuleParams = Record<string, Record<string, unknown>>;

/** Compiles each parameterised rule's schema once. */
export function parameterValidators(rules: readonly CatalogRule[]): Map<string, ValidateFunction> {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  const validators = new Map<string, ValidateFunction>();
  for (const rule of rules) {
    if (rule.parameters)
      validators.set(rule.id, ajv.compile({ ...rule.parameters, additionalProperties: false }));
  }
  return validators;
}

/** The schema defaults of a rule's parameters. */
export function parameterDefaults(rule: CatalogRule): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(rule.parameters?.properties ?? {}))
    defaults[name] = schema.default;
  return defaults;
}

/**
 * data.params for the bundle: for every parameterised rule, its defaults overridden by `overrides[rule id]`.
 * Overrides for rules the bundle does not have are ignored (a rule may have been retired since they were
 * saved). Throws PARAMS_INVALID when a merged set does not match the rule's schema.
 */
export function resolveParams(
  rules: readonly CatalogRule[],
  validators: Map<string, ValidateFunction>,
  overrides: RuleParams = {},
): RuleParams {
  const params: RuleParams = {};
  for (const rule of rules) {
    const validate = validators.get(rule.id);
    if (!validate) continue;
    const merged = { ...parameterDefaults(rule), ...(overrides[rule.id] ?? {}) };
    if (!validate(merged)) {
      throw new EngineError(ERROR_CODES.PARAMS_INVALID, `parameters of ${rule.id} are invalid`, {
        rule_id: rule.id,
        issues: describeErrors(validate.errors),
      });
    }
    params[rule.id] = merged;
  }
  return params;
}
