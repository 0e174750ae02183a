/**
 * Integrations: connected provider accounts. Their configuration (account, region, endpoint) is stored in
 * clear; their credentials only encrypted (see crypto.ts) and never selected into anything the API returns.
 */
import { randomUUID } from 'node:crypto';
import fp from 'fastify-plugin';
import { AWS_SERVICES, validateIntegration, type ScannableIntegration } from '../../../../scanners/index.ts';
import { ApiError } from '../../errors.ts';
import { applyPage, decodeCursor, toPage, type SortKey } from '../../pagination.ts';
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
 * defaults new integrations get (AWS: every service). Throws 400 VALIDATION_ERROR naming each bad field;
 * the messages never quote a value, so no secret is echoed back.
 */
export function checkedIntegration(input: NewIntegration): NewIntegration {
  const problems = validateIntegration(input.provider, input.config, input.credentials);
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
  constructor(withTenant: WithTenant, vault: CredentialVault) {
    this.#withTenant = withTenant;
    this.#vault = vault;
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
    const input = checkedIntegration(submitted);
    return this.#withTenant(tenantId, async (trx) => {
      const taken = await trx('integrations').select('id').where({ name: input.name }).first();
      if (taken) throw new ApiError('CONFLICT', `an integration named "${input.name}" already exists`);
      return upsertIntegration(trx, this.#vault, tenantId, { ...input, demo: false });
    });
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
    app.decorate('integrations', new IntegrationService(app.withTenant, app.vault));
  },
  { name: 'integrations', dependencies: ['tenancy', 'crypto'] },
);
