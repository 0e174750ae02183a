/**
 * complywise keys status | rotate [--new-version] [--format text|json]: master-key management against the
 * database and key provider the environment configures (DATABASE_URL or the PGlite folder under
 * COMPLYWISE_DATA_DIR; COMPLYWISE_KEY_PROVIDER, COMPLYWISE_MASTER_KEY / master*.key or COMPLYWISE_KMS_*).
 *
 * `rotate` rewraps every tenant data key not yet under the current master key (api/src/keys/rotation.ts):
 * one transaction and one ledger entry per tenant; safe to interrupt and run again.
 * `--new-version` (local provider) first creates `master-v<n+1>.key`, which becomes current. With KMS,
 * point COMPLYWISE_KMS_KEY_ID at the new key (keep the old one enabled) and run `rotate`. Running API and
 * worker processes read the new local version when they meet it; restart them so new data keys use it too.
 * On embedded PGlite stop the server first: one process at a time may open its folder.
 * Exit codes: 0 done, 3 environment or provider failure, 64 wrong usage.
 */
import type { Command } from 'commander';
import { loadConfig, type Config } from '../../api/src/config.ts';
import { LedgerService, loadLedgerSigner } from '../../api/src/ledger/ledger.ts';
import { newLocalMasterKeyVersion } from '../../api/src/plugins/app/crypto.ts';
import { createEvidenceStore } from '../../api/src/plugins/app/evidence.ts';
import { dataKeysByMasterKey, rotateMasterKey } from '../../api/src/keys/rotation.ts';
import { keyProviderOf } from '../../api/src/plugins/app/kms-key-provider.ts';
import { runAsApp } from '../../api/src/plugins/app/tenancy.ts';
import { migrateLatest, openDatabase, type Database } from '../../api/src/plugins/external/db.ts';

export interface KeysIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/**
 * Opens the configured database (migrated), runs `work`, closes it; failures answer exit code 3 with the
 * message after `command:` on stderr (also used by `complywise tenants`).
 */
export async function withDatabase(
  io: KeysIo,
  setCode: (code: number) => void,
  work: (config: Config, database: Database) => Promise<void>,
  command = 'keys',
): Promise<void> {
  let database: Database | undefined;
  try {
    const config = loadConfig();
    database = await openDatabase(config);
    await migrateLatest(database);
    await work(config, database);
    setCode(0);
  } catch (error) {
    io.stderr(`${command}: ${(error as Error).message}\n`);
    setCode(3);
  } finally {
    await database?.close();
  }
}

/** Registers `complywise keys …`. */
export function registerKeysCommands(program: Command, io: KeysIo, setCode: (code: number) => void): void {
  const group = program.command('keys').description('master keys: status and rotation');

  group
    .command('status')
    .option('--format <format>', 'text or json', 'text')
    .description('how many tenant data keys each master key wraps, and which master key is current')
    .action((options: { format: string }) =>
      withDatabase(io, setCode, async (config, database) => {
        const current = keyProviderOf(config).id;
        const counts = await dataKeysByMasterKey(database.knex);
        if (options.format === 'json') {
          io.stdout(`${JSON.stringify({ current, data_keys: counts }, null, 2)}\n`);
          return;
        }
        for (const [id, n] of Object.entries(counts)) {
          io.stdout(`${id}: ${n} data key(s)${id === current ? ' (current)' : ''}\n`);
        }
        io.stdout(`current master key: ${current}\n`);
      }),
    );

  group
    .command('rotate')
    .option('--new-version', 'local provider: create the next master key version first')
    .option('--format <format>', 'text or json', 'text')
    .description('rewrap every tenant data key under the current master key (resumable, idempotent)')
    .action(async (options: { newVersion?: boolean; format: string }) => {
      if (options.newVersion && loadConfig().kms) {
        io.stderr(
          '--new-version is for the local provider: with KMS set COMPLYWISE_KMS_KEY_ID to the new key\n',
        );
        setCode(64);
        return;
      }
      await withDatabase(io, setCode, async (config, database) => {
        if (options.newVersion) io.stdout(`created master key version ${newLocalMasterKeyVersion(config)}\n`);
        const keys = keyProviderOf(config);
        const knex = database.knex;
        const ledger = new LedgerService(
          (tenantId, work) => runAsApp(knex, { tenantId }, work),
          loadLedgerSigner(config),
          createEvidenceStore(config.evidence),
        );
        const report = await rotateMasterKey(knex, keys, ledger.append.bind(ledger), (tenantId, n) => {
          if (options.format !== 'json') io.stdout(`tenant ${tenantId}: ${n} data key(s) rewrapped\n`);
        });
        if (options.format === 'json') io.stdout(`${JSON.stringify(report, null, 2)}\n`);
        else
          io.stdout(
            `every data key is wrapped under ${report.masterKeyId} (${report.tenants.length} tenant(s) rotated now)\n`,
          );
      });
    });
}
