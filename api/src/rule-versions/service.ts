/**
 * The rule-version registry: every rule version ever deployed, filled at startup from the bundle's
 * sources.json (engine `deployedRuleVersions`). Registering is idempotent: a restart on the same bundle
 * changes nothing; a new bundle adds its new versions and closes (`last_in_force_at`) the versions it no
 * longer carries. Reads answer an auditor's questions: a rule's history, one version's source, which
 * versions were in force during a period, and how two versions differ.
 */
import type { Knex } from 'knex';
import type { RuleVersionRecord } from '../../../engine/index.ts';
import { ApiError } from '../errors.ts';
import { runAsOwner, type WithTenant } from '../plugins/app/tenancy.ts';
import { formatLineDiff, lineDiff } from './line-diff.ts';
import {
  registerDeployed,
  ruleHistory,
  ruleVersion,
  versionsInForce,
  type RuleVersionDetail,
  type RuleVersionSummary,
} from './store.ts';

export type { RuleVersionDetail, RuleVersionSummary } from './store.ts';

/**
 * Records the deployed versions (as the owner role: a deployment step, like migrations). Returns what
 * changed.
 */
export function registerRuleVersions(
  knex: Knex,
  deployed: readonly RuleVersionRecord[],
  now: Date = new Date(),
): Promise<{ added: number; closed: number }> {
  return runAsOwner(knex, {}, (trx) => registerDeployed(trx, deployed, now));
}

/** How a rule's sources changed from one registered version to another, file by file. */
export interface RuleVersionDiff {
  rule_id: string;
  from: RuleVersionSummary;
  to: RuleVersionSummary;
  /** Per file name (in either version): the line diff with full context, '' when unchanged. */
  files: { name: string; changed: boolean; diff: string }[];
}

/** Reads of the registry, each in the asking tenant's transaction (the table itself is global). */
export class RuleVersionService {
  readonly #withTenant: WithTenant;

  constructor(withTenant: WithTenant) {
    this.#withTenant = withTenant;
  }

  /** Every registered version of a rule, newest first; 404 RULE_NOT_FOUND when none. */
  history(tenantId: string, ruleId: string): Promise<RuleVersionSummary[]> {
    return this.#withTenant(tenantId, async (trx) => {
      const versions = await ruleHistory(trx, ruleId);
      if (versions.length === 0) throw new ApiError('RULE_NOT_FOUND', `no rule ${ruleId} was ever deployed`);
      return versions;
    });
  }

  /** One version with its source; 404 RULE_VERSION_NOT_FOUND when unknown. */
  version(tenantId: string, ruleId: string, hash: string): Promise<RuleVersionDetail> {
    return this.#withTenant(tenantId, (trx) => this.#version(trx, ruleId, hash));
  }

  /** The versions in force at any moment of [from, to], by rule id then first time in force. */
  inForce(tenantId: string, from: Date, to: Date): Promise<RuleVersionSummary[]> {
    return this.#withTenant(tenantId, (trx) => versionsInForce(trx, from, to));
  }

  /** Diffs two registered versions of a rule (404 when either is unknown). */
  diff(tenantId: string, ruleId: string, fromHash: string, toHash: string): Promise<RuleVersionDiff> {
    return this.#withTenant(tenantId, async (trx) => {
      const { files: fromFiles, ...from } = await this.#version(trx, ruleId, fromHash);
      const { files: toFiles, ...to } = await this.#version(trx, ruleId, toHash);
      const names = [...new Set([...fromFiles, ...toFiles].map((f) => f.name))];
      return {
        rule_id: ruleId,
        from,
        to,
        files: names.map((name) => {
          const before = fromFiles.find((f) => f.name === name)?.text ?? '';
          const after = toFiles.find((f) => f.name === name)?.text ?? '';
          return {
            name,
            changed: before !== after,
            diff: before === after ? '' : formatLineDiff(lineDiff(before, after)),
          };
        }),
      };
    });
  }

  async #version(trx: Knex.Transaction, ruleId: string, hash: string): Promise<RuleVersionDetail> {
    const version = await ruleVersion(trx, ruleId, hash);
    if (!version) throw new ApiError('RULE_VERSION_NOT_FOUND', `no version ${hash} of rule ${ruleId}`);
    return version;
  }
}
