/**
 * `complywise frameworks …`: lint the catalogs and the UCF, report automated coverage, import official text.
 *   complywise frameworks lint [--strict]              exit 1 on errors (file:line: message on stderr)
 *   complywise frameworks coverage [--framework X] [--format table|json]
 */
import type { Command } from 'commander';
import { frameworkCoverage, type FrameworkCoverage } from '../../engine/coverage.ts';
import { EngineError, formatProblem, SourceError } from '../../engine/errors.ts';
import { lintFrameworks } from '../../engine/framework-lint.ts';
import { loadFrameworks } from '../../engine/frameworks.ts';

/** Where the command writes, and how it reports its exit code to the CLI. */
export interface FrameworksIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const EXIT = { OK: 0, INVALID: 1, ENVIRONMENT: 3, USAGE: 64 } as const;

interface CommonOptions {
  frameworksDir?: string;
  catalog?: string;
}

function fail(e: unknown, io: FrameworksIo): number {
  if (e instanceof SourceError) {
    io.stderr(`${e.message}\n${e.problems.length} problem${e.problems.length === 1 ? '' : 's'} found\n`);
    return EXIT.INVALID;
  }
  if (e instanceof EngineError) {
    io.stderr(`error ${e.code}: ${e.message}\n`);
    return EXIT.INVALID;
  }
  io.stderr(`error: ${(e as Error).stack ?? String(e)}\n`);
  return EXIT.ENVIRONMENT;
}

/** A fixed-width text table. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function coverageTable(items: FrameworkCoverage[]): string {
  return table(
    ['framework', 'version', 'requirements', 'automated', 'partial', 'manual', 'unmapped', 'out of scope'],
    items.map((f) => [
      f.framework_id,
      f.framework_version,
      String(f.total),
      String(f.counts.automated),
      String(f.counts.partial),
      String(f.counts.manual),
      String(f.counts.unmapped),
      String(f.counts.out_of_scope),
    ]),
  );
}

/** Adds the `frameworks` command group; `setCode` receives each action's exit code. */
export function registerFrameworksCommands(
  program: Command,
  io: FrameworksIo,
  setCode: (code: number) => void,
): void {
  const group = program
    .command('frameworks')
    .description('lint framework catalogs and the UCF, report coverage');
  const common = (cmd: Command) =>
    cmd
      .option('--frameworks-dir <dir>', 'frameworks folder (default: frameworks/)')
      .option('--catalog <file>', 'rule bundle catalog.json for rule → control links (default: rules/dist/)');

  common(group.command('lint'))
    .description('check schemas, ids, parents, links and mappings; every requirement mapped or out of scope')
    .option('--strict', 'treat unmapped requirements as errors')
    .action(async (o: CommonOptions & { strict?: boolean }) => {
      try {
        const { errors, warnings, frameworks } = await lintFrameworks(o.frameworksDir, {
          catalog: o.catalog,
          strict: o.strict,
        });
        for (const w of warnings) io.stderr(`warning: ${formatProblem(w)}\n`);
        for (const e of errors) io.stderr(`${formatProblem(e)}\n`);
        const requirements = frameworks.frameworks.reduce((n, f) => n + f.requirements.length, 0);
        const summary = `${frameworks.frameworks.length} frameworks, ${requirements} requirements, ${frameworks.controls.length} UCF controls: ${errors.length} error${errors.length === 1 ? '' : 's'}, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}\n`;
        if (errors.length > 0) {
          io.stderr(summary);
          setCode(EXIT.INVALID);
        } else io.stdout(summary);
      } catch (e) {
        setCode(fail(e, io));
      }
    });

  common(group.command('coverage'))
    .description('per framework: requirements covered by automated rules, partially, manual only, unmapped')
    .option('--framework <id[@version]>', 'only this framework (e.g. soc2 or soc2@2017)')
    .option('--format <format>', 'table or json', 'table')
    .action(async (o: CommonOptions & { framework?: string; format: string }) => {
      try {
        if (o.format !== 'table' && o.format !== 'json') {
          io.stderr(`error: --format must be table or json, not ${o.format}\n`);
          setCode(EXIT.USAGE);
          return;
        }
        const frameworks = await loadFrameworks(o.frameworksDir, { catalog: o.catalog });
        let only: { id: string; version?: string } | undefined;
        if (o.framework) {
          const [id, version] = o.framework.split('@') as [string, string | undefined];
          only = { id, version };
        }
        const items = frameworkCoverage(frameworks, only);
        if (only && items.length === 0) {
          const known = frameworks.frameworks.map((f) => `${f.id}@${f.version}`).join(', ');
          io.stderr(`error: no framework ${o.framework} (known: ${known})\n`);
          setCode(EXIT.USAGE);
          return;
        }
        io.stdout(
          o.format === 'json' ? `${JSON.stringify({ frameworks: items }, null, 2)}\n` : coverageTable(items),
        );
      } catch (e) {
        setCode(fail(e, io));
      }
    });
}
