/** For tests of one migration: the database brought up to just before it, to store data as older versions did. */
import type { Knex } from 'knex';
import { migrationSource } from '../migrations/index.ts';

/** Applies every migration before `name` (throws if `name` was applied already or does not exist). */
export async function migrateBefore(knex: Knex, name: string): Promise<void> {
  for (;;) {
    const [, pending] = (await knex.migrate.list({ migrationSource })) as [unknown[], [string][]];
    if (pending.length === 0) throw new Error(`${name} was applied before the data was in`);
    if (pending[0]![0] === name) return;
    await knex.migrate.up({ migrationSource });
  }
}
