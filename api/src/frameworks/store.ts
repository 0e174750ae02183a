/**
 * The `tenant_frameworks` table: framework catalogs a tenant uploaded, each upload the next revision of its
 * framework version, with its UCF mappings. Every function runs in the caller's tenant transaction.
 */
import type { FrameworkCatalog, UcfMapping } from '../../../schemas/index.ts';
import type { Trx } from '../plugins/app/tenancy.ts';

/** One mapping of an uploaded catalog: a UCF control and how it relates to one of the catalog's requirements. */
export type TenantMapping = UcfMapping & { control_id: string };

export interface TenantFrameworkRow {
  framework_id: string;
  framework_version: string;
  revision: number;
  catalog: FrameworkCatalog;
  mappings: TenantMapping[];
}

/** The newest revision of each framework version the tenant of `trx` uploaded. */
export async function latestTenantFrameworks(trx: Trx): Promise<TenantFrameworkRow[]> {
  return (await trx('tenant_frameworks')
    .distinctOn('framework_id', 'framework_version')
    .select('framework_id', 'framework_version', 'revision', 'catalog', 'mappings')
    .orderBy([
      { column: 'framework_id' },
      { column: 'framework_version' },
      { column: 'revision', order: 'desc' },
    ])) as TenantFrameworkRow[];
}

/** What the API shows of one uploaded revision. */
export interface TenantFrameworkSummary {
  id: string;
  framework_id: string;
  framework_version: string;
  revision: number;
  title: string;
  requirements: number;
  mappings: number;
  source_format: string;
  sha256: string;
  uploaded_by: string;
  created_at: Date;
}

const SUMMARY_COLUMNS = [
  'id',
  'framework_id',
  'framework_version',
  'revision',
  'catalog',
  'mappings',
  'source_format',
  'sha256',
  'uploaded_by',
  'created_at',
];

type UploadRow = Omit<TenantFrameworkSummary, 'title' | 'requirements' | 'mappings'> & {
  catalog: FrameworkCatalog;
  mappings: TenantMapping[];
};

function summaryOf({ catalog, mappings, ...row }: UploadRow): TenantFrameworkSummary {
  return {
    ...row,
    title: catalog.title,
    requirements: catalog.requirements.length,
    mappings: mappings.length,
  };
}

/** Stores a validated upload as the next revision of its framework version. */
export async function insertTenantFramework(
  trx: Trx,
  tenantId: string,
  upload: {
    catalog: FrameworkCatalog;
    mappings: TenantMapping[];
    source_format: string;
    sha256: string;
    uploaded_by: string;
  },
): Promise<TenantFrameworkSummary> {
  const { catalog } = upload;
  const last = (await trx('tenant_frameworks')
    .max('revision as revision')
    .where({ framework_id: catalog.id, framework_version: catalog.version })
    .first()) as { revision: number | null } | undefined;
  const [row] = (await trx('tenant_frameworks')
    .insert({
      tenant_id: tenantId,
      framework_id: catalog.id,
      framework_version: catalog.version,
      revision: (last?.revision ?? 0) + 1,
      catalog: JSON.stringify(catalog),
      mappings: JSON.stringify(upload.mappings),
      source_format: upload.source_format,
      sha256: upload.sha256,
      uploaded_by: upload.uploaded_by,
    })
    .returning(SUMMARY_COLUMNS)) as UploadRow[];
  return summaryOf(row!);
}

/** Every uploaded revision of the tenant of `trx`, by framework, version and revision. */
export async function listTenantFrameworks(trx: Trx): Promise<TenantFrameworkSummary[]> {
  const rows = (await trx('tenant_frameworks')
    .select(SUMMARY_COLUMNS)
    .orderBy([
      { column: 'framework_id' },
      { column: 'framework_version' },
      { column: 'revision' },
    ])) as UploadRow[];
  return rows.map(summaryOf);
}

/** One uploaded revision with its catalog and mappings. */
export type TenantFrameworkDetail = TenantFrameworkSummary & {
  catalog: FrameworkCatalog;
  mappings_list: TenantMapping[];
};

/** One uploaded revision with its catalog and mappings, or undefined. */
export async function getTenantFramework(trx: Trx, id: string): Promise<TenantFrameworkDetail | undefined> {
  const row = (await trx('tenant_frameworks').select(SUMMARY_COLUMNS).where({ id }).first()) as
    UploadRow | undefined;
  return row && { ...summaryOf(row), catalog: row.catalog, mappings_list: row.mappings };
}
