// Virtual machines and managed disks through the Azure scanner, over HTTP, against the ARM fixture server:
// the normalized settings of Linux, Windows, trusted-launch and unmanaged-disk VMs, disk encryption and
// export policies, and a refused disk list becoming a scan error naming the action.
import { afterEach, describe, expect, it } from 'vitest';
import { assertValidResource, type Resource } from '../../schemas/index.ts';
import { scanAzure } from './azure.ts';
import {
  demoAzureData,
  startAzureFixtureServer,
  type AzureFixtureServer,
} from './fixtures/azure-fixture-server.ts';
import { demoAzureTarget, UNPACED_AZURE_SCAN } from './testing.ts';

let server: AzureFixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const target = (s: AzureFixtureServer) => demoAzureTarget(s);
const fast = UNPACED_AZURE_SCAN;
const named = (resources: Resource[], name: string): Resource | undefined =>
  resources.find((r) => r.name === name);

describe('virtual machines and managed disks', () => {
  it('reads every VM and disk, following nextLink, with their security settings', async () => {
    server = await startAzureFixtureServer();
    const outcome = await scanAzure(target(server), fast);
    expect(outcome.errors).toEqual([]);
    const vms = outcome.resources.filter((r) => r.type === 'azure.compute.virtual_machine');
    const disks = outcome.resources.filter((r) => r.type === 'azure.compute.disk');
    expect(vms).toHaveLength(8);
    // Seven managed OS disks (one VM runs on a VHD), four data disks, two unattached.
    expect(disks).toHaveLength(13);
    for (const r of [...vms, ...disks]) expect(assertValidResource(r)).toBe(r);
    expect(
      server.requests
        .filter((r) => r.route === 'disks')
        .map((r) => new URL(r.path, server?.url).searchParams.get('$skiptoken')),
    ).toEqual([null, '10']);
    expect(server.requests.find((r) => r.route === 'virtualMachines')?.path).toContain(
      'api-version=2024-03-01',
    );

    const vm0 = named(vms, 'vm-acme-0');
    expect(vm0?.attributes).toEqual({
      resource_group: 'rg-prod',
      vm_size: 'Standard_D4s_v5',
      os_type: 'Linux',
      managed_disks: true,
      os_disk_id: expect.stringMatching(/\/Microsoft\.Compute\/disks\/vm-acme-0_OsDisk_1$/),
      data_disk_ids: [expect.stringMatching(/\/disks\/vm-acme-0-data0$/)],
      security_type: 'TrustedLaunch',
      secure_boot_enabled: true,
      vtpm_enabled: true,
      encryption_at_host: true,
      boot_diagnostics_enabled: true,
      password_authentication_disabled: true,
      patch_mode: 'AutomaticByPlatform',
      identity_type: 'SystemAssigned',
    });
    // A standard VM has no security type and neither Secure Boot nor vTPM.
    expect(named(vms, 'vm-acme-1')?.attributes).toMatchObject({
      security_type: null,
      secure_boot_enabled: false,
      vtpm_enabled: false,
      encryption_at_host: false,
      password_authentication_disabled: false,
      identity_type: null,
    });
    // Windows: no SSH setting; its patch mode comes from windowsConfiguration.
    expect(named(vms, 'vm-acme-2')?.attributes).toMatchObject({
      os_type: 'Windows',
      password_authentication_disabled: null,
      patch_mode: 'AutomaticByPlatform',
    });
    expect(named(vms, 'vm-acme-7')?.attributes).toMatchObject({
      managed_disks: false,
      os_disk_id: null,
      patch_mode: 'ImageDefault',
    });

    expect(named(disks, 'vm-acme-0_OsDisk_1')?.attributes).toEqual({
      resource_group: 'rg-prod',
      sku_name: 'Premium_LRS',
      size_gb: 128,
      os_type: 'Linux',
      disk_state: 'Attached',
      attached_to: vm0?.id,
      encryption_type: 'EncryptionAtRestWithCustomerKey',
      disk_encryption_set_id: expect.stringMatching(/diskEncryptionSets\/des-acme$/),
      azure_disk_encryption: false,
      network_access_policy: 'DenyAll',
      public_network_access: 'Disabled',
    });
    // No publicNetworkAccess in the answer: read as null (not configured), the policy AllowAll.
    expect(named(disks, 'disk-orphan-5')?.attributes).toMatchObject({
      os_type: null,
      disk_state: 'Unattached',
      attached_to: null,
      encryption_type: 'EncryptionAtRestWithPlatformKey',
      disk_encryption_set_id: null,
      network_access_policy: 'AllowAll',
      public_network_access: null,
    });
  });

  it('records a refused disk list with the action it needs, and still reads the VMs', async () => {
    const data = demoAzureData();
    data.deniedRoutes = ['disks'];
    server = await startAzureFixtureServer({ data });
    const outcome = await scanAzure(target(server), fast);
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'azure:disks.list',
        code: 'AuthorizationFailed',
        missing_permission: 'Microsoft.Compute/disks/read',
      }),
    ]);
    expect(outcome.resources.filter((r) => r.type === 'azure.compute.disk')).toEqual([]);
    expect(outcome.resources.filter((r) => r.type === 'azure.compute.virtual_machine')).toHaveLength(8);
  });
});
