/**
 * The tenant's rule overrides (parameters, enable/disable, severity, resource exceptions): list them with
 * their standing against the deployed bundle, create and retire them. Each call opens the tenant's
 * transaction; each change enters the ledger in it. Rows are never edited: a change is a new override, a
 * withdrawal a retirement.
 */
import { ApiError } from '../errors.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import type { EngineRuntime } from '../plugins/app/engine.ts';
import type { WithTenant } from '../plugins/app/tenancy.ts';
import {
  checkOverrides,
  insertOverride,
  listOverridePage,
  overrideInputProblems,
  retireOverride,
  type OverrideInput,
  type OverrideListOptions,
  type OverrideRecord,
} from './store.ts';
import type { OverrideProblem } from '../../../engine/index.ts';

/** An override as listed: whether it is in force now, and whether it still validates against the bundle. */
export type OverrideStanding = OverrideRecord & {
  active: boolean;
  valid: boolean;
  problems: OverrideProblem[];
};

/** The ledger payload of an override: what it sets, not who (the entry's actor says that). */
function ledgerPayload(record: OverrideRecord): Record<string, unknown> {
  const { created_by: _by, retired_by: _retiredBy, ...rest } = record;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null));
}

export class OverrideService {
  readonly #withTenant: WithTenant;
  readonly #ledger: LedgerService;
  readonly #engine: EngineRuntime;

  constructor(withTenant: WithTenant, ledger: LedgerService, engine: EngineRuntime) {
    this.#withTenant = withTenant;
    this.#ledger = ledger;
    this.#engine = engine;
  }

  /** One page of the tenant's overrides, each re-checked against the deployed bundle. */
  async list(
    tenantId: string,
    options: OverrideListOptions,
  ): Promise<{ items: OverrideStanding[]; next_cursor: string | null }> {
    const now = new Date();
    const page = await this.#withTenant(tenantId, (trx) => listOverridePage(trx, options, now));
    // Re-checked against the deployed bundle on every read: write-time validation may be out of date.
    const rules = (await this.#engine.policyEngine()).catalog.rules;
    const { invalid } = checkOverrides(rules, page.items);
    const problemsOf = new Map(invalid.map((x) => [x.record.id, x.problems]));
    return {
      items: page.items.map((record) => ({
        ...record,
        active:
          record.retired_at === null &&
          (record.expires_at === null || Date.parse(record.expires_at) > now.getTime()),
        valid: !problemsOf.has(record.id),
        problems: problemsOf.get(record.id) ?? [],
      })),
      next_cursor: page.next_cursor,
    };
  }

  /** Creates an override after checking it against its rule in the deployed bundle (400 naming the field). */
  async create(tenantId: string, actor: string, input: OverrideInput): Promise<OverrideRecord> {
    const rules = (await this.#engine.policyEngine()).catalog.rules;
    const problems = overrideInputProblems(rules, input);
    if (problems.length > 0) {
      throw new ApiError(
        'VALIDATION_ERROR',
        `invalid override: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
        { problems },
      );
    }
    return this.#withTenant(tenantId, async (trx) => {
      const record = await insertOverride(trx, tenantId, actor, input);
      await this.#ledger.append(trx, tenantId, [
        { kind: 'override.created', actor, payload: ledgerPayload(record) },
      ]);
      return record;
    });
  }

  /** Retires a live override (404 when unknown in this tenant or already retired). */
  retire(tenantId: string, actor: string, id: string): Promise<OverrideRecord> {
    return this.#withTenant(tenantId, async (trx) => {
      const record = await retireOverride(trx, id, actor);
      await this.#ledger.append(trx, tenantId, [
        {
          kind: 'override.retired',
          actor,
          payload: { override_id: record.id, kind: record.kind, rule_id: record.rule_id },
        },
      ]);
      return record;
    });
  }
}
