/**
 * The rule-version registry: every rule version ever deployed, filled at startup from the bundle's
 * sources.json (engine `deployedRuleVersions`). Registering is idempotent: a restart on the same bundle
 * changes nothing; a new bundle adds its new versions and closes (`last_in_force_at`) the versions it no
 * longer carries. Reads answer an auditor's questions: a rule's history, one version's source, and which
 * versions were in force during a period.
 */
import type { Knex } from 'knex';
import type { RuleVersionRecord } from '../../../engine/index.ts';
import { ApiError } from '../errors.ts';
import { formatLineDiff, lineDiff } from './line-diff.ts';
import { runAsOwner } from '../plugins/app/tenancy.ts';

/** One registered version, without its source. */
export interface RuleVersionSummary {
  rule_id: string;
  version: string;
  hash: string;
  bundle_revision: string;
  git_commit: string | null;
  first_in_force_at: string;
  /** null while the version is in force. */
  last_in_force_at: string | null;
}

/** One registered version with its full source files (rule.yaml, and policy.rego for a Rego rule). */
export interface RuleVersionDetail extends RuleVersionSummary {
  files: { name: string; text: string }[];
}

const SUMMARY_COLUMNS = [
  'rule_id',
  'version',
  'hash',
  'bundle_revision',
  'git_commit',
  'first_in_force_at',
  'last_in_force_at',
] as const;

type Row = Omit<RuleVersionDetail, 'first_in_force_at' | 'last_in_force_at'> & {
  first_in_force_at: Date | string;
  last_in_force_at: Date | string | null;
};

function toView<T extends Row>(row: T): T & { first_in_force_at: string; last_in_force_at: string | null } {
  return {
    ...row,
    first_in_force_at: new Date(row.first_in_force_at).toISOString(),
    last_in_force_at: row.last_in_force_at === null ? null : new Date(row.last_in_force_at).toISOString(),
  };
}

/**
 * Records the deployed versions (as the owner role: a deployment step, like migrations). Serialised by an
 * advisory lock so an API and a worker starting together agree. Returns what changed.
 */
export async function registerRuleVersions(
  knex: Knex,
  deployed: readonly RuleVersionRecord[],
  now: Date = new Date(),
): Promise<{ added: number; closed: number }> {
  return runAsOwner(knex, {}, async (trx) => {
    await trx.raw(`select pg_advisory_xact_lock(hashtextextended('rule_versions', 7))`);
    const open = (await trx('rule_versions').select('rule_id', 'hash').whereNull('last_in_force_at')) as {
      rule_id: string;
      hash: string;
    }[];
    const key = (r: { rule_id: string; hash: string }) => `${r.rule_id}\0${r.hash}`;
    const deployedKeys = new Set(deployed.map(key));
    const superseded = open.filter((r) => !deployedKeys.has(key(r)));
    for (const r of superseded) {
      await trx('rule_versions').where(r).update({ last_in_force_at: now });
    }
    const known = new Set(
      ((await trx('rule_versions').select('rule_id', 'hash')) as { rule_id: string; hash: string }[]).map(
        key,
      ),
    );
    const fresh = deployed.filter((r) => !known.has(key(r)));
    for (const r of fresh) {
      await trx('rule_versions').insert({
        rule_id: r.rule_id,
        hash: r.hash,
        version: r.version,
        files: JSON.stringify(r.files),
        bundle_revision: r.bundle_revision,
        git_commit: r.git_commit,
        first_in_force_at: now,
      });
    }
    // A version deployed again after it was superseded is in force again (its first time stays).
    const reopened = deployed.filter((r) => known.has(key(r)) && !open.some((o) => key(o) === key(r)));
    for (const r of reopened) {
      await trx('rule_versions')
        .where({ rule_id: r.rule_id, hash: r.hash })
        .update({ last_in_force_at: null });
    }
    return { added: fresh.length, closed: superseded.length };
  });
}

/** Every registered version of a rule, newest first; 404 RULE_NOT_FOUND when none. */
export async function ruleHistory(trx: Knex.Transaction, ruleId: string): Promise<RuleVersionSummary[]> {
  const rows = (await trx('rule_versions')
    .select(SUMMARY_COLUMNS)
    .where({ rule_id: ruleId })
    .orderBy([
      { column: 'first_in_force_at', order: 'desc' },
      { column: 'hash', order: 'asc' },
    ])) as Row[];
  if (rows.length === 0) throw new ApiError('RULE_NOT_FOUND', `no rule ${ruleId} was ever deployed`);
  return rows.map(toView);
}

/** One version with its source; 404 RULE_VERSION_NOT_FOUND when unknown. */
export async function ruleVersion(
  trx: Knex.Transaction,
  ruleId: string,
  hash: string,
): Promise<RuleVersionDetail> {
  const row = (await trx('rule_versions')
    .select([...SUMMARY_COLUMNS, 'files'])
    .where({ rule_id: ruleId, hash })
    .first()) as Row | undefined;
  if (!row) throw new ApiError('RULE_VERSION_NOT_FOUND', `no version ${hash} of rule ${ruleId}`);
  return toView(row);
}

/** The versions in force at any moment of [from, to], by rule id then first time in force. */
export async function versionsInForce(
  trx: Knex.Transaction,
  from: Date,
  to: Date,
): Promise<RuleVersionSummary[]> {
  const rows = (await trx('rule_versions')
    .select(SUMMARY_COLUMNS)
    .where('first_in_force_at', '<=', to)
    .andWhere((q) => q.whereNull('last_in_force_at').orWhere('last_in_force_at', '>=', from))
    .orderBy([{ column: 'rule_id' }, { column: 'first_in_force_at' }])) as Row[];
  return rows.map(toView);
}

/** How a rule's sources changed from one registered version to another, file by file. */
export interface RuleVersionDiff {
  rule_id: string;
  from: RuleVersionSummary;
  to: RuleVersionSummary;
  /** Per file name (in either version): the line diff with full context, '' when unchanged. */
  files: { name: string; changed: boolean; diff: string }[];
}

/** Diffs two registered versions of a rule (404 when either is unknown). */
export async function diffRuleVersions(
  trx: Knex.Transaction,
  ruleId: string,
  fromHash: string,
  toHash: string,
): Promise<RuleVersionDiff> {
  const { files: fromFiles, ...from } = await ruleVersion(trx, ruleId, fromHash);
  const { files: toFiles, ...to } = await ruleVersion(trx, ruleId, toHash);
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
}
