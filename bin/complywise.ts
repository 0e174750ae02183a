#!/usr/bin/env node
/**
 * The complywise CLI.
 *   complywise rules new|lint|test|build|explain|inspect|history|diff   (bin/commands/rules.ts)
 *   complywise frameworks lint|coverage                            (bin/commands/frameworks.ts)
 *   complywise keys status|rotate [--new-version]                   (bin/commands/keys.ts)
 *   complywise evidence verify <bundle>                            (bin/commands/evidence.ts)
 *   complywise retention run [--now <time>]                        (bin/commands/retention.ts)
 *   complywise tenants create --name <name> --admin-email <email>  (bin/commands/tenants.ts)
 * Exit codes (for CI): 0 ok, 1 invalid sources (file:line: message on stderr), 2 committed bundle is stale,
 * 3 environment or tool failure (OPA missing or crashing), 64 wrong usage.
 */
import { Command, CommanderError } from 'commander';
import { registerEvidenceCommands } from './commands/evidence.ts';
import { registerFrameworksCommands } from './commands/frameworks.ts';
import { registerKeysCommands } from './commands/keys.ts';
import { registerRetentionCommands } from './commands/retention.ts';
import { EXIT, registerRulesCommands } from './commands/rules.ts';
import { registerTenantsCommands } from './commands/tenants.ts';

export { EXIT };

/** Runs the CLI on argv (without node and script) and resolves to the exit code. */
export async function main(
  argv: string[],
  io: { stdout: (s: string) => void; stderr: (s: string) => void } = {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  },
): Promise<number> {
  let code: number = EXIT.OK;
  const program = new Command('complywise')
    .description('ComplyWise: compliance automation as policy-as-code')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  registerRulesCommands(program, io, (c) => (code = c));
  registerFrameworksCommands(program, io, (c) => (code = c));
  registerEvidenceCommands(program, io, (c) => (code = c));
  registerKeysCommands(program, io, (c) => (code = c));
  registerRetentionCommands(program, io, (c) => (code = c));
  registerTenantsCommands(program, io, (c) => (code = c));

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    throw e;
  }
  return code;
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
