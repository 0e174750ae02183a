// AWS Backup in the AWS scanner through the real SDK v3 client over HTTP against the fixture server
// (restJson1): plans and vaults read directly and through AWS Config give the same resources, the region
// settings carry the opt-in preferences and restore testing plans, and a refused call becomes a ScanError
// naming the permission while the rest is still collected.
import { describe, expect, it } from 'vitest';
import { scanAwsAccount } from './account.ts';
import { scheduleIntervalHours } from './backup.ts';
import {
  byType,
  demoTarget,
  directAndConfig,
  FAST_SCAN,
  fixtureServersClosedAfterEach,
  SCAN_NOW,
  withoutSource,
  scanWithDeniedOperations,
} from './testing.ts';
import { demoAwsAccount } from './fixtures/aws-fixture-server.ts';

const start = fixtureServersClosedAfterEach();

describe('backup schedules', () => {
  it('turns rate and cron expressions into average hours between runs', () => {
    expect(scheduleIntervalHours('rate(12 hours)')).toBe(12);
    expect(scheduleIntervalHours('rate(1 day)')).toBe(24);
    expect(scheduleIntervalHours('cron(0 5 ? * * *)')).toBe(24);
    expect(scheduleIntervalHours('cron(0 0/4 ? * * *)')).toBe(4);
    expect(scheduleIntervalHours('cron(0 3 ? * SUN *)')).toBe(168.46);
    expect(scheduleIntervalHours('cron(0 3 ? * MON-FRI *)')).toBe(33.69);
    expect(scheduleIntervalHours('cron(0 2 1 * ? *)')).toBe(730);
    expect(scheduleIntervalHours('cron(0 2 ? * MON#1 *)')).toBe(730);
    expect(scheduleIntervalHours('cron(0/15 * ? * * *)')).toBe(0.25);
    expect(scheduleIntervalHours('cron(0 2 1 */3 ? *)')).toBe(2190);
    expect(scheduleIntervalHours('cron(0 5 * *)')).toBeNull();
    expect(scheduleIntervalHours(undefined)).toBeNull();
  });
});

describe('AWS Backup plans and vaults', () => {
  it('reads plans and vaults directly and through Config alike', async () => {
    const { direct, viaConfig, directServer, configServer } = await directAndConfig(start, ['backup']);
    expect(direct.errors).toEqual([]);
    expect(viaConfig.errors).toEqual([]);
    expect(byType(direct.resources, 'aws.backup.plan')).toHaveLength(9);
    expect(byType(direct.resources, 'aws.backup.vault')).toHaveLength(9);
    expect(withoutSource(viaConfig.resources)).toEqual(withoutSource(direct.resources));
    // Through Config only what Config does not record is read from Backup: recovery points and region settings.
    expect(
      new Set(configServer.requests.filter((r) => r.service === 'backup').map((r) => r.operation)),
    ).toEqual(
      new Set([
        'ListRecoveryPointsByBackupVault',
        'DescribeRegionSettings',
        'ListRestoreTestingPlans',
        'GetRestoreTestingPlan',
        'ListRestoreTestingSelections',
      ]),
    );
    expect(
      new Set(directServer.requests.filter((r) => r.service === 'backup').map((r) => r.operation)),
    ).toContain('GetBackupVaultAccessPolicy');

    const plans = byType(direct.resources, 'aws.backup.plan').filter((r) => r.region === 'us-east-1');
    expect(plans.find((r) => r.name === 'critical-daily-east')?.attributes).toMatchObject({
      backup_interval_hours: 4,
      shortest_retention_days: 35,
      cross_region_copy: true,
      cross_account_copy: true,
      moves_to_cold_storage: true,
    });
    expect(plans.find((r) => r.name === 'weekly-archive-east')?.attributes).toMatchObject({
      backup_interval_hours: 168.46,
      shortest_retention_days: 365,
      cross_region_copy: false,
      cross_account_copy: false,
      moves_to_cold_storage: false,
      rules: [
        {
          name: 'weekly',
          target_vault_name: 'Default',
          schedule_expression: 'cron(0 3 ? * SUN *)',
          interval_hours: 168.46,
          continuous_backup: false,
          delete_after_days: 365,
          move_to_cold_storage_after_days: null,
          copy_destination_vault_arns: [],
        },
      ],
    });

    const vaults = byType(direct.resources, 'aws.backup.vault').filter((r) => r.region === 'eu-west-1');
    expect(vaults.find((r) => r.name === 'Default')?.attributes).toMatchObject({
      encryption_key_manager: 'AWS',
      recovery_point_count: 2,
      unencrypted_recovery_point_count: 1,
      lock_configured: false,
      lock_mode: null,
      access_policy_present: false,
      policy_public: false,
      policy_denies_recovery_point_deletion: false,
    });
    expect(vaults.find((r) => r.name === 'prod-vault-west')?.attributes).toMatchObject({
      encryption_key_manager: 'CUSTOMER',
      recovery_point_count: 2,
      unencrypted_recovery_point_count: 0,
      lock_mode: 'COMPLIANCE',
      lock_min_retention_days: 35,
      lock_max_retention_days: 3650,
      policy_public: false,
      policy_denies_recovery_point_deletion: true,
    });
    expect(vaults.find((r) => r.name === 'shared-vault-west')?.attributes).toMatchObject({
      lock_mode: 'GOVERNANCE',
      lock_min_retention_days: 1,
      lock_max_retention_days: null,
      policy_public: true,
      policy_denies_recovery_point_deletion: false,
    });
  });

  it('reads opt-in preferences and restore testing plans per region', async () => {
    const server = await start(demoAwsAccount({ asOf: SCAN_NOW }));
    const outcome = await scanAwsAccount(
      demoTarget(server, { services: ['backup'], useConfig: false }),
      FAST_SCAN,
    );
    const settings = Object.fromEntries(
      byType(outcome.resources, 'aws.backup.region_settings').map((r) => [r.region, r.attributes]),
    );
    expect(settings['us-east-1']).toMatchObject({
      opted_out_resource_types: [],
      restore_testing_plan_count: 1,
      restore_testing_plans: [
        {
          name: 'monthly_restore_check',
          schedule_expression: 'cron(0 2 1 * ? *)',
          interval_days: 30.42,
          selection_window_days: 30,
          algorithm: 'LATEST_WITHIN_WINDOW',
          selection_count: 2,
        },
      ],
    });
    expect(settings['eu-west-1']).toMatchObject({
      opted_out_resource_types: ['S3'],
      restore_testing_plan_count: 2,
    });
    expect(settings['us-west-2']).toMatchObject({
      opted_out_resource_types: ['DynamoDB', 'EFS'],
      restore_testing_plan_count: 0,
      restore_testing_plans: [],
    });
  });

  it('records refused calls with their permission and keeps the rest', async () => {
    const outcome = await scanWithDeniedOperations(
      start,
      'backup',
      'backup:GetBackupVaultAccessPolicy@eu-west-1',
      'backup:GetRestoreTestingPlan@us-east-1',
      'kms:DescribeKey@us-west-2',
      'backup:ListRecoveryPointsByBackupVault@us-west-2',
    );
    expect(new Set(outcome.errors.map((e) => e.missing_permission))).toEqual(
      new Set([
        'backup:GetBackupVaultAccessPolicy',
        'backup:GetRestoreTestingPlan',
        'kms:DescribeKey',
        'backup:ListRecoveryPointsByBackupVault',
      ]),
    );
    expect(outcome.errors.find((e) => e.operation === 'backup:GetBackupVaultAccessPolicy')).toMatchObject({
      code: 'AccessDeniedException',
    });
    const vaults = byType(outcome.resources, 'aws.backup.vault');
    expect(vaults).toHaveLength(9);
    const euProd = vaults.find((r) => r.region === 'eu-west-1' && r.name === 'prod-vault-west');
    // The policy was refused: its attributes are absent, the lock and key are still there.
    expect(euProd?.attributes).not.toHaveProperty('policy_public');
    expect(euProd?.attributes).toMatchObject({ lock_mode: 'COMPLIANCE', encryption_key_manager: 'CUSTOMER' });
    const westProd = vaults.find((r) => r.region === 'us-west-2' && r.name === 'prod-vault-west');
    expect(westProd?.attributes).not.toHaveProperty('encryption_key_manager');
    expect(westProd?.attributes).not.toHaveProperty('unencrypted_recovery_point_count');
    expect(westProd?.attributes).toMatchObject({ policy_denies_recovery_point_deletion: true });
    const east = byType(outcome.resources, 'aws.backup.region_settings').find(
      (r) => r.region === 'us-east-1',
    );
    expect(east?.attributes).not.toHaveProperty('restore_testing_plans');
    expect(east?.attributes).toMatchObject({ opted_out_resource_types: [] });
    expect(byType(outcome.resources, 'aws.backup.plan')).toHaveLength(9);
  });
});
