/**
 * Virtual machines and managed disks of a subscription: `GET /subscriptions/{id}/providers/
 * Microsoft.Compute/virtualMachines` and `.../Microsoft.Compute/disks`, both paged with `nextLink`. One
 * `azure.compute.virtual_machine` per VM (its disks, security profile, sign-in and patching settings, boot
 * diagnostics) and one `azure.compute.disk` per managed disk (encryption, export and network access).
 */
import type { Resource } from '../../schemas/index.ts';
import type { ArmReader } from './arm-reader.ts';

type Json = Record<string, unknown>;

export const COMPUTE_API_VERSIONS = {
  virtualMachines: '2024-03-01',
  disks: '2023-10-02',
} as const;

export const COMPUTE_PERMISSIONS = {
  'virtualMachines.listAll': 'Microsoft.Compute/virtualMachines/read',
  'disks.list': 'Microsoft.Compute/disks/read',
} as const;

const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});

export async function scanCompute(arm: ArmReader): Promise<Resource[]> {
  const sub = `/subscriptions/${arm.subscriptionId}`;
  const vms = await arm.list(
    'virtualMachines.listAll',
    `${sub}/providers/Microsoft.Compute/virtualMachines`,
    COMPUTE_API_VERSIONS.virtualMachines,
  );
  const disks = await arm.list(
    'disks.list',
    `${sub}/providers/Microsoft.Compute/disks`,
    COMPUTE_API_VERSIONS.disks,
  );
  return [
    ...(vms ?? []).map((v) => arm.envelope(v, 'azure.compute.virtual_machine', virtualMachine(v))),
    ...(disks ?? []).map((d) => arm.envelope(d, 'azure.compute.disk', disk(d))),
  ];
}

function virtualMachine(v: Json): Json {
  const p = obj(v.properties);
  const storage = obj(p.storageProfile);
  const osDisk = obj(storage.osDisk);
  const dataDisks = Array.isArray(storage.dataDisks) ? (storage.dataDisks as Json[]) : [];
  const security = obj(p.securityProfile);
  const uefi = obj(security.uefiSettings);
  const os = obj(p.osProfile);
  const linux = os.linuxConfiguration ? obj(os.linuxConfiguration) : null;
  const windows = os.windowsConfiguration ? obj(os.windowsConfiguration) : null;
  const osType = text(osDisk.osType) ?? (linux ? 'Linux' : windows ? 'Windows' : null);
  // A managed disk names its disk resource; an unmanaged one a VHD blob in a storage account.
  const managedId = (d: Json): string | null => text(obj(d.managedDisk).id);
  const boot = obj(obj(p.diagnosticsProfile).bootDiagnostics);
  return {
    vm_size: String(obj(p.hardwareProfile).vmSize ?? ''),
    os_type: osType === 'Linux' || osType === 'Windows' ? osType : null,
    managed_disks: [osDisk, ...dataDisks].every((d) => managedId(d) !== null),
    os_disk_id: managedId(osDisk),
    data_disk_ids: dataDisks.map(managedId).filter((id): id is string => id !== null),
    security_type: text(security.securityType),
    secure_boot_enabled: uefi.secureBootEnabled === true,
    vtpm_enabled: uefi.vTpmEnabled === true,
    encryption_at_host: security.encryptionAtHost === true,
    boot_diagnostics_enabled: boot.enabled === true,
    // Only a Linux VM can refuse passwords over SSH; null for Windows or when no OS profile is given
    // (a VM attached from an existing disk).
    password_authentication_disabled: linux ? linux.disablePasswordAuthentication === true : null,
    patch_mode: text(obj((linux ?? windows ?? {}).patchSettings).patchMode),
    identity_type: text(obj(v.identity).type),
  };
}

function disk(d: Json): Json {
  const p = obj(d.properties);
  const encryption = obj(p.encryption);
  return {
    sku_name: String(obj(d.sku).name ?? ''),
    size_gb: typeof p.diskSizeGB === 'number' ? p.diskSizeGB : null,
    os_type: p.osType === 'Linux' || p.osType === 'Windows' ? p.osType : null,
    disk_state: String(p.diskState ?? ''),
    attached_to: text(d.managedBy),
    encryption_type:
      encryption.type === 'EncryptionAtRestWithCustomerKey' ||
      encryption.type === 'EncryptionAtRestWithPlatformAndCustomerKeys'
        ? encryption.type
        : 'EncryptionAtRestWithPlatformKey',
    disk_encryption_set_id: text(encryption.diskEncryptionSetId),
    // Azure Disk Encryption (BitLocker/dm-crypt inside the guest) records its settings on the disk.
    azure_disk_encryption: obj(p.encryptionSettingsCollection).enabled === true,
    network_access_policy:
      p.networkAccessPolicy === 'DenyAll' || p.networkAccessPolicy === 'AllowPrivate'
        ? p.networkAccessPolicy
        : 'AllowAll',
    public_network_access: text(p.publicNetworkAccess),
  };
}
