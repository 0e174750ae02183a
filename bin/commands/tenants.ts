/**
 * complywise tenants create --name NAME --admin-email EMAIL [--format text|json]: creates a tenant and mails
 * its first admin an invitation (api/src/tenants/service.ts), against the database and mail settings the
 * environment configures (DATABASE_URL or the PGlite folder under COMPLYWISE_DATA_DIR; COMPLYWISE_SMTP_URL,
 * COMPLYWISE_MAIL_FROM, COMPLYWISE_PUBLIC_URL). The admin sets their own password through the link: the
 * command prints the tenant id and where the message went, never the token.
 * On embedded PGlite stop the server first: one process at a time may open its folder.
 * Exit codes: 0 done, 3 environment or mail failure, 64 wrong usage.
 */
import type { Command } from 'commander';
import { InvitationService } from '../../api/src/invitations/service.ts';
import { LedgerService, loadLedgerSigner } from '../../api/src/ledger/ledger.ts';
import { mailerFor } from '../../api/src/mail/mailer.ts';
import { createEvidenceStore } from '../../api/src/plugins/app/evidence.ts';
import { runAsApp } from '../../api/src/plugins/app/tenancy.ts';
import { createTenant } from '../../api/src/tenants/service.ts';
import { withDatabase } from './keys.ts';

export interface TenantsIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** The same shape check as the API's `format: email`, so the CLI refuses what the invitation route would. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Registers `complywise tenants …`. */
export function registerTenantsCommands(
  program: Command,
  io: TenantsIo,
  setCode: (code: number) => void,
): void {
  const group = program.command('tenants').description('tenants (organizations) of this server');
  group
    .command('create')
    .requiredOption('--name <name>', 'the organization name shown to its members')
    .requiredOption('--admin-email <email>', 'who becomes its first admin (gets an invitation by mail)')
    .option('--format <format>', 'text or json', 'text')
    .description('create a tenant and mail its first admin an invitation')
    .action(async (options: { name: string; adminEmail: string; format: string }) => {
      const name = options.name.trim();
      if (name.length === 0 || name.length > 200) {
        io.stderr('--name: between 1 and 200 characters\n');
        setCode(64);
        return;
      }
      if (!EMAIL.test(options.adminEmail.trim()) || options.adminEmail.length > 320) {
        io.stderr(`--admin-email: not an e-mail address: ${options.adminEmail}\n`);
        setCode(64);
        return;
      }
      await withDatabase(
        io,
        setCode,
        async (config, database) => {
          const knex = database.knex;
          const ledger = new LedgerService(
            (tenantId, work) => runAsApp(knex, { tenantId }, work),
            loadLedgerSigner(config),
            createEvidenceStore(config.evidence),
          );
          const mailer = mailerFor(config);
          const invitations = new InvitationService(
            (context, work) => runAsApp(knex, context, work),
            ledger,
            mailer,
            config.publicUrl,
          );
          const created = await createTenant(
            knex,
            { ledger, invitations },
            { name, adminEmail: options.adminEmail },
          );
          const sentTo = mailer.describeDestination();
          if (options.format === 'json') {
            io.stdout(`${JSON.stringify({ ...created, invitation_sent_to: sentTo }, null, 2)}\n`);
            return;
          }
          io.stdout(
            [
              `created tenant ${created.tenant_id} (${created.name})`,
              `invited ${created.admin_email} as its admin: the invitation went to ${sentTo}`,
              'the admin sets their own password through the link (valid for 7 days, once)',
            ].join('\n') + '\n',
          );
        },
        'tenants',
      );
    });
}
