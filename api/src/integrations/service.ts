/**
 * Integrations: connect, change, test and archive a tenant's provider accounts. Credentials are sealed under the
 * tenant's data key (plugins/app/crypto.ts) before they reach the store, and never leave it in a view.
 */
import { randomUUID } from 'node:crypto';
import type { PgBoss } from 'pg-boss';
import {
  AWS_SERVICES,
  PROVIDERS,
  testConnection,
  validateIntegration,
  type ConnectionResult,
  type EgressPolicy,
  type ScannableIntegration,
} from '../../../scanners/index.ts';
import { ApiError } from '../errors.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import type { CredentialVault } from '../plugins/app/crypto.ts';
import type { EngineRuntime } from '../plugins/app/engine.ts';
import type { Trx, WithTenant } from '../plugins/app/tenancy.ts';
import { SCAN_QUEUE, SCHEDULE_QUEUE } from '../plugins/external/boss.ts';
import { activeScansOf, markCancelled, scanCountOf } from '../scans/store.ts';
import { scorePosture } from '../scoring/compute.ts';
import {
  archiveIntegration,
  insertIntegration,
  integrationIdByName,
  integrationPage,
  loadIntegrationRecord,
  updateIntegration,
} from './store.ts';
import type {
  IntegrationChanges,
  IntegrationRecord,
  IntegrationView,
  NewIntegration,
  ProviderSettings,
} from './types.ts';

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
  const existing = await integrationIdByName(trx, input.name);
  const id = existing ?? randomUUID();
  const sealed = await vault.encrypt(trx, { tenantId, integrationId: id }, input.credentials);
  const values = {
    provider: input.provider,
    name: input.name,
    config: input.config,
    demo: input.demo ?? false,
    ...sealed,
  };
  return existing
    ? updateIntegration(trx, id, values)
    : insertIntegration(trx, { id, tenant_id: tenantId, ...values });
}

const notFound = (id: string) => new ApiError('INTEGRATION_NOT_FOUND', `no integration ${id}`);

/** 409 when the tenant already has an integration named `name`. */
async function assertNameFree(trx: Trx, name: string): Promise<void> {
  if (await integrationIdByName(trx, name)) {
    throw new ApiError('CONFLICT', `an integration named "${name}" already exists`);
  }
}

/** Tenant-scoped integration reads and writes. */
export class IntegrationService {
  readonly #withTenant: WithTenant;
  readonly #vault: CredentialVault;
  readonly #ledger: LedgerService;
  readonly #egress: EgressPolicy;
  readonly #boss: Pick<PgBoss, 'unschedule' | 'cancel'>;
  readonly #engine: Pick<EngineRuntime, 'frameworks'>;
  constructor(
    withTenant: WithTenant,
    vault: CredentialVault,
    ledger: LedgerService,
    egress: EgressPolicy,
    boss: Pick<PgBoss, 'unschedule' | 'cancel'>,
    engine: Pick<EngineRuntime, 'frameworks'>,
  ) {
    this.#withTenant = withTenant;
    this.#vault = vault;
    this.#ledger = ledger;
    this.#egress = egress;
    this.#boss = boss;
    this.#engine = engine;
  }

  async #load(trx: Trx, id: string): Promise<IntegrationRecord> {
    const record = await loadIntegrationRecord(trx, id);
    if (!record) throw notFound(id);
    return record;
  }

  /**
   * Every provider an integration can be made for, with the JSON Schema of its config and credentials
   * (secrets `writeOnly`): what the app builds its forms from. The same for every tenant.
   */
  providers(): { items: ProviderSettings[] } {
    return {
      items: Object.values(PROVIDERS).map((provider) => ({
        id: provider.id,
        name: provider.name,
        config: provider.settings.config,
        credentials: provider.settings.credentials,
      })),
    };
  }

  /** One page of the tenant's integrations; archived ones only with `include: 'archived'`. */
  list(
    tenantId: string,
    options: { limit: number; cursor?: string; provider?: string; include?: 'archived' },
  ): Promise<{ items: IntegrationView[]; next_cursor: string | null }> {
    const { include, ...page } = options;
    return this.#withTenant(tenantId, (trx) =>
      integrationPage(trx, { ...page, archived: include === 'archived' }),
    );
  }

  /**
   * Creates an integration of any scannable provider after checking its config and credentials (400
   * VALIDATION_ERROR with the fields); a name already used in the tenant answers 409.
   */
  create(tenantId: string, actor: string, submitted: NewIntegration): Promise<IntegrationView> {
    const input = checkedIntegration(submitted, this.#egress);
    return this.#withTenant(tenantId, async (trx) => {
      await assertNameFree(trx, input.name);
      const created = await upsertIntegration(trx, this.#vault, tenantId, { ...input, demo: false });
      await this.#ledger.append(trx, tenantId, [
        {
          kind: 'integration.created',
          actor,
          payload: { integration_id: created.id, provider: created.provider, name: created.name },
        },
      ]);
      return created;
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
      if (changes.name !== undefined && changes.name !== record.name) await assertNameFree(trx, changes.name);
      const sealed = changes.credentials ? await this.#vault.encrypt(trx, target, checked.credentials) : {};
      const view = await updateIntegration(trx, id, {
        name: checked.name,
        config: checked.config,
        ...sealed,
      });
      const fields = (['name', 'config', 'credentials'] as const).filter((f) => changes[f] !== undefined);
      await this.#ledger.append(trx, tenantId, [
        { kind: 'integration.updated', actor, payload: { integration_id: id, fields } },
      ]);
      return view;
    });
  }

  /**
   * Archives an integration (what DELETE does): its credentials are destroyed and its schedule cleared, its
   * queued and running scans cancelled, and the tenant's posture is recomputed at once without it (a scoring
   * event `integration_archived`). Its scans, findings and evidence stay, unchanged, for audit: the scans
   * list and the explorer by scan still read them, the integrations list shows it with `include=archived`.
   * Its name is free again. 404 for an unknown or already archived integration.
   */
  async archive(tenantId: string, actor: string, id: string): Promise<void> {
    const base = await this.#engine.frameworks();
    const now = new Date();
    const cancelled = await this.#withTenant(tenantId, async (trx) => {
      const archived = await archiveIntegration(trx, id);
      if (!archived) throw notFound(id);
      const active = await activeScansOf(trx, id);
      for (const scan of active) await markCancelled(trx, scan.id);
      const scans = await scanCountOf(trx, id);
      const posture = await scorePosture(trx, tenantId, base, now, {
        reason: 'integration_archived',
        integration_id: id,
      });
      await this.#ledger.append(trx, tenantId, [
        ...active.map((scan) => ({
          kind: 'scan.cancelled',
          actor,
          payload: { scan_id: scan.id, previous_status: scan.status, reason: 'integration archived' },
        })),
        {
          kind: 'integration.archived',
          actor,
          payload: {
            integration_id: id,
            provider: archived.provider,
            name: archived.name,
            scans_kept: scans,
            credentials: 'destroyed',
          },
        },
        ...(posture
          ? [
              {
                kind: 'scores.recomputed',
                actor,
                payload: {
                  event_id: posture.event_id,
                  reason: 'integration archived',
                  integration_id: id,
                  sources: posture.sources,
                  scores: posture.scores.map((s) => ({
                    framework_id: s.framework_id,
                    framework_version: s.framework_version,
                    score: s.score,
                  })),
                },
              },
            ]
          : []),
      ]);
      return active.map((scan) => scan.id);
    });
    // After the commit: no timer fires for it again, and the cancelled scans' jobs are dropped (a running one
    // loses its claim; the worker also skips a cancelled scan, so this is best effort, as for a cancel).
    await this.#boss.unschedule(SCHEDULE_QUEUE, id);
    for (const scanId of cancelled) await this.#boss.cancel(SCAN_QUEUE, scanId).catch(() => {});
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
