/**
 * Frameworks: the catalogs a tenant is scored against (the shared ones and its own uploads), their rule
 * coverage, and uploads: a catalog with its UCF mappings, checked like `frameworks lint` (400 with every
 * problem and its line; nothing stored), stored for the tenant only as the next revision of its framework
 * version, with a `framework.uploaded` ledger entry.
 */
import {
  SourceError,
  checkFrameworkUpload,
  frameworkCoverage,
  type FrameworkCoverage,
  type FrameworkUpload,
  type Frameworks,
} from '../../../engine/index.ts';
import { sha256Hex } from '../canonical.ts';
import { ApiError } from '../errors.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import type { EngineRuntime } from '../plugins/app/engine.ts';
import type { WithTenant } from '../plugins/app/tenancy.ts';
import { tenantFrameworks } from './catalogs.ts';
import {
  getTenantFramework,
  insertTenantFramework,
  listTenantFrameworks,
  type TenantFrameworkDetail,
  type TenantFrameworkSummary,
} from './store.ts';

/** One catalog in the list: its header, how many requirements, and whether the tenant uploaded it. */
export type FrameworkListItem = Omit<Frameworks['frameworks'][number], 'requirements'> & {
  requirements: number;
  uploaded: boolean;
};

/** A stored upload with the problems that did not stop it. */
export type UploadResult = TenantFrameworkSummary & {
  warnings: ReturnType<typeof checkFrameworkUpload>['warnings'];
};

export class FrameworkService {
  readonly #withTenant: WithTenant;
  readonly #engine: Pick<EngineRuntime, 'frameworks'>;
  readonly #ledger: LedgerService;
  constructor(withTenant: WithTenant, engine: Pick<EngineRuntime, 'frameworks'>, ledger: LedgerService) {
    this.#withTenant = withTenant;
    this.#engine = engine;
    this.#ledger = ledger;
  }

  /** The shared catalogs, and the frameworks the tenant is scored against: those and its own uploads. */
  async #catalogs(tenantId: string): Promise<{ base: Frameworks; merged: Frameworks }> {
    const base = await this.#engine.frameworks();
    return { base, merged: await this.#withTenant(tenantId, (trx) => tenantFrameworks(trx, base)) };
  }

  /** The UCF version and control count, and every catalog the tenant is scored against. */
  async list(
    tenantId: string,
  ): Promise<{ ucf_version: string; controls: number; items: FrameworkListItem[] }> {
    const { base, merged } = await this.#catalogs(tenantId);
    const { ucf_version, controls, frameworks } = merged;
    const shared = new Set(base.frameworks);
    return {
      ucf_version,
      controls: controls.length,
      items: frameworks.map((f) => ({
        ...f,
        requirements: f.requirements.length,
        uploaded: !shared.has(f),
      })),
    };
  }

  /** How far automated rules cover each framework, or only `only`: 404 FRAMEWORK_NOT_FOUND when it is none. */
  async coverage(tenantId: string, only?: { id: string; version?: string }): Promise<FrameworkCoverage[]> {
    const items = frameworkCoverage((await this.#catalogs(tenantId)).merged, only);
    if (only && items.length === 0) {
      throw new ApiError(
        'FRAMEWORK_NOT_FOUND',
        `no framework ${only.id}${only.version ? ` version ${only.version}` : ''}`,
      );
    }
    return items;
  }

  /** Checks and stores an upload as the next revision of its framework version (see the file comment). */
  async upload(tenantId: string, actor: string, upload: FrameworkUpload): Promise<UploadResult> {
    const checked = checkedUpload(upload, await this.#engine.frameworks());
    const stored = await this.#withTenant(tenantId, async (trx) => {
      const summary = await insertTenantFramework(trx, tenantId, {
        catalog: checked.catalog,
        mappings: checked.mappings,
        source_format: upload.format,
        sha256: sha256Hex(Buffer.from(upload.content, 'utf8')),
        uploaded_by: actor,
      });
      await this.#ledger.append(trx, tenantId, [
        {
          kind: 'framework.uploaded',
          actor,
          payload: {
            id: summary.id,
            framework_id: summary.framework_id,
            framework_version: summary.framework_version,
            revision: summary.revision,
            sha256: summary.sha256,
            requirements: summary.requirements,
            mappings: summary.mappings,
          },
        },
      ]);
      return summary;
    });
    return { ...stored, warnings: checked.warnings };
  }

  /** Every uploaded revision of the tenant. */
  uploads(tenantId: string): Promise<TenantFrameworkSummary[]> {
    return this.#withTenant(tenantId, (trx) => listTenantFrameworks(trx));
  }

  /** One uploaded revision with its catalog and mappings; 404 FRAMEWORK_NOT_FOUND when not the tenant's. */
  async uploadById(tenantId: string, id: string): Promise<TenantFrameworkDetail> {
    const found = await this.#withTenant(tenantId, (trx) => getTenantFramework(trx, id));
    if (!found) throw new ApiError('FRAMEWORK_NOT_FOUND', `no uploaded framework ${id}`);
    return found;
  }
}

/** The upload checked against the shared catalogs, or 400 VALIDATION_ERROR listing every problem. */
function checkedUpload(upload: FrameworkUpload, base: Frameworks): ReturnType<typeof checkFrameworkUpload> {
  try {
    return checkFrameworkUpload(upload, base);
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    throw new ApiError(
      'VALIDATION_ERROR',
      `the framework catalog is invalid: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}, first: line ${error.problems[0]!.line}: ${error.problems[0]!.message}`,
      { problems: error.problems },
    );
  }
}
