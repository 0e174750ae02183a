/**
 * A tenant's retention settings and legal hold: read and changed in the tenant's transaction, each change
 * appended to the tenant's ledger in that transaction. A tenant without a row keeps everything (every
 * window unset) and has no hold.
 */
import type { LedgerService } from '../ledger/ledger.ts';
import type { WithTenant } from '../plugins/app/tenancy.ts';
import {
  RETENTION_WINDOWS,
  settingsRow,
  upsertSettings,
  type RetentionRow,
  type RetentionWindows,
} from './store.ts';

export interface RetentionSettings extends RetentionWindows {
  legal_hold: { active: boolean; reason: string | null; set_by: string | null; set_at: Date | null };
  updated_at: Date | null;
  updated_by: string | null;
}

const windowsOf = (row: RetentionWindows | undefined): RetentionWindows =>
  Object.fromEntries(RETENTION_WINDOWS.map((w) => [w, row?.[w] ?? null])) as RetentionWindows;

function toSettings(row: RetentionRow | undefined): RetentionSettings {
  return {
    ...windowsOf(row),
    legal_hold: {
      active: row?.legal_hold ?? false,
      reason: row?.legal_hold_reason ?? null,
      set_by: row?.legal_hold_set_by ?? null,
      set_at: row?.legal_hold_set_at ?? null,
    },
    updated_at: row?.updated_at ?? null,
    updated_by: row?.updated_by ?? null,
  };
}

// Every change reads the current row FOR UPDATE: two admins changing settings at once apply one after the
// other, each ledger entry exact.
export class RetentionService {
  readonly #withTenant: WithTenant;
  readonly #ledger: LedgerService;

  constructor(withTenant: WithTenant, ledger: LedgerService) {
    this.#withTenant = withTenant;
    this.#ledger = ledger;
  }

  /** The tenant's settings (defaults when it never set any). */
  read(tenantId: string): Promise<RetentionSettings> {
    return this.#withTenant(tenantId, async (trx) => toSettings(await settingsRow(trx, tenantId)));
  }

  /** Changes the given windows (the others keep their value) and records before/after in the ledger. */
  update(tenantId: string, actor: string, changes: Partial<RetentionWindows>): Promise<RetentionSettings> {
    return this.#withTenant(tenantId, async (trx) => {
      const before = windowsOf(await settingsRow(trx, tenantId, { lock: true }));
      const row = await upsertSettings(trx, tenantId, { ...before, ...changes, updated_by: actor });
      await this.#ledger.append(trx, tenantId, [
        { kind: 'retention.settings.changed', actor, payload: { before, after: windowsOf(row) } },
      ]);
      return toSettings(row);
    });
  }

  /** Puts the tenant under legal hold (or changes the reason of the current one): nothing is pruned while on. */
  setLegalHold(tenantId: string, actor: string, reason: string): Promise<RetentionSettings> {
    return this.#withTenant(tenantId, async (trx) => {
      const before = await settingsRow(trx, tenantId, { lock: true });
      const row = await upsertSettings(trx, tenantId, {
        legal_hold: true,
        legal_hold_reason: reason,
        legal_hold_set_by: actor,
        legal_hold_set_at: new Date(),
      });
      await this.#ledger.append(trx, tenantId, [
        { kind: 'legal_hold.set', actor, payload: { reason, was_active: before?.legal_hold ?? false } },
      ]);
      return toSettings(row);
    });
  }

  /** Lifts the legal hold; a no-op (no ledger entry) when none is on. */
  releaseLegalHold(tenantId: string, actor: string): Promise<RetentionSettings> {
    return this.#withTenant(tenantId, async (trx) => {
      const before = await settingsRow(trx, tenantId, { lock: true });
      if (!before?.legal_hold) return toSettings(before);
      const row = await upsertSettings(trx, tenantId, {
        legal_hold: false,
        legal_hold_reason: null,
        legal_hold_set_by: null,
        legal_hold_set_at: null,
      });
      await this.#ledger.append(trx, tenantId, [
        {
          kind: 'legal_hold.released',
          actor,
          payload: {
            reason: before.legal_hold_reason,
            set_by: before.legal_hold_set_by,
            set_at: before.legal_hold_set_at?.toISOString() ?? null,
          },
        },
      ]);
      return toSettings(row);
    });
  }
}
