/**
 * CPU per API request (not a test): the app as the test files build it (api/test/helpers.ts startTestApp,
 * no worker), one seeded tenant with an admin signed in, then a fixed loop of authenticated GETs through
 * `app.inject`, on PGlite and (with COMPLYWISE_TEST_POSTGRES_URL) PostgreSQL. Prints the CPU of this
 * process over the loop (user + system) per request, and for PostgreSQL also the CPU of the server processes
 * serving the app's connections (/proc/<pid>/stat, same machine only).
 *
 *   node bench/requests/run.ts [--requests 2000] [--backend pglite|postgres|both]
 *
 * BENCH_WINDOW=1 also prints the loop's seconds since the process started (to cut a --cpu-prof profile).
 */
import { parseArgs } from 'node:util';
import { bearer, login, seedTenant, startTestApp } from '../../api/test/helpers.ts';
import { databaseBackends, type DatabaseBackend } from '../../test/db.ts';
import { cpuSeconds } from '../scale/harness.ts';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    backend: { type: 'string', default: 'both' },
  },
});
const REQUESTS = Number(args.requests);
/** Tenant-scoped reads every role may make: the auth hook, one tenancy transaction and a small answer. */
const URLS = ['/api/me', '/api/integrations', '/api/scans', '/api/scores', '/api/frameworks'];

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** User + system CPU (ms) of the given processes; one that ended counts nothing. */
function serverCpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + (cpuSeconds(pid) || 0) * 1000, 0);
}

async function run(backend: DatabaseBackend): Promise<void> {
  const t = await startTestApp(backend, { worker: false });
  try {
    const knex = t.app.db.knex;
    const user = await seedTenant(knex);
    const { access_token } = await login(t.app, user.email, user.password);
    const headers = bearer(access_token);
    const send = async (i: number) => {
      const response = await t.app.inject({ method: 'GET', url: URLS[i % URLS.length]!, headers });
      if (response.statusCode !== 200) throw new Error(`${URLS[i % URLS.length]}: ${response.statusCode}`);
    };
    for (let i = 0; i < 200; i++) await send(i); // warm-up: compiled paths, pool connections
    const pids =
      backend.name === 'postgres'
        ? (
            await knex.raw<{ rows: { pid: number }[] }>(
              `select pid from pg_stat_activity where datname = current_database()`,
            )
          ).rows.map((row) => Number(row.pid))
        : [];
    const server0 = serverCpuMs(pids);
    const cpu0 = cpuMs();
    const wall0 = performance.now();
    for (let i = 0; i < REQUESTS; i++) await send(i);
    const cpu = cpuMs() - cpu0;
    const wall = performance.now() - wall0;
    if (process.env.BENCH_WINDOW)
      console.log(`loop from ${(wall0 / 1000).toFixed(1)} s to ${(performance.now() / 1000).toFixed(1)} s`);
    const server = serverCpuMs(pids) - server0;
    console.log(
      `${backend.name.padEnd(8)} ${REQUESTS} GETs: node CPU ${(cpu / 1000).toFixed(2)} s ` +
        `(${((cpu / REQUESTS) * 1000).toFixed(0)} µs/request)` +
        (backend.name === 'postgres'
          ? `, server CPU ${(server / 1000).toFixed(2)} s (${pids.length} backends)`
          : '') +
        `, wall ${(wall / 1000).toFixed(2)} s`,
    );
  } finally {
    await t.close();
  }
}

for (const backend of databaseBackends())
  if (args.backend === 'both' || args.backend === backend.name) await run(backend);
