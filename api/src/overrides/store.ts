/**
 * The per-tenant override store: append-only rows (one setting each, with author and time), retired by
 * stamping `retired_at` once, never edited. `tenantOverrides` folds the live rows into the engine's
 * `TenantOverrides` (engine/overrides.ts), which the scan worker narrows to the set in force at scan time.
 */
import type { Knex } from 'knex';
import {
  type CatalogRule,
  parameterValidators,
  overrideProblems,
  type ExceptionSelector,
  type OverrideProblem,
  type ResourceException,
  type RuleOverride,
  type Severity,
  type TenantOverrides,
} from '../../../engine/index.ts';
import type { ScanError } from '../../../schemas/index.ts';
import { ApiError } from '../errors.ts';
import { applyPage, decodeCursor, toPage, type SortKey } from '../pagination.ts';

export const OVERRIDE_KINDS = ['params', 'enabled', 'severity', 'exception'] as const;
export type OverrideKind = (typeof OVERRIDE_KINDS)[number];

/** What a client sends to create an override; the fields used depend on `kind`. */
export interface OverrideInput {
  kind: OverrideKind;
  rule_id: string;
  params?: Record<string, unknown>;
  enabled?: boolean;
  severity?: Severity;
  selector?: ExceptionSelector;
  reason?: string;
  approver?: string;
  expires_at?: string;
}

/** One stored override as the API shows it. */
export interface OverrideRecord {
  id: string;
  kind: OverrideKind;
  rule_id: string;
  params: Record<string, unknown> | null;
  enabled: boolean | null;
  severity: Severity | null;
  selector: ExceptionSelector | null;
  reason: string | null;
  approver: string | null;
  expires_at: string | null;
  created_by: string;
  created_at: string;
  retired_at: string | null;
  retired_by: string | null;
}

/** Which body fields each kind needs (the others must be absent). */
const FIELDS: Record<OverrideKind, readonly (keyof OverrideInput)[]> = {
  params: ['params'],
  enabled: ['enabled'],
  severity: ['severity'],
  exception: ['selector', 'reason', 'approver', 'expires_at'],
};
const ALL_FIELDS = [...new Set(Object.values(FIELDS).flat())];

/**
 * Checks an override against the deployed rules with the engine's validator. Problems name the body field
 * (`params.max_age_days`, `expires_at`), so the API answers 400 VALIDATION_ERROR that a client can show.
 */
export function overrideInputProblems(
  rules: readonly CatalogRule[],
  input: OverrideInput,
): OverrideProblem[] {
  const problems: OverrideProblem[] = [];
  for (const field of FIELDS[input.kind]) {
    if (input[field] === undefined)
      problems.push({ field, message: `is required for a ${input.kind} override` });
  }
  for (const field of ALL_FIELDS) {
    if (!FIELDS[input.kind].includes(field) && input[field] !== undefined) {
      problems.push({ field, message: `does not belong to a ${input.kind} override` });
    }
  }
  if (problems.length > 0) return problems;
  const candidate: TenantOverrides =
    input.kind === 'exception'
      ? {
          rules: [],
          exceptions: [
            {
              id: 'new',
              rule_id: input.rule_id,
              selector: input.selector!,
              reason: input.reason!,
              approver: input.approver!,
              expires_at: input.expires_at!,
            },
          ],
        }
      : {
          rules: [{ rule_id: input.rule_id, [input.kind]: input[input.kind] } as RuleOverride],
          exceptions: [],
        };
  // The engine names fields inside its TenantOverrides (`rules[0].params.x`); the client sent `params.x`.
  return overrideProblems(rules, candidate, validatorsOf(rules)).map((p) => ({
    ...p,
    field: p.field.replace(/^(rules|exceptions)\[0\]\./, ''),
  }));
}

/**
 * Compiled parameter schemas per catalog: compiling them is the costly part of a check, and a list or a scan
 * re-checks every stored override against the same deployed rules.
 */
const compiledValidators = new WeakMap<readonly CatalogRule[], ReturnType<typeof parameterValidators>>();
function validatorsOf(rules: readonly CatalogRule[]): ReturnType<typeof parameterValidators> {
  let validators = compiledValidators.get(rules);
  if (!validators) {
    validators = parameterValidators(rules);
    compiledValidators.set(rules, validators);
  }
  return validators;
}

/** The override fields the API returns: selected here, required by the route schema. */
export const OVERRIDE_COLUMNS = [
  'id',
  'kind',
  'rule_id',
  'params',
  'enabled',
  'severity',
  'selector',
  'reason',
  'approver',
  'expires_at',
  'created_by',
  'created_at',
  'retired_at',
  'retired_by',
] as const;

type Row = Omit<OverrideRecord, 'expires_at' | 'created_at' | 'retired_at'> & {
  expires_at: Date | string | null;
  created_at: Date | string;
  retired_at: Date | string | null;
};

const iso = (value: Date | string | null): string | null =>
  value === null ? null : new Date(value).toISOString();

function toRecord(row: Row): OverrideRecord {
  return {
    ...row,
    expires_at: iso(row.expires_at),
    created_at: iso(row.created_at)!,
    retired_at: iso(row.retired_at),
  };
}

/** The tenant's overrides, oldest first; retired ones only when asked. */
export async function listOverrides(
  trx: Knex.Transaction,
  options: { includeRetired?: boolean } = {},
): Promise<OverrideRecord[]> {
  const query = trx('rule_overrides')
    .select(OVERRIDE_COLUMNS)
    .orderBy([{ column: 'created_at' }, { column: 'id' }]);
  if (!options.includeRetired) query.whereNull('retired_at');
  return ((await query) as Row[]).map(toRecord);
}

/** Filters and page of GET /api/overrides. */
export interface OverrideListOptions {
  limit: number;
  cursor?: string;
  rule_id?: string;
  kind?: OverrideKind;
  /** true: live and (for exceptions) not expired; false: retired or expired. Unset: live ones. */
  active?: boolean;
  /** With `active` unset: retired ones too. */
  include_retired?: boolean;
}

/** Oldest first; created_at as text keeps microseconds in the cursor (a Date would cut them to ms). */
const LIST_SORT = 'created_at';
const LIST_ORDER: SortKey[] = [
  { column: 'created_at', field: 'cursor_created_at', direction: 'asc' },
  { column: 'id', direction: 'asc' },
];

/** One page of the tenant's overrides, filtered (cursor pagination as in the other lists). */
export async function listOverridePage(
  trx: Knex.Transaction,
  options: OverrideListOptions,
  now: Date = new Date(),
): Promise<{ items: OverrideRecord[]; next_cursor: string | null }> {
  const after = options.cursor ? decodeCursor(options.cursor, LIST_SORT, LIST_ORDER) : null;
  const query = trx('rule_overrides')
    .select(OVERRIDE_COLUMNS)
    .select(trx.raw('created_at::text as cursor_created_at'));
  if (options.rule_id) query.where('rule_id', options.rule_id);
  if (options.kind) query.where('kind', options.kind);
  if (options.active === true) {
    query.whereNull('retired_at').andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now));
  } else if (options.active === false) {
    query.andWhere((q) => q.whereNotNull('retired_at').orWhere('expires_at', '<=', now));
  } else if (!options.include_retired) {
    query.whereNull('retired_at');
  }
  const rows = (await applyPage(query, LIST_ORDER, after, options.limit)) as (Row & {
    cursor_created_at: string;
  })[];
  const page = toPage(rows, options.limit, LIST_SORT, LIST_ORDER);
  return {
    items: page.items.map(({ cursor_created_at: _cursor, ...row }) => toRecord(row)),
    next_cursor: page.next_cursor,
  };
}

/**
 * Every override (any kind, retired ones included) that was in force at some moment of [from, to]: created by
 * `to`, not retired before `from`, and (for exceptions) not expired before `from`; oldest first.
 */
export async function overridesInForceBetween(
  trx: Knex.Transaction,
  window: { from: Date; to: Date },
): Promise<OverrideRecord[]> {
  const rows = (await trx('rule_overrides')
    .select(OVERRIDE_COLUMNS)
    .where('created_at', '<=', window.to)
    .andWhere((q) => q.whereNull('retired_at').orWhere('retired_at', '>=', window.from))
    .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>=', window.from))
    .orderBy([{ column: 'created_at' }, { column: 'id' }])) as Row[];
  return rows.map(toRecord);
}

/** Appends one (already validated) override. */
export async function insertOverride(
  trx: Knex.Transaction,
  tenantId: string,
  userId: string,
  input: OverrideInput,
): Promise<OverrideRecord> {
  const [row] = (await trx('rule_overrides')
    .insert({
      tenant_id: tenantId,
      kind: input.kind,
      rule_id: input.rule_id,
      params: input.params === undefined ? null : JSON.stringify(input.params),
      enabled: input.enabled ?? null,
      severity: input.severity ?? null,
      selector: input.selector === undefined ? null : JSON.stringify(input.selector),
      reason: input.reason ?? null,
      approver: input.approver ?? null,
      expires_at: input.expires_at ?? null,
      created_by: userId,
    })
    .returning(OVERRIDE_COLUMNS)) as Row[];
  return toRecord(row!);
}

/** Retires a live override (404 when unknown in this tenant or already retired). */
export async function retireOverride(
  trx: Knex.Transaction,
  id: string,
  userId: string,
): Promise<OverrideRecord> {
  const rows = (await trx('rule_overrides')
    .where({ id })
    .whereNull('retired_at')
    .update({ retired_at: trx.fn.now(), retired_by: userId })
    .returning(OVERRIDE_COLUMNS)) as Row[];
  if (rows.length === 0) throw new ApiError('OVERRIDE_NOT_FOUND', `no live override ${id}`);
  return toRecord(rows[0]!);
}

/**
 * The live overrides folded into the engine's shape: per rule, later rows win (params merge key by key,
 * oldest first); each exception keeps its row id. Expiry is left to `effectiveOverrides(…, scanTime)`.
 */
export function foldOverrides(records: readonly OverrideRecord[]): TenantOverrides {
  const rules = new Map<string, RuleOverride>();
  const exceptions: ResourceException[] = [];
  for (const r of records) {
    if (r.retired_at !== null) continue;
    if (r.kind === 'exception') {
      exceptions.push({
        id: r.id,
        rule_id: r.rule_id,
        selector: r.selector!,
        reason: r.reason!,
        approver: r.approver!,
        expires_at: r.expires_at!,
      });
      continue;
    }
    const current = rules.get(r.rule_id) ?? { rule_id: r.rule_id };
    if (r.kind === 'params') current.params = { ...current.params, ...r.params };
    if (r.kind === 'enabled') current.enabled = r.enabled!;
    if (r.kind === 'severity') current.severity = r.severity!;
    rules.set(r.rule_id, current);
  }
  return { rules: [...rules.values()], exceptions };
}

/** The body a stored override was created from: its kind's fields only. */
function inputOf(record: OverrideRecord): OverrideInput {
  const input: OverrideInput = { kind: record.kind, rule_id: record.rule_id };
  for (const field of FIELDS[record.kind]) {
    const value = record[field as keyof OverrideRecord];
    if (value !== null) (input as unknown as Record<string, unknown>)[field] = value;
  }
  return input;
}

/** A stored override that no longer validates against the deployed rules, with every reason. */
export interface InvalidOverride {
  record: OverrideRecord;
  problems: OverrideProblem[];
}

/**
 * Re-checks stored overrides against the deployed rules: an override saved under an older bundle may name a
 * rule that is gone or a parameter value the new schema refuses. Write-time validation alone cannot see that.
 */
export function checkOverrides(
  rules: readonly CatalogRule[],
  records: readonly OverrideRecord[],
): { valid: OverrideRecord[]; invalid: InvalidOverride[] } {
  const valid: OverrideRecord[] = [];
  const invalid: InvalidOverride[] = [];
  for (const record of records) {
    const problems = overrideInputProblems(rules, inputOf(record));
    if (problems.length === 0) valid.push(record);
    else invalid.push({ record, problems });
  }
  return { valid, invalid };
}

/** The scan error an invalid override leaves (the scan skips it and goes on), naming the override and field. */
export function invalidOverrideScanError({ record, problems }: InvalidOverride): ScanError {
  return {
    provider: 'complywise',
    operation: `override:${record.kind}`,
    resource_id: record.id,
    code: 'OVERRIDE_INVALID',
    message:
      `override ${record.id} (${record.kind} on ${record.rule_id}) was skipped: it no longer validates ` +
      `against the deployed rules: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
    missing_permission: null,
  };
}

/** The exception that set a finding aside, as a findings view shows it. */
export interface FindingException {
  id: string;
  rule_id: string;
  selector: ExceptionSelector;
  reason: string;
  approver: string;
  expires_at: string;
  created_by: string;
  created_at: string;
  retired_at: string | null;
}

/**
 * Adds `exception` (the exception row, or null) to findings that carry an `exception_id`: one query per page.
 * Rows are immutable apart from retirement, so this is the exception as it stood when it was applied.
 */
export async function withExceptions<T extends { exception_id: string | null }>(
  trx: Knex.Transaction,
  findings: T[],
): Promise<(T & { exception: FindingException | null })[]> {
  const ids = [...new Set(findings.map((f) => f.exception_id).filter((id): id is string => id !== null))];
  const byId = new Map<string, FindingException>();
  if (ids.length > 0) {
    const rows = (await trx('rule_overrides').select(OVERRIDE_COLUMNS).whereIn('id', ids)) as Row[];
    for (const row of rows.map(toRecord)) {
      byId.set(row.id, {
        id: row.id,
        rule_id: row.rule_id,
        selector: row.selector!,
        reason: row.reason!,
        approver: row.approver!,
        expires_at: row.expires_at!,
        created_by: row.created_by,
        created_at: row.created_at,
        retired_at: row.retired_at,
      });
    }
  }
  return findings.map((f) => ({
    ...f,
    exception: f.exception_id === null ? null : (byId.get(f.exception_id) ?? null),
  }));
}
