/**
 * Integrations: connected provider accounts. Their configuration (account, region, endpoint) is stored in
 * clear; their credentials only encrypted (see crypto.ts) and never selected into anything the API returns.
 */
import { randomUUID } from 'node:crypto';
import fp from 'fastify-plugin';
import {
  AWS_SERVICES,
  testConnection,
  validateIntegration,
  type ConnectionResult,
  type EgressPolicy,
  type ScannableIntegration,
} from '../../../../scanners/index.ts';
import { ApiError } from '../../errors.ts';
import type { LedgerService } from '../../ledger/ledger.ts';
import { applyPage, decodeCursor, toPage, type SortKey } from '../../pagination.ts';
import { scanCountOf } from '../../scans/store.ts';
import type { CredentialVault, EncryptedCredentials } from './crypto.ts';
import type { Trx, WithTenant } from './tenancy.ts';

/** What the API shows of an integration (never its credentials). */
export interface IntegrationView {
  id: string;
  provider: string;
  name: string;
  config: Record<string, unknown>;
  demo: boolean;
  created_at: Date;
  updated_at: Date;
}

/** An integration with its sealed credentials, for the scan worker only. */
export interface IntegrationRecord extends IntegrationView, EncryptedCredentials {}

export const INTEGRATION_VIEW_COLUMNS = [
  'id',
  'provider',
  'name',
  'config',
  'demo',
  'created_at',
  'updated_at',
];

/** An integration to store: any provider a scanner exists for, its config and (to be sealed) credentials. */
export type NewIntegration = ScannableIntegration & { name: string; demo?: boolean };

/**
 * Checks an integration's config and credentials with the scanners' own shape rules and fills in the
 * defaults new integrations get (AWS: every service). Its URL settings must be ones the egress policy
 * lets a scan call: an internal address or a host the operator has not allowed is refused here, at save
 * time, rather than at the first scan. Throws 400 VALIDATION_ERROR naming each bad field; the messages
 * never quote a value, so no secret is echoed back.
 */
export function checkedIntegration(input: NewIntegration, egress: EgressPolicy): NewIntegration {
  const problems = validateIntegration(input.provider, input.config, input.credentials, egress);
  if (problems.length > 0) {
    throw new ApiError(
      'VALIDATION_ERROR',
      `the ${String(input.provider)} integration is invalid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
      problems.map(({ field, message }) => ({ field, message })),
    );
  }
  // Absent services means the legacy S3-only scan; an integration created now scans everything.
  if (input.provider === 'aws' && input.config.services === undefined) {
    return { ...input, config: { ...input.config, services: [...AWS_SERVICES] } };
  }
  return input;
}

/** What PATCH may change; credentials, when given, replace the stored ones entirely. */
export interface IntegrationChanges {
  name?: string;
  config?: Record<string, unknown>;
  credentials?: Record<string, unknown>;
}

const notFound = (id: string) => new ApiError('INTEGRATION_NOT_FOUND', `no integration ${id}`);

/** Loads one integration with its sealed credentials; `trx` is tenant-scoped. Null when not visible. */
export async function loadIntegrationRecord(trx: Trx, id: string): Promise<IntegrationRecord | null> {
  const row: IntegrationRecord | undefined = await trx('integrations')
    .select([
      ...INTEGRATION_VIEW_COLUMNS,
      'credentials_ciphertext',
      'credentials_iv',
      'credentials_tag',
      'key_version',
    ])
    .where({ id })
    .first();
  return row ?? null;
}

/**
 * Inserts an integration, or (same tenant and name) replaces its config and credentials. `trx` must be
 * scoped to `tenantId`. Returns the integration's view.
 */
export async function upsertIntegration(
  trx: Trx,
  vault: CredentialVault,
  tenantId: string,
  input: NewIntegration,
): Promise<IntegrationView> {
  const existing: { id: string } | undefined = await trx('integrations')
    .select('id')
    .where({ name: input.name })
    .first();
  const id = existing?.id ?? randomUUID();
  const sealed = await vault.encrypt(trx, { tenantId, integrationId: id }, input.credentials);
  const values = {
    provider: input.provider,
    name: input.name,
    config: JSON.stringify(input.config),
    demo: input.demo ?? false,
    ...sealed,
  };
  const [view] = existing
    ? await trx('integrations')
        .where({ id })
        .update({ ...values, updated_at: trx.fn.now() })
        .returning(INTEGRATION_VIEW_COLUMNS)
    : await trx('integrations')
        .insert({ id, tenant_id: tenantId, ...values })
        .returning(INTEGRATION_VIEW_COLUMNS);
  return view as IntegrationView;
}

/** Tenant-scoped integration reads and writes. */
export class IntegrationService {
  readonly #withTenant: WithTenant;
  readonly #vault: CredentialVault;
  readonly #ledger: LedgerService;
  readonly #egress: EgressPolicy;
  constructor(withTenant: WithTenant, vault: CredentialVault, ledger: LedgerService, egress: EgressPolicy) {
    this.#withTenant = withTenant;
    this.#vault = vault;
    this.#ledger = ledger;
    this.#egress = egress;
  }

  async #load(trx: Trx, id: string): Promise<IntegrationRecord> {
    const record = await loadIntegrationRecord(trx, id);
    if (!record) throw notFound(id);
    return record;
  }

  list(
    tenantId: string,
    options: { limit: number; cursor?: string; provider?: string },
  ): Promise<{ items: IntegrationView[]; next_cursor: string | null }> {
    // Names are unique per tenant; the id keeps the order total anyway.
    const order: SortKey[] = [
      { column: 'name', direction: 'asc' },
      { column: 'id', direction: 'asc' },
    ];
    const after = options.cursor ? decodeCursor(options.cursor, 'name', order) : null;
    return this.#withTenant(tenantId, async (trx) => {
      const query = trx('integrations').select(INTEGRATION_VIEW_COLUMNS);
      if (options.provider) query.where({ provider: options.provider });
      const rows = (await applyPage(query, order, after, options.limit)) as IntegrationView[];
      return toPage(
        rows as unknown as Record<string, unknown>[],
        options.limit,
        'name',
        order,
      ) as unknown as {
        items: IntegrationView[];
        next_cursor: string | null;
      };
    });
  }

  /**
   * Creates an integration of any scannable provider after checking its config and credentials (400
   * VALIDATION_ERROR with the fields); a name already used in the tenant answers 409.
   */
  create(tenantId: string, submitted: NewIntegration): Promise<IntegrationView> {
    const input = checkedIntegration(submitted, this.#egress);
    return this.#withTenant(tenantId, async (trx) => {
      const taken = await trx('integrations').select('id').where({ name: input.name }).first();
      if (taken) throw new ApiError('CONFLICT', `an integration named "${input.name}" already exists`);
      return upsertIntegration(trx, this.#vault, tenantId, { ...input, demo: false });
    });
  }

  /**
   * Changes name, config and/or credentials. The result is checked like a new integration (the stored
   * credentials are opened to check them against a new config); new credentials are sealed under the
   * tenant's current data key. The ledger entry names the changed fields, never a value of a credential.
   */
  update(tenantId: string, actor: string, id: string, changes: IntegrationChanges): Promise<IntegrationView> {
    return this.#withTenant(tenantId, async (trx) => {
      const record = await this.#load(trx, id);
      const target = { tenantId, integrationId: id };
      const credentials = changes.credentials ?? (await this.#vault.decrypt(trx, target, record));
      const checked = checkedIntegration(
        {
          provider: record.provider,
          name: changes.name ?? record.name,
          config: changes.config ?? record.config,
          credentials,
        } as NewIntegration,
        this.#egress,
      );
      if (changes.name !== undefined && changes.name !== record.name) {
        const taken = await trx('integrations').select('id').where({ name: changes.name }).first();
        if (taken) throw new ApiError('CONFLICT', `an integration named "${changes.name}" already exists`);
      }
      const sealed = changes.credentials ? await this.#vault.encrypt(trx, target, checked.credentials) : {};
      const [view] = await trx('integrations')
        .where({ id })
        .update({
          name: checked.name,
          config: JSON.stringify(checked.config),
          ...sealed,
          updated_at: trx.fn.now(),
        })
        .returning(INTEGRATION_VIEW_COLUMNS);
      const fields = (['name', 'config', 'credentials'] as const).filter((f) => changes[f] !== undefined);
      await this.#ledger.append(trx, tenantId, [
        { kind: 'integration.updated', actor, payload: { integration_id: id, fields } },
      ]);
      return view as IntegrationView;
    });
  }

  /**
   * Deletes an integration that no scan references. Scans (their findings, scores and the ledger entries
   * that point at them) are history and are never deleted with it: while any exists the answer is 409
   * INTEGRATION_IN_USE.
   */
  delete(tenantId: string, actor: string, id: string): Promise<void> {
    return this.#withTenant(tenantId, async (trx) => {
      const record = await this.#load(trx, id);
      const n = await scanCountOf(trx, id);
      if (n > 0) {
        throw new ApiError(
          'INTEGRATION_IN_USE',
          `the integration has ${n} scan(s) in its history, which are kept: it cannot be deleted`,
          { scans: n },
        );
      }
      await trx('integrations').where({ id }).delete();
      await this.#ledger.append(trx, tenantId, [
        {
          kind: 'integration.deleted',
          actor,
          payload: { integration_id: id, provider: record.provider, name: record.name },
        },
      ]);
    });
  }

  /**
   * Opens the credentials and makes the provider's cheapest identity call (scanners/connection.ts), where
   * the egress policy allows. The provider call runs outside the transaction, so no database connection
   * waits on the network.
   */
  async test(tenantId: string, actor: string, id: string): Promise<ConnectionResult> {
    const integration = await this.#withTenant(tenantId, async (trx) => {
      const record = await this.#load(trx, id);
      const credentials = await this.#vault.decrypt(trx, { tenantId, integrationId: id }, record);
      return { provider: record.provider, config: record.config, credentials } as ScannableIntegration;
    });
    const result = await testConnection(integration, { egress: this.#egress });
    await this.#ledger.record(tenantId, [
      {
        kind: 'integration.tested',
        actor,
        payload: { integration_id: id, ok: result.ok, ...(result.ok ? {} : { code: result.code }) },
      },
    ]);
    return result;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    integrations: IntegrationService;
  }
}

/** Decorates `app.integrations`. */
export const integrationsPlugin = fp(
  async (app) => {
    app.decorate(
      'integrations',
      new IntegrationService(app.withTenant, app.vault, app.ledger, app.egress.policy),
    );
  },
  { name: 'integrations', dependencies: ['tenancy', 'crypto', 'ledger', 'egress'] },
);
