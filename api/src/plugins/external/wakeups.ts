/**
 * Job wake-ups across processes, over PostgreSQL's LISTEN/NOTIFY. pg-boss finds jobs by polling each queue
 * (every `jobs.pollSeconds`), so a job another process sent (the API queueing a scan, a worker dispatching a
 * split scan's parts) waited up to that long for a worker to look, and the parts of a split scan piled onto
 * the planning worker, the only one told of them. Announcing the queue wakes every worker of it at once, in
 * every process. Polling stays on: a lost notification (the listening connection down, a restart) costs only
 * the poll interval, never a job. On PGlite every worker is in this process, so an announcement is a call.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import fp from 'fastify-plugin';
import pg from 'pg';
import type { Database } from './db.ts';

/** The channel every process announces on and listens to; the payload is `<origin> <queue>`. */
export const WAKEUP_CHANNEL = 'complywise_jobs';

/** How the listening connection names itself in pg_stat_activity. */
export const WAKEUP_APPLICATION_NAME = 'complywise-wakeups';

/** Where the wake-ups report a listening connection that dropped (never a secret: no URL is logged). */
export interface WakeupLog {
  warn(details: object, message: string): void;
}

/** Announces queues to every process's workers and wakes this process's workers when any process announces. */
export class JobWakeups {
  readonly #db: Database;
  readonly #log: WakeupLog;
  readonly #reconnectMs: number;
  /** This process's mark on its announcements: its own come back through NOTIFY and are skipped there. */
  readonly #origin = randomUUID();
  readonly #listeners = new Map<string, Set<() => void>>();
  #client: pg.Client | null = null;
  #listening: Promise<void> | null = null;
  #closed = false;

  constructor(db: Database, log: WakeupLog, options: { reconnectMs?: number } = {}) {
    this.#db = db;
    this.#log = log;
    this.#reconnectMs = options.reconnectMs ?? 1000;
  }

  /**
   * Tells the workers of `queue`, here and in every other process, that a job waits. Call it after the send
   * committed. Best effort: a failed NOTIFY is logged and the workers find the job at their next poll.
   */
  async announce(queue: string): Promise<void> {
    this.#wake(queue);
    if (this.#db.kind !== 'postgres') return;
    try {
      await this.#db.knex.raw('select pg_notify(?, ?)', [WAKEUP_CHANNEL, `${this.#origin} ${queue}`]);
    } catch (error) {
      this.#log.warn(
        { err: error, queue },
        'could not announce a job; workers will find it at their next poll',
      );
    }
  }

  /**
   * Calls `wake` whenever any process announces `queue`. On PostgreSQL the first listener opens the one
   * listening connection; resolves once it listens (or, if it cannot connect, after logging: polling goes on).
   */
  async listen(queue: string, wake: () => void): Promise<void> {
    const set = this.#listeners.get(queue) ?? new Set();
    set.add(wake);
    this.#listeners.set(queue, set);
    if (this.#db.kind === 'postgres') await (this.#listening ??= this.#connect());
  }

  /** Stops listening; announcements still wake this process's own workers until they stop. */
  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }

  #wake(queue: string): void {
    for (const wake of this.#listeners.get(queue) ?? []) wake();
  }

  /** Opens the listening connection; when it drops, opens another after a pause, until closed. */
  async #connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#db.url,
      application_name: WAKEUP_APPLICATION_NAME,
    });
    client.on('notification', (message) => {
      const [origin, queue] = (message.payload ?? '').split(' ');
      if (origin !== this.#origin && queue) this.#wake(queue);
    });
    const reconnect = (error: unknown) => {
      if (this.#closed || this.#client !== client) return;
      this.#client = null;
      this.#log.warn({ err: error }, 'job wake-ups: listening connection lost; reconnecting');
      void sleep(this.#reconnectMs).then(() => {
        if (!this.#closed) this.#listening = this.#connect();
      });
    };
    client.on('error', reconnect);
    client.on('end', () => reconnect(new Error('connection ended')));
    this.#client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${WAKEUP_CHANNEL}`);
      if (this.#closed) await client.end();
    } catch (error) {
      reconnect(error);
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    wakeups: JobWakeups;
  }
}

/** Decorates `app.wakeups`; closes the listening connection before the database closes. */
export const wakeupsPlugin = fp(
  async (app) => {
    const wakeups = new JobWakeups(app.db, app.log.child({ component: 'job-wakeups' }));
    app.decorate('wakeups', wakeups);
    app.addHook('onClose', () => wakeups.close());
  },
  { name: 'wakeups', dependencies: ['db'] },
);
