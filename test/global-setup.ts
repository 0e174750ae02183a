/**
 * vitest globalSetup: builds the migrated database templates (test/db-template.ts) once, before any test
 * file runs, so the workers clone them instead of racing to build them. Both are kept between runs and
 * rebuilt only when a migration changes; PostgreSQL's only when the suite runs on it.
 */
import { ensurePgliteTemplate, ensurePostgresTemplate } from './db-template.ts';

export async function setup(): Promise<void> {
  await ensurePgliteTemplate();
  const adminUrl = process.env.COMPLYWISE_TEST_POSTGRES_URL;
  if (adminUrl) await ensurePostgresTemplate(adminUrl);
}
