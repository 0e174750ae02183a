/** Reads evidence for a tenant: only what its `evidence` rows name (row-level security), bytes from the store. */
import { ApiError } from '../errors.ts';
import type { EvidenceStore } from '../plugins/app/evidence.ts';
import type { WithTenant } from '../plugins/app/tenancy.ts';
import { EVIDENCE_CONTENT_TYPE, evidenceRecord } from './store.ts';

export interface EvidenceView {
  sha256: string;
  size: number;
  content_type: string;
  created_at: Date;
  /** The parsed canonical JSON. */
  content: unknown;
}

export class EvidenceService {
  readonly #withTenant: WithTenant;
  readonly #store: EvidenceStore;
  constructor(withTenant: WithTenant, store: EvidenceStore) {
    this.#withTenant = withTenant;
    this.#store = store;
  }

  async read(tenantId: string, sha256: string): Promise<EvidenceView> {
    const row = await this.#withTenant(tenantId, (trx) => evidenceRecord(trx, sha256));
    if (!row) throw new ApiError('EVIDENCE_NOT_FOUND', `no evidence ${sha256}`);
    // Only JSON artifacts read back here; a report file is downloaded from its report (/api/reports).
    if (row.content_type !== EVIDENCE_CONTENT_TYPE)
      throw new ApiError(
        'EVIDENCE_NOT_FOUND',
        `${sha256} is a ${row.content_type} file, not a JSON artifact`,
      );
    const bytes = await this.#store.get(sha256);
    if (!bytes) throw new Error(`evidence ${sha256} is recorded but missing from the store`);
    return { ...row, content: JSON.parse(bytes.toString('utf8')) };
  }
}
