/**
 * SQL lives in the domain stores: outside `api/src/<domain>/store.ts` (and the migrations), no source file of
 * the API or the CLI names a table (`trx('scans')`, `knex('…')`), runs `.raw(…)` or opens a transaction. Test
 * files, api/test/ and bench/ are exempt: they set up and inspect databases directly.
 *
 * Infrastructure owns its own SQL (the database and tenancy plugins, and the job wake-ups' NOTIFY); no other
 * exception is left.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

/** A table named in a query builder call, a raw statement, or a transaction opened. */
const SQL = /\b(?:trx|knex|db)(?:<[^>]*>)?\(\s*['"`]|\.raw\(|\.transaction\(|\.from\(\s*['"]/;

/** Cross-cutting infrastructure: the database connection, the tenant transaction and the job wake-ups. */
const INFRASTRUCTURE = new Set([
  'api/src/plugins/external/db.ts',
  'api/src/plugins/app/tenancy.ts',
  'api/src/plugins/external/wakeups.ts',
]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('SQL only in store files', () => {
  const files = ['api/src', 'bin'].flatMap((dir) => sourceFiles(join(ROOT, dir)));
  const withSql = files
    .map((file) => relative(ROOT, file))
    .filter((file) => !file.endsWith('/store.ts') && !INFRASTRUCTURE.has(file))
    .filter((file) => SQL.test(readFileSync(join(ROOT, file), 'utf8')));

  it('recognises a query, a raw statement and a transaction', () => {
    for (const line of ["trx('scans').where({ id })", "trx.raw('select 1')", 'knex.transaction(work)'])
      expect(SQL.test(line), line).toBe(true);
    expect(SQL.test('app.scans.list(tenantId, query)')).toBe(false);
  });

  it('finds none outside store files', () => {
    expect(withSql).toEqual([]);
  });
});
