/**
 * Shape checks for an integration's config and credentials, for the API to run when an integration
 * is created or updated: a credential of the wrong shape is refused then, with the field named,
 * instead of failing the first scan. Problems never quote a credential's value.
 */
import { checkUrlSetting, EgressDeniedError, type EgressPolicy } from './egress.ts';
import { isFields, unknownKeys, type IntegrationProblem } from './fields.ts';
import { SCANNABLE_PROVIDERS, scannerFor } from './registry.ts';

export type { IntegrationProblem };

/**
 * Validates an integration of any provider; an empty list means it may be stored. With an egress policy,
 * each URL setting must also be one the policy lets the scanner call (the API always passes its own).
 */
export function validateIntegration(
  provider: unknown,
  config: unknown,
  credentials: unknown,
  egress?: EgressPolicy,
): IntegrationProblem[] {
  const problems: IntegrationProblem[] = [];
  const add = (field: string, message: string): void => void problems.push({ field, message });
  if (!isFields(config)) add('config', 'must be an object');
  if (!isFields(credentials)) add('credentials', 'must be an object');
  if (problems.length > 0) return problems;
  const scanner = scannerFor(provider);
  if (!scanner) {
    add('provider', `must be one of ${SCANNABLE_PROVIDERS.join(', ')}`);
    return problems;
  }
  const c = config as Record<string, unknown>;
  const k = credentials as Record<string, unknown>;
  unknownKeys(c, scanner.keys.config, 'config', add);
  unknownKeys(k, scanner.keys.credentials, 'credentials', add);
  scanner.validate(c, k, add);
  if (egress) {
    for (const setting of scanner.urlSettings) {
      if (c[setting.key] === undefined || problems.some((p) => p.field === `config.${setting.key}`)) continue;
      try {
        checkUrlSetting(egress, setting, c[setting.key]);
      } catch (error) {
        if (!(error instanceof EgressDeniedError)) throw error;
        add(`config.${setting.key}`, error.reason);
      }
    }
  }
  return problems;
}
