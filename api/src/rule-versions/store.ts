/**
 * The `rule_versions` table: every rule version ever deployed, with its source files and the period it was
 * in force. Global (not per tenant). Every function runs in the caller's transaction.
 */
import type { Knex } from 'knex';
import type { RuleVersionRecord } from '../../../engine/index.ts';

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
 * Records the deployed versions: adds the new ones, closes the open ones no longer deployed and reopens
 * those deployed again. Serialised by an advisory lock so an API and a worker starting together agree.
 */
export async function registerDeployed(
  trx: Knex.Transaction,
  deployed: readonly RuleVersionRecord[],
  now: Date,
): Promise<{ added: number; closed: number }> {
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
    ((await trx('rule_versions').select('rule_id', 'hash')) as { rule_id: string; hash: string }[]).map(key),
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
    await trx('rule_versions').where({ rule_id: r.rule_id, hash: r.hash }).update({ last_in_force_at: null });
  }
  return { added: fresh.length, closed: superseded.length };
}

/** Every registered version of a rule, newest first (empty when it was never deployed). */
export async function ruleHistory(trx: Knex.Transaction, ruleId: string): Promise<RuleVersionSummary[]> {
  const rows = (await trx('rule_versions')
    .select(SUMMARY_COLUMNS)
    .where({ rule_id: ruleId })
    .orderBy([
      { column: 'first_in_force_at', order: 'desc' },
      { column: 'hash', order: 'asc' },
    ])) as Row[];
  return rows.map(toView);
}

/** One version with its source, or undefined. */
export async function ruleVersion(
  trx: Knex.Transaction,
  ruleId: string,
  hash: string,
): Promise<RuleVersionDetail | undefined> {
  const row = (await trx('rule_versions')
    .select([...SUMMARY_COLUMNS, 'files'])
    .where({ rule_id: ruleId, hash })
    .first()) as Row | undefined;
  return row && toView(row);
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
