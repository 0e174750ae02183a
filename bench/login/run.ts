/**
 * Login timing benchmark (not a test): does a failed login tell whether the e-mail has an account? The real
 * app (in-process, `app.inject`) on a fresh database of each backend; one tenant with one admin. Interleaved
 * `--tries` rounds of: a wrong password for the known e-mail, then any password for an unknown e-mail. Prints
 * both medians and their ratio (known / unknown) per backend; within noise is what issue 14 asks.
 *
 *   node bench/login/run.ts [--tries 200]
 * PostgreSQL too when COMPLYWISE_TEST_POSTGRES_URL is set (test/db.ts).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { databaseBackends } from '../../test/db.ts';
import { seedTenant, startTestApp } from '../../api/test/helpers.ts';

const { values } = parseArgs({ options: { tries: { type: 'string', default: '200' } } });
const tries = Number(values.tries);

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

for (const backend of databaseBackends()) {
  // A generous rate limit: the benchmark measures the work behind the limit, not the limit.
  const t = await startTestApp(backend, {
    worker: false,
    configOverrides: { loginAttemptsPerMinute: 100_000 },
  });
  try {
    const admin = await seedTenant(t.database.knex);
    const attempt = async (email: string) => {
      const started = performance.now();
      const answer = await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email, password: 'not-the-password-at-all' },
      });
      const elapsed = performance.now() - started;
      if (answer.statusCode !== 401) throw new Error(`expected 401, got ${answer.statusCode} ${answer.body}`);
      return elapsed;
    };
    // Warm-up: argon2, the connection, the query plans.
    for (let i = 0; i < 10; i += 1) {
      await attempt(admin.email);
      await attempt(`warm-${i}@nobody.example`);
    }
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < tries; i += 1) {
      known.push(await attempt(admin.email));
      unknown.push(await attempt(`nobody-${i}@nobody.example`));
    }
    const k = median(known);
    const u = median(unknown);
    console.log(
      `${backend.name}: ${tries} tries each, median known-wrong ${k.toFixed(1)} ms, unknown ${u.toFixed(1)} ms, ratio known/unknown ${(k / u).toFixed(3)}`,
    );
  } finally {
    await t.close();
  }
}
