#!/usr/bin/env node
/**
 * The complywise CLI.
 *   complywise rules build [--check]   compile rules/ into rules/dist (or check the committed bundle)
 *   complywise rules explain <id>      print the Rego a rule compiles to
 * Exit codes (for CI): 0 ok, 1 invalid sources (file:line: message on stderr), 2 committed bundle is stale,
 * 3 environment or tool failure (OPA missing or crashing), 64 wrong usage.
 */
import { Command, CommanderError } from 'commander';
import { buildRules, checkBundle, explainRule, type BuildOptions } from '../engine/compile/build.ts';
import { displayPath, EngineError, ERROR_CODES, SourceError } from '../engine/errors.ts';
import { DEFAULT_BUNDLE_DIR } from '../engine/paths.ts';
import { registerFrameworksCommands } from './commands/frameworks.ts';

export const EXIT = { OK: 0, INVALID: 1, STALE: 2, ENVIRONMENT: 3, USAGE: 64 } as const;

interface DirOptions {
  rulesDir?: string;
  frameworksDir?: string;
  out?: string;
}

function buildOptions(o: DirOptions): BuildOptions {
  return { rulesDir: o.rulesDir, frameworksDir: o.frameworksDir, outDir: o.out };
}

/** Prints an error the way CI reads it and returns the exit code it deserves. */
function report(e: unknown, stderr: (s: string) => void): number {
  if (e instanceof SourceError) {
    stderr(`${e.message}\n${e.problems.length} problem${e.problems.length === 1 ? '' : 's'} found\n`);
    return EXIT.INVALID;
  }
  if (e instanceof EngineError) {
    stderr(`error ${e.code}: ${e.message}\n`);
    if (e.code === ERROR_CODES.UNKNOWN_RULE) return EXIT.USAGE;
    return e.code === ERROR_CODES.OPA_FAILED ? EXIT.ENVIRONMENT : EXIT.INVALID;
  }
  stderr(`error: ${(e as Error).stack ?? String(e)}\n`);
  return EXIT.ENVIRONMENT;
}

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
  const rules = program.command('rules').description('build and inspect the rule bundle');
  const dirs = (cmd: Command) =>
    cmd
      .option('--rules-dir <dir>', 'rules folder (default: rules/)')
      .option('--frameworks-dir <dir>', 'frameworks folder, for UCF control ids (default: frameworks/)');

  dirs(rules.command('build'))
    .description('validate, test and compile the rules into policy.wasm, .manifest and catalog.json')
    .option('--out <dir>', 'bundle folder (default: rules/dist/)')
    .option('--check', 'build to a temporary folder and fail if the bundle in --out differs')
    .action(async (o: DirOptions & { check?: boolean }) => {
      try {
        if (o.check) {
          const { differing, revision } = await checkBundle(buildOptions(o));
          const where = displayPath(o.out ?? DEFAULT_BUNDLE_DIR);
          if (differing.length > 0) {
            io.stderr(
              `${where} is stale: ${differing.join(', ')} ${differing.length === 1 ? 'differs' : 'differ'} from a fresh build (revision ${revision}); run \`complywise rules build\` and commit it\n`,
            );
            code = EXIT.STALE;
          } else io.stdout(`${where} is up to date (revision ${revision})\n`);
        } else {
          const out = await buildRules(buildOptions(o));
          io.stdout(
            `built ${out.catalog.rules.length} rules into ${displayPath(o.out ?? DEFAULT_BUNDLE_DIR)} (revision ${out.revision}, OPA ${out.opaVersion})\n`,
          );
        }
      } catch (e) {
        code = report(e, io.stderr);
      }
    });

  dirs(rules.command('explain'))
    .description('print the Rego a rule compiles to')
    .argument('<id>', 'rule id, e.g. CW-AWS-S3-001')
    .action(async (id: string, o: DirOptions) => {
      try {
        io.stdout(await explainRule(id, buildOptions(o)));
      } catch (e) {
        code = report(e, io.stderr);
      }
    });

  registerFrameworksCommands(program, io, (c) => (code = c));

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
