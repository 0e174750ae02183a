/**
 * Rule packs for a tenant (docs/rules.md, "Rule packs"): the packs of the deployed bundle with whether the
 * tenant enabled each, enabling and disabling them (each change a ledger entry), and an enabled pack's view of
 * the posture: framework scores over the findings of its rules. Enabling a pack never changes what runs or
 * what the tenant's scores are.
 */
import type { CatalogPack } from '../../../engine/index.ts';
import type { FrameworkScore } from '../../../schemas/index.ts';
import { ApiError } from '../errors.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import type { EngineRuntime } from '../plugins/app/engine.ts';
import type { WithTenant } from '../plugins/app/tenancy.ts';
import { scorePackOverPosture } from '../scoring/compute.ts';
import { disablePack, enabledPacks, enablePack, type EnabledPack } from './store.ts';

/** A pack as the API lists it: the bundle's definition, its rule count and the tenant's standing. */
export interface PackView {
  id: string;
  version: string;
  title: string;
  description: string;
  reference_source: string | null;
  hash: string;
  rule_count: number;
  rules: { id: string; title: string; severity: string; references: string[] }[];
  enabled: boolean;
  enabled_at: string | null;
  enabled_by: string | null;
}

/** An enabled pack's scores: the pack version read, the scans it read, and one score per framework. */
export interface PackScoresView {
  pack_id: string;
  pack_version: string;
  rule_ids: string[];
  scored_at: string;
  sources: { integration_id: string; scan_id: string; finished_at: string }[];
  items: FrameworkScore[];
}

export class RulePackService {
  readonly #withTenant: WithTenant;
  readonly #ledger: LedgerService;
  readonly #engine: EngineRuntime;

  constructor(withTenant: WithTenant, ledger: LedgerService, engine: EngineRuntime) {
    this.#withTenant = withTenant;
    this.#ledger = ledger;
    this.#engine = engine;
  }

  /** The packs of the deployed bundle. */
  async #packs(): Promise<{ packs: readonly CatalogPack[]; titles: Map<string, [string, string]> }> {
    const { catalog } = await this.#engine.policyEngine();
    return {
      packs: catalog.packs,
      titles: new Map(catalog.rules.map((r) => [r.id, [r.title, r.severity]])),
    };
  }

  async #pack(packId: string): Promise<{ pack: CatalogPack; titles: Map<string, [string, string]> }> {
    const { packs, titles } = await this.#packs();
    const pack = packs.find((p) => p.id === packId);
    if (!pack) throw new ApiError('PACK_NOT_FOUND', `the deployed rules have no pack ${packId}`);
    return { pack, titles };
  }

  #view(
    pack: CatalogPack,
    titles: Map<string, [string, string]>,
    enabled: EnabledPack | undefined,
  ): PackView {
    return {
      id: pack.id,
      version: pack.version,
      title: pack.title,
      description: pack.description,
      reference_source: pack.reference_source,
      hash: pack.hash,
      rule_count: pack.rules.length,
      rules: pack.rules.map((r) => ({
        id: r.id,
        title: titles.get(r.id)?.[0] ?? r.id,
        severity: titles.get(r.id)?.[1] ?? 'info',
        references: r.references,
      })),
      enabled: enabled !== undefined,
      enabled_at: enabled?.enabled_at ?? null,
      enabled_by: enabled?.enabled_by ?? null,
    };
  }

  /** Every pack of the deployed bundle with the tenant's standing. */
  async list(tenantId: string): Promise<{ items: PackView[] }> {
    const { packs, titles } = await this.#packs();
    const enabled = await this.#withTenant(tenantId, (trx) => enabledPacks(trx));
    const byId = new Map(enabled.map((e) => [e.pack_id, e]));
    return { items: packs.map((p) => this.#view(p, titles, byId.get(p.id))) };
  }

  /** Enables a pack of the deployed bundle (404 otherwise); enabling an enabled pack changes nothing. */
  async enable(tenantId: string, actor: string, packId: string): Promise<PackView> {
    const { pack, titles } = await this.#pack(packId);
    return this.#withTenant(tenantId, async (trx) => {
      if (await enablePack(trx, tenantId, packId, actor)) {
        await this.#ledger.append(trx, tenantId, [
          { kind: 'rule_pack.enabled', actor, payload: { pack_id: pack.id, pack_version: pack.version } },
        ]);
      }
      const row = (await enabledPacks(trx)).find((e) => e.pack_id === packId);
      return this.#view(pack, titles, row);
    });
  }

  /** Disables a pack; disabling one that is not enabled changes nothing (404 for a pack the bundle lacks). */
  async disable(tenantId: string, actor: string, packId: string): Promise<PackView> {
    const { pack, titles } = await this.#pack(packId);
    return this.#withTenant(tenantId, async (trx) => {
      if (await disablePack(trx, packId)) {
        await this.#ledger.append(trx, tenantId, [
          { kind: 'rule_pack.disabled', actor, payload: { pack_id: pack.id, pack_version: pack.version } },
        ]);
      }
      return this.#view(pack, titles, undefined);
    });
  }

  /**
   * An enabled pack's framework scores over the posture (scorePackOverPosture): 404 for an unknown pack, 409
   * PACK_NOT_ENABLED for one the tenant has not enabled. No scan yet gives no sources and no findings.
   */
  async scores(tenantId: string, packId: string): Promise<PackScoresView> {
    const { pack } = await this.#pack(packId);
    const frameworks = await this.#engine.frameworks();
    const ruleIds = pack.rules.map((r) => r.id);
    return this.#withTenant(tenantId, async (trx) => {
      if (!(await enabledPacks(trx)).some((e) => e.pack_id === packId))
        throw new ApiError('PACK_NOT_ENABLED', `pack ${packId} is not enabled for this tenant`);
      const { sources, scored } = await scorePackOverPosture(trx, frameworks, ruleIds, new Date());
      return {
        pack_id: pack.id,
        pack_version: pack.version,
        rule_ids: ruleIds,
        scored_at: scored.scoredAt.toISOString(),
        sources,
        items: scored.scores,
      };
    });
  }
}
