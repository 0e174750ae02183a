/**
 * Scan schedules: one cron expression per integration (UTC, minute resolution). The expression is stored on
 * the integration row (tenant-isolated like the rest of it) and registered with pg-boss's scheduler under
 * the integration id as key, which sends a job to SCHEDULE_QUEUE at each occurrence (one job per occurrence
 * however many instances run, pg-boss's own guarantee). The worker turns that job into a normal queued scan,
 * after checking the row still carries a schedule: a schedule cleared or an integration archived since is
 * unregistered instead of scanned (archiving also unregisters it: IntegrationService.archive).
 */
import type { PgBoss } from 'pg-boss';
import { ApiError } from '../errors.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import { SCHEDULE_QUEUE } from '../plugins/external/boss.ts';
import type { WithTenant } from '../plugins/app/tenancy.ts';
import type { ScanService } from '../scans/service.ts';
import { scheduleOf, writeSchedule } from './store.ts';
import type { ScheduleJobData, ScheduleView } from './types.ts';

const notFound = (integrationId: string) =>
  new ApiError('INTEGRATION_NOT_FOUND', `no integration ${integrationId}`);

/** Five fields (minute hour day-of-month month day-of-week): no seconds field, so at most one scan a minute. */
const FIVE_FIELDS = /^\S+(\s+\S+){4}$/;

export class ScheduleService {
  readonly #withTenant: WithTenant;
  readonly #boss: PgBoss;
  readonly #scans: ScanService;
  readonly #ledger: LedgerService;

  constructor(withTenant: WithTenant, boss: PgBoss, scans: ScanService, ledger: LedgerService) {
    this.#withTenant = withTenant;
    this.#boss = boss;
    this.#scans = scans;
    this.#ledger = ledger;
  }

  /** The next `count` occurrences of `cron`, or 400 VALIDATION_ERROR naming the `cron` field. */
  nextRuns(cron: string, count = 3): Date[] {
    const invalid = (message: string) =>
      new ApiError('VALIDATION_ERROR', `cron ${message}`, [{ field: 'cron', message }]);
    if (!FIVE_FIELDS.test(cron.trim())) {
      throw invalid('must have five fields: minute hour day-of-month month day-of-week');
    }
    try {
      return this.#boss.previewSchedule(cron.trim(), { tz: 'UTC', count });
    } catch (error) {
      throw invalid(`is not a valid cron expression (${(error as Error).message})`);
    }
  }

  async get(tenantId: string, integrationId: string): Promise<ScheduleView> {
    const cron = await this.#withTenant(tenantId, async (trx) => {
      const cron = await scheduleOf(trx, integrationId);
      if (cron === undefined) throw notFound(integrationId);
      return cron;
    });
    return { integration_id: integrationId, cron, next_runs: cron ? this.nextRuns(cron) : [] };
  }

  /** Sets (or replaces) the integration's schedule; 404 when the integration is not the tenant's. */
  async set(tenantId: string, integrationId: string, input: string, actor: string): Promise<ScheduleView> {
    const cron = input.trim();
    const nextRuns = this.nextRuns(cron);
    await this.#withTenant(tenantId, async (trx) => {
      if (!(await writeSchedule(trx, integrationId, cron))) throw notFound(integrationId);
      await this.#ledger.append(trx, tenantId, [
        { kind: 'integration.schedule_set', actor, payload: { integration_id: integrationId, cron } },
      ]);
    });
    const data: ScheduleJobData = { tenant_id: tenantId, integration_id: integrationId };
    await this.#boss.schedule(SCHEDULE_QUEUE, cron, data, { key: integrationId, tz: 'UTC' });
    return { integration_id: integrationId, cron, next_runs: nextRuns };
  }

  /** Clears the integration's schedule (nothing to clear is fine); 404 when the integration is not the tenant's. */
  async clear(tenantId: string, integrationId: string, actor: string): Promise<void> {
    await this.#withTenant(tenantId, async (trx) => {
      const current = await scheduleOf(trx, integrationId, { lock: true });
      if (current === undefined) throw notFound(integrationId);
      if (current === null) return;
      await writeSchedule(trx, integrationId, null);
      await this.#ledger.append(trx, tenantId, [
        { kind: 'integration.schedule_cleared', actor, payload: { integration_id: integrationId } },
      ]);
    });
    await this.#boss.unschedule(SCHEDULE_QUEUE, integrationId);
  }

  /**
   * One occurrence: queues a scan of the integration if it still has a schedule; returns the scan id, or
   * null (and unregisters the timer) when the schedule or the integration is gone.
   */
  async fire(data: ScheduleJobData): Promise<string | null> {
    const scheduled = await this.#withTenant(data.tenant_id, async (trx) =>
      Boolean(await scheduleOf(trx, data.integration_id)),
    );
    if (!scheduled) {
      await this.#boss.unschedule(SCHEDULE_QUEUE, data.integration_id);
      return null;
    }
    const scan = await this.#scans.create(data.tenant_id, data.integration_id);
    return scan.id;
  }
}
