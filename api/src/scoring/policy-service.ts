/**
 * The tenant's scoring policy (docs/scoring.md): read it, or replace it with a new stored version. A change
 * is checked against the schema and the tenant's own frameworks first, so every problem names its field in
 * the client's terms; a document equal to the current one stores a version but no ledger event.
 */
import type { ScoringPolicy } from '../../../schemas/index.ts';
import { ApiError } from '../errors.ts';
import { tenantFrameworks } from '../frameworks/catalogs.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import type { EngineRuntime } from '../plugins/app/engine.ts';
import type { WithTenant } from '../plugins/app/tenancy.ts';
import { policyProblems, type StoredPolicy } from './policy.ts';
import { currentPolicy, insertPolicy } from './store.ts';

export class ScoringPolicyService {
  readonly #withTenant: WithTenant;
  readonly #engine: Pick<EngineRuntime, 'frameworks'>;
  readonly #ledger: LedgerService;

  constructor(withTenant: WithTenant, engine: Pick<EngineRuntime, 'frameworks'>, ledger: LedgerService) {
    this.#withTenant = withTenant;
    this.#engine = engine;
    this.#ledger = ledger;
  }

  /** The policy in force (the default one before any change). */
  current(tenantId: string): Promise<StoredPolicy> {
    return this.#withTenant(tenantId, (trx) => currentPolicy(trx));
  }

  /**
   * Stores `policy` as the tenant's policy from the next scan on; 400 VALIDATION_ERROR listing every problem.
   * The ledger records the change (old and new sha256, the document) in the same transaction.
   */
  async replace(tenantId: string, userId: string, policy: ScoringPolicy): Promise<StoredPolicy> {
    const base = await this.#engine.frameworks();
    return this.#withTenant(tenantId, async (trx) => {
      const problems = policyProblems(policy, await tenantFrameworks(trx, base));
      if (problems.length > 0) {
        throw new ApiError(
          'VALIDATION_ERROR',
          `scoring policy is invalid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
          { problems },
        );
      }
      const previous = await currentPolicy(trx);
      const stored = await insertPolicy(trx, tenantId, policy, userId);
      if (stored.sha256 !== previous.sha256) {
        await this.#ledger.append(trx, tenantId, [
          {
            kind: 'scoring_policy.changed',
            actor: userId,
            payload: { sha256: stored.sha256, previous_sha256: previous.sha256, policy },
          },
        ]);
      }
      return stored;
    });
  }
}
