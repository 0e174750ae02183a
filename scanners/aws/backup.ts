/**
 * AWS Backup, per region (restJson1): backup plans (ListBackupPlans, GetBackupPlan), backup vaults
 * (ListBackupVaults, GetBackupVaultAccessPolicy, ListRecoveryPointsByBackupVault, and kms:DescribeKey for who
 * manages the vault's key) and
 * the region's settings (DescribeRegionSettings, with the restore testing plans: ListRestoreTestingPlans,
 * GetRestoreTestingPlan, ListRestoreTestingSelections).
 *
 * AWS Config records plans and vaults in their CloudFormation form (AWS::Backup::BackupPlan with
 * BackupPlan.BackupPlanRule, AWS::Backup::BackupVault with LockConfiguration and AccessPolicy); the item is put
 * back into the direct answer's shape so both paths hand the same builder the same input. Config has no type
 * for the region's opt-in settings nor for restore testing plans, so `aws.backup.region_settings` is always
 * read directly.
 */
import {
  BackupClient,
  DescribeRegionSettingsCommand,
  GetBackupPlanCommand,
  GetBackupVaultAccessPolicyCommand,
  GetRestoreTestingPlanCommand,
  ListBackupPlansCommand,
  ListBackupVaultsCommand,
  ListRecoveryPointsByBackupVaultCommand,
  ListRestoreTestingPlansCommand,
  ListRestoreTestingSelectionsCommand,
  type BackupRule,
  type BackupVaultListMember,
  type GetBackupPlanOutput,
  type RecoveryPointByBackupVault,
} from '@aws-sdk/client-backup';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { AwsScanContext } from './aws-context.ts';
import { bool, list, num, obj, str, type ConfigItem } from './config-item.ts';
import { policyAccess } from './policy-access.ts';
import { pages } from './regional.ts';

const CONCURRENCY = 4;

function backup(ctx: AwsScanContext, region: string): BackupClient {
  return ctx.client('backup', region, (settings) => new BackupClient(settings));
}

// ---------------- schedules ----------------

const HOURS_PER_YEAR = 365 * 24;

/** How many values a cron field takes out of `size` (`*`, `?`, `a`, `a-b`, `a/n`, `*\/n`, lists); null: unreadable. */
function fieldCount(field: string, size: number, first: number): number | null {
  if (field === '*' || field === '?') return size;
  let total = 0;
  for (const part of field.split(',')) {
    const step = /^(\*|\d+)\/(\d+)$/.exec(part);
    const range = /^(\w+)-(\w+)$/.exec(part);
    if (step) {
      const start = step[1] === '*' ? first : Number(step[1]);
      total += Math.max(1, Math.ceil((first + size - start) / Number(step[2])));
    } else if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      // Named ranges (MON-FRI, JAN-MAR) are counted from the names' positions.
      total += Number.isFinite(a) && Number.isFinite(b) ? b - a + 1 : namedRange(range[1], range[2]);
    } else if (/^\w+#?\d*$|^L$|^\d+W$/.test(part)) total += 1;
    else return null;
  }
  return total;
}

const NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
function namedRange(a = '', b = ''): number {
  for (const names of [NAMES, MONTHS]) {
    const [i, j] = [names.indexOf(a.toUpperCase()), names.indexOf(b.toUpperCase())];
    if (i >= 0 && j >= 0) return ((j - i + names.length) % names.length) + 1;
  }
  return 1;
}

/**
 * Average hours between the runs of an AWS Backup schedule: `rate(n unit)` exactly, `cron(min hour dom
 * month dow year)` from how often it fires in a year (a weekday-only schedule averages 33.7 hours, not 24).
 * Null for an absent or unreadable expression.
 */
export function scheduleIntervalHours(expression: string | null | undefined): number | null {
  const rate = /^rate\((\d+)\s+(minutes?|hours?|days?)\)$/i.exec(expression?.trim() ?? '');
  if (rate) {
    const unit = (rate[2] ?? '').toLowerCase();
    const n = Number(rate[1]);
    return unit.startsWith('minute') ? n / 60 : unit.startsWith('hour') ? n : n * 24;
  }
  const cron = /^cron\((.+)\)$/i.exec(expression?.trim() ?? '');
  const fields = cron?.[1]?.trim().split(/\s+/) ?? [];
  if (fields.length !== 6) return null;
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const minutes = fieldCount(minute, 60, 0);
  const hours = fieldCount(hour, 24, 0);
  const months = fieldCount(month, 12, 1);
  const wildDom = dom === '*' || dom === '?';
  const wildDow = dow === '*' || dow === '?';
  // A day of week like MON#1 (first Monday) or 6L (last Friday) fires once a month, not once a week.
  const weekdayRuns = /#|\dL$/i.test(dow) ? 12 : 52;
  const days =
    wildDom && wildDow
      ? 365
      : wildDom
        ? (fieldCount(dow, 7, 1) ?? 0) * weekdayRuns
        : (fieldCount(dom, 31, 1) ?? 0) * 12;
  if (minutes === null || hours === null || months === null || days === 0) return null;
  const runs = minutes * hours * days * (months / 12);
  return Math.round((HOURS_PER_YEAR / runs) * 100) / 100;
}

// ---------------- plans ----------------

export async function scanBackupPlans(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = backup(ctx, region);
  const listed = await pages<{ BackupPlansList?: { BackupPlanId?: string }[]; NextToken?: string }, string>(
    ctx,
    'backup:ListBackupPlans',
    (NextToken, abortSignal) =>
      client.send(new ListBackupPlansCommand({ NextToken, MaxResults: ctx.pageSize(1000) }), { abortSignal }),
    (o) => o.BackupPlansList?.map((p) => p.BackupPlanId ?? ''),
    (o) => o.NextToken,
  );
  const read = await mapWithConcurrency(listed ?? [], CONCURRENCY, async (BackupPlanId) => {
    const got = await ctx.call('backup:GetBackupPlan', (abortSignal) =>
      client.send(new GetBackupPlanCommand({ BackupPlanId }), { abortSignal }),
    );
    // Without the plan's rules nothing but its id is known: it is left out and the error kept.
    if (!got.ok) {
      ctx.recordFailure('backup:GetBackupPlan', 'backup:GetBackupPlan', BackupPlanId, got);
      return null;
    }
    return backupPlanResource(ctx, region, got.value, 'backup');
  });
  return read.filter((r): r is Resource => r !== null);
}

const accountOf = (arn: string): string | undefined => /^arn:[^:]+:backup:[^:]*:(\d{12}):/.exec(arn)?.[1];
const regionOfArn = (arn: string): string | undefined => /^arn:[^:]+:backup:([^:]+):/.exec(arn)?.[1];

export function backupPlanResource(
  ctx: AwsScanContext,
  region: string,
  plan: GetBackupPlanOutput,
  api: string,
): Resource {
  const rules = (plan.BackupPlan?.Rules ?? []).map((r: BackupRule) => ({
    name: r.RuleName ?? '',
    target_vault_name: r.TargetBackupVaultName ?? '',
    schedule_expression: r.ScheduleExpression ?? null,
    interval_hours: scheduleIntervalHours(r.ScheduleExpression),
    continuous_backup: r.EnableContinuousBackup ?? false,
    delete_after_days: r.Lifecycle?.DeleteAfterDays ?? null,
    move_to_cold_storage_after_days: r.Lifecycle?.MoveToColdStorageAfterDays ?? null,
    copy_destination_vault_arns: (r.CopyActions ?? []).map((c) => c.DestinationBackupVaultArn ?? '').sort(),
  }));
  const intervals = rules.map((r) => r.interval_hours).filter((h): h is number => h !== null);
  const retentions = rules.map((r) => r.delete_after_days).filter((d): d is number => d !== null);
  const destinations = rules.flatMap((r) => r.copy_destination_vault_arns);
  const id = plan.BackupPlanId ?? '';
  return ctx.accountResource({
    id: plan.BackupPlanArn ?? `arn:aws:backup:${region}:${ctx.accountId}:backup-plan:${id}`,
    region,
    type: 'aws.backup.plan',
    name: plan.BackupPlan?.BackupPlanName ?? id,
    api,
    now: ctx.now(),
    attributes: {
      plan_id: id,
      version_id: plan.VersionId ?? null,
      rules,
      backup_interval_hours: intervals.length > 0 ? Math.min(...intervals) : null,
      shortest_retention_days: retentions.length > 0 ? Math.min(...retentions) : null,
      cross_region_copy: destinations.some(
        (arn) => regionOfArn(arn) !== undefined && regionOfArn(arn) !== region,
      ),
      cross_account_copy: destinations.some(
        (arn) => accountOf(arn) !== undefined && accountOf(arn) !== ctx.accountId,
      ),
      moves_to_cold_storage: rules.some((r) => r.move_to_cold_storage_after_days !== null),
    },
  });
}

/** A plan's item (CloudFormation form: BackupPlan.BackupPlanRule), back in GetBackupPlan's shape. */
export function backupPlanFromItem(item: ConfigItem): GetBackupPlanOutput {
  const c = obj(item.configuration);
  const plan = obj(c.BackupPlan);
  const lifecycle = (v: unknown) => {
    const l = obj(v);
    return {
      DeleteAfterDays: num(l.DeleteAfterDays),
      MoveToColdStorageAfterDays: num(l.MoveToColdStorageAfterDays),
    };
  };
  return {
    BackupPlanId: str(c.BackupPlanId) ?? item.resourceId,
    BackupPlanArn: str(c.BackupPlanArn),
    VersionId: str(c.VersionId),
    BackupPlan: {
      BackupPlanName: str(plan.BackupPlanName),
      Rules: list(plan.BackupPlanRule).map((raw) => {
        const r = obj(raw);
        return {
          RuleName: str(r.RuleName),
          TargetBackupVaultName: str(r.TargetBackupVault),
          ScheduleExpression: str(r.ScheduleExpression),
          EnableContinuousBackup: bool(r.EnableContinuousBackup),
          Lifecycle: lifecycle(r.Lifecycle),
          CopyActions: list(r.CopyActions).map((a) => ({
            DestinationBackupVaultArn: str(obj(a).DestinationBackupVaultArn),
            Lifecycle: lifecycle(obj(a).Lifecycle),
          })),
        };
      }),
    },
  };
}

// ---------------- vaults ----------------

/** A vault as the builder reads it: ListBackupVaults' member plus its policy (null: none; undefined: unread). */
export interface VaultInput {
  vault: BackupVaultListMember;
  /** Compliance mode: a lock date (direct) or a grace period (Config's ChangeableForDays) was set. */
  compliance: boolean;
  policy: string | null | undefined;
}

export async function scanBackupVaults(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = backup(ctx, region);
  const vaults = await pages<
    { BackupVaultList?: BackupVaultListMember[]; NextToken?: string },
    BackupVaultListMember
  >(
    ctx,
    'backup:ListBackupVaults',
    (NextToken, abortSignal) =>
      client.send(new ListBackupVaultsCommand({ NextToken, MaxResults: ctx.pageSize(1000) }), {
        abortSignal,
      }),
    (o) => o.BackupVaultList,
    (o) => o.NextToken,
  );
  const inputs = await mapWithConcurrency(vaults ?? [], CONCURRENCY, async (vault): Promise<VaultInput> => {
    const BackupVaultName = vault.BackupVaultName ?? '';
    const got = await ctx.call('backup:GetBackupVaultAccessPolicy', (abortSignal) =>
      client.send(new GetBackupVaultAccessPolicyCommand({ BackupVaultName }), { abortSignal }),
    );
    let policy: string | null | undefined;
    if (got.ok) policy = got.value.Policy ?? null;
    // A vault that never had an access policy answers ResourceNotFoundException.
    else if (got.code === 'ResourceNotFoundException') policy = null;
    else
      ctx.recordFailure(
        'backup:GetBackupVaultAccessPolicy',
        'backup:GetBackupVaultAccessPolicy',
        vault.BackupVaultArn ?? BackupVaultName,
        got,
      );
    return { vault, compliance: vault.LockDate !== undefined, policy };
  });
  return backupVaultResources(ctx, region, inputs, 'backup');
}

/** Recovery points of a vault that are and are not encrypted; null when the listing was refused. */
interface RecoveryPointCounts {
  total: number;
  unencrypted: number;
}

/**
 * The vaults as resources. Config records neither who manages a vault's key nor its recovery points, so on both
 * paths each distinct key is described once (kms:DescribeKey) and each vault's recovery points are listed
 * (ListRecoveryPointsByBackupVault).
 */
export async function backupVaultResources(
  ctx: AwsScanContext,
  region: string,
  inputs: VaultInput[],
  api: string,
): Promise<Resource[]> {
  const keys = [...new Set(inputs.map((i) => i.vault.EncryptionKeyArn).filter((k): k is string => !!k))];
  const kms = ctx.client('kms', region, (settings) => new KMSClient(settings));
  const managers = new Map<string, string>();
  await mapWithConcurrency(keys, CONCURRENCY, async (KeyId) => {
    const described = await ctx.call('kms:DescribeKey', (abortSignal) =>
      kms.send(new DescribeKeyCommand({ KeyId }), { abortSignal }),
    );
    if (described.ok) managers.set(KeyId, described.value.KeyMetadata?.KeyManager ?? 'CUSTOMER');
    else ctx.recordFailure('kms:DescribeKey', 'kms:DescribeKey', KeyId, described);
  });
  const client = backup(ctx, region);
  const points = await mapWithConcurrency(inputs, CONCURRENCY, async ({ vault }) => {
    const BackupVaultName = vault.BackupVaultName ?? '';
    const listed = await pages<
      { RecoveryPoints?: RecoveryPointByBackupVault[]; NextToken?: string },
      RecoveryPointByBackupVault
    >(
      ctx,
      'backup:ListRecoveryPointsByBackupVault',
      (NextToken, abortSignal) =>
        client.send(
          new ListRecoveryPointsByBackupVaultCommand({
            BackupVaultName,
            NextToken,
            MaxResults: ctx.pageSize(1000),
          }),
          { abortSignal },
        ),
      (o) => o.RecoveryPoints,
      (o) => o.NextToken,
    );
    return listed === null
      ? null
      : { total: listed.length, unencrypted: listed.filter((p) => p.IsEncrypted !== true).length };
  });
  return inputs.map((i, n) => backupVaultResource(ctx, region, i, managers, points[n] ?? null, api));
}

/** Actions whose denial keeps recovery points from being deleted. */
const DELETE_ACTIONS = /^(\*|backup:\*|backup:Delete\*|backup:DeleteRecoveryPoint)$/i;

/** Whether a policy document (JSON text) has a Deny for everyone covering backup:DeleteRecoveryPoint. */
export function deniesRecoveryPointDeletion(policy: string): boolean | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = obj(JSON.parse(policy));
  } catch {
    return undefined;
  }
  const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  return asList(doc.Statement).some((raw) => {
    const s = obj(raw);
    const everyone = s.Principal === '*' || asList(obj(s.Principal).AWS).includes('*');
    return (
      s.Effect === 'Deny' &&
      everyone &&
      asList(s.Action).some((a) => typeof a === 'string' && DELETE_ACTIONS.test(a))
    );
  });
}

function backupVaultResource(
  ctx: AwsScanContext,
  region: string,
  { vault, compliance, policy }: VaultInput,
  managers: Map<string, string>,
  points: RecoveryPointCounts | null,
  api: string,
): Resource {
  const name = vault.BackupVaultName ?? '';
  const key = vault.EncryptionKeyArn ?? null;
  const lockConfigured = vault.MinRetentionDays !== undefined || vault.MaxRetentionDays !== undefined;
  const attributes: Record<string, unknown> = {
    encryption_key_arn: key,
    lock_configured: lockConfigured,
    lock_mode: lockConfigured ? (compliance ? 'COMPLIANCE' : 'GOVERNANCE') : null,
    lock_min_retention_days: vault.MinRetentionDays ?? null,
    lock_max_retention_days: vault.MaxRetentionDays ?? null,
  };
  if (key === null) attributes.encryption_key_manager = null;
  else if (managers.has(key)) attributes.encryption_key_manager = managers.get(key);
  if (points !== null) {
    attributes.recovery_point_count = points.total;
    attributes.unencrypted_recovery_point_count = points.unencrypted;
  }
  if (policy !== undefined) {
    const access = policyAccess(policy, ctx.accountId);
    attributes.access_policy_present = policy !== null;
    if (access !== undefined) {
      attributes.policy_public = access?.public ?? false;
      attributes.policy_cross_accounts = access?.crossAccounts ?? [];
    }
    const denies = policy === null ? false : deniesRecoveryPointDeletion(policy);
    if (denies !== undefined) attributes.policy_denies_recovery_point_deletion = denies;
  }
  return ctx.accountResource({
    id: vault.BackupVaultArn ?? `arn:aws:backup:${region}:${ctx.accountId}:backup-vault:${name}`,
    region,
    type: 'aws.backup.vault',
    name,
    api,
    now: ctx.now(),
    attributes,
  });
}

/** A vault's item (CloudFormation form), back in ListBackupVaults' shape with its policy. */
export function backupVaultFromItem(item: ConfigItem): VaultInput {
  const c = obj(item.configuration);
  const lock = c.LockConfiguration === undefined ? undefined : obj(c.LockConfiguration);
  // Config records the access policy as a JSON object (or text); the direct API answers text.
  const policy =
    c.AccessPolicy === undefined || c.AccessPolicy === null
      ? null
      : typeof c.AccessPolicy === 'string'
        ? c.AccessPolicy
        : JSON.stringify(c.AccessPolicy);
  return {
    vault: {
      BackupVaultName: str(c.BackupVaultName) ?? item.resourceId,
      BackupVaultArn: str(c.BackupVaultArn),
      EncryptionKeyArn: str(c.EncryptionKeyArn),
      MinRetentionDays: num(lock?.MinRetentionDays),
      MaxRetentionDays: num(lock?.MaxRetentionDays),
    },
    compliance: num(lock?.ChangeableForDays) !== undefined,
    policy,
  };
}

// ---------------- region settings and restore testing ----------------

export async function scanBackupRegionSettings(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = backup(ctx, region);
  const attributes: Record<string, unknown> = {};
  const settings = await ctx.call('backup:DescribeRegionSettings', (abortSignal) =>
    client.send(new DescribeRegionSettingsCommand({}), { abortSignal }),
  );
  if (settings.ok) {
    const optIn = settings.value.ResourceTypeOptInPreference ?? {};
    attributes.resource_type_opt_in = optIn;
    attributes.opted_out_resource_types = Object.keys(optIn)
      .filter((t) => optIn[t] === false)
      .sort();
  } else ctx.recordFailure('backup:DescribeRegionSettings', 'backup:DescribeRegionSettings', null, settings);

  const listed = await pages<
    { RestoreTestingPlans?: { RestoreTestingPlanName?: string }[]; NextToken?: string },
    string
  >(
    ctx,
    'backup:ListRestoreTestingPlans',
    (NextToken, abortSignal) =>
      client.send(new ListRestoreTestingPlansCommand({ NextToken, MaxResults: ctx.pageSize(1000) }), {
        abortSignal,
      }),
    (o) => o.RestoreTestingPlans?.map((p) => p.RestoreTestingPlanName ?? ''),
    (o) => o.NextToken,
  );
  if (listed !== null) {
    const plans = await mapWithConcurrency(listed, CONCURRENCY, async (RestoreTestingPlanName) => {
      const [got, selections] = await Promise.all([
        ctx.call('backup:GetRestoreTestingPlan', (abortSignal) =>
          client.send(new GetRestoreTestingPlanCommand({ RestoreTestingPlanName }), { abortSignal }),
        ),
        pages<{ RestoreTestingSelections?: unknown[]; NextToken?: string }, unknown>(
          ctx,
          'backup:ListRestoreTestingSelections',
          (NextToken, abortSignal) =>
            client.send(new ListRestoreTestingSelectionsCommand({ RestoreTestingPlanName, NextToken }), {
              abortSignal,
            }),
          (o) => o.RestoreTestingSelections,
          (o) => o.NextToken,
        ),
      ]);
      if (!got.ok)
        ctx.recordFailure(
          'backup:GetRestoreTestingPlan',
          'backup:GetRestoreTestingPlan',
          RestoreTestingPlanName,
          got,
        );
      if (!got.ok || selections === null) return null;
      const p = got.value.RestoreTestingPlan;
      const hours = scheduleIntervalHours(p?.ScheduleExpression);
      return {
        name: RestoreTestingPlanName,
        schedule_expression: p?.ScheduleExpression ?? null,
        interval_days: hours === null ? null : Math.round((hours / 24) * 100) / 100,
        selection_window_days: p?.RecoveryPointSelection?.SelectionWindowDays ?? null,
        algorithm: p?.RecoveryPointSelection?.Algorithm ?? null,
        selection_count: selections.length,
      };
    });
    // A plan that could not be read leaves the whole list unknown rather than short.
    if (plans.every((p) => p !== null)) {
      attributes.restore_testing_plans = plans.sort((a, b) => a.name.localeCompare(b.name));
      attributes.restore_testing_plan_count = plans.length;
    }
  }
  return [
    ctx.accountResource({
      id: `arn:aws:backup:${region}:${ctx.accountId}:region-settings`,
      region,
      type: 'aws.backup.region_settings',
      name: `AWS Backup ${region}`,
      api: 'backup',
      now: ctx.now(),
      attributes,
    }),
  ];
}
