/**
 * `complywise frameworks …`: lint the catalogs and the UCF, report automated coverage, import official text.
 *   complywise frameworks lint [--strict]              exit 1 on errors (file:line: message on stderr)
 *   complywise frameworks coverage [--framework X] [--format table|json]
 *   complywise frameworks import <file> --framework X [--columns id=…,statement=…] [--out F] [--dry-run]
 *     (official text goes to the git-ignored overlay frameworks/.overlay/<id>/<version>.yaml unless --out)
 *   complywise frameworks import <oscal-file> --as <id@version> [--title T]
 *   complywise frameworks export <id[@version]> [--out F]        OSCAL 1.1.3 catalog JSON
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { frameworkCoverage, type FrameworkCoverage } from '../../engine/coverage.ts';
import { displayPath, EngineError, formatProblem, SourceError } from '../../engine/errors.ts';
import {
  importOscalAsFramework,
  overlayOfficialText,
  parseColumnMap,
  readOfficialText,
  type ImportReport,
} from '../../engine/framework-import.ts';
import { lintFrameworks } from '../../engine/framework-lint.ts';
import { loadFrameworks } from '../../engine/frameworks.ts';
import { catalogToOscal } from '../../engine/oscal-export.ts';

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

  group
    .command('import')
    .description(
      'overlay official text (OSCAL JSON/XML, or CSV with --columns) onto a catalog, or import an OSCAL catalog as a new framework',
    )
    .argument('<file>', 'OSCAL catalog (.json or .xml) or CSV file')
    .option('--frameworks-dir <dir>', 'frameworks folder (default: frameworks/)')
    .option('--framework <id[@version]>', 'the catalog to overlay, e.g. nist-csf@2.0')
    .option('--columns <map>', 'CSV column map, e.g. "id=Control ID,statement=Requirement"')
    .option(
      '--out <file>',
      'write the whole overlaid catalog here (default: the text goes to frameworks/.overlay/, git-ignored, merged on load)',
    )
    .option('--dry-run', 'only report what would match')
    .option('--as <id@version>', 'import the whole OSCAL catalog as a new framework')
    .option('--title <title>', 'title of the new framework (with --as)')
    .option('--format <format>', 'report as table or json', 'table')
    .action(
      async (
        file: string,
        o: {
          frameworksDir?: string;
          framework?: string;
          columns?: string;
          out?: string;
          dryRun?: boolean;
          as?: string;
          title?: string;
          format: string;
        },
      ) => {
        const usage = (message: string) => {
          io.stderr(`error: ${message}\n`);
          setCode(EXIT.USAGE);
        };
        if (Boolean(o.framework) === Boolean(o.as))
          return usage('name either --framework (overlay) or --as (new framework)');
        if (o.format !== 'table' && o.format !== 'json')
          return usage(`--format must be table or json, not ${o.format}`);
        try {
          if (o.as) {
            const [id, version] = o.as.split('@');
            if (!id || !version) return usage('--as must be <id>@<version>, e.g. nist-800-53@rev5');
            if (o.columns) return usage('--as imports OSCAL catalogs only, not CSV');
            const result = await importOscalAsFramework(
              file,
              { id, version, title: o.title },
              { dir: o.frameworksDir },
            );
            io.stdout(
              o.format === 'json'
                ? `${JSON.stringify(result, null, 2)}\n`
                : `imported ${result.requirements} requirements in ${result.groups} groups into ${displayPath(result.written)}\n`,
            );
            return;
          }
          let columns;
          try {
            columns = o.columns ? parseColumnMap(o.columns) : undefined;
          } catch (e) {
            return usage((e as Error).message);
          }
          const [framework, version] = o.framework!.split('@') as [string, string | undefined];
          const entries = await readOfficialText(file, { columns });
          const report = await overlayOfficialText(entries, {
            framework,
            version,
            dir: o.frameworksDir,
            out: o.out,
            dryRun: o.dryRun,
          });
          io.stdout(o.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : importSummary(report));
        } catch (e) {
          if (e instanceof Error && /^no framework |has several versions/.test(e.message))
            return usage(e.message);
          setCode(fail(e, io));
        }
      },
    );

  group
    .command('export')
    .description('export a framework catalog as an OSCAL 1.1.3 catalog (JSON)')
    .argument('<framework>', 'id[@version], e.g. soc2@2017')
    .option('--frameworks-dir <dir>', 'frameworks folder (default: frameworks/)')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (framework: string, o: { frameworksDir?: string; out?: string }) => {
      try {
        const { frameworks } = await loadFrameworks(o.frameworksDir, { catalog: null });
        const [id, version] = framework.split('@') as [string, string | undefined];
        const matches = frameworks.filter(
          (f) => f.id === id && (version === undefined || f.version === version),
        );
        if (matches.length !== 1) {
          io.stderr(
            `error: ${matches.length === 0 ? `no framework ${framework}` : `${id} has several versions, name one`} (known: ${frameworks.map((f) => `${f.id}@${f.version}`).join(', ')})\n`,
          );
          setCode(EXIT.USAGE);
          return;
        }
        const json = `${JSON.stringify(catalogToOscal(matches[0]!), null, 2)}\n`;
        if (o.out) {
          await writeFile(o.out, json);
          io.stdout(`wrote ${displayPath(o.out)}\n`);
        } else io.stdout(json);
      } catch (e) {
        setCode(fail(e, io));
      }
    });
}

function importSummary(r: ImportReport): string {
  const list = (ids: string[]) =>
    ids.length === 0
      ? ''
      : `: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? `, … (${ids.length - 20} more)` : ''}`;
  return (
    [
      `${r.framework_id} ${r.framework_version}: ${r.matched} requirement${r.matched === 1 ? '' : 's'} got official text`,
      `${r.unmatched_in_catalog.length} catalog requirement${r.unmatched_in_catalog.length === 1 ? ' has' : 's have'} no text in the file${list(r.unmatched_in_catalog)}`,
      `${r.unmatched_in_file.length} id${r.unmatched_in_file.length === 1 ? ' in the file matches' : 's in the file match'} nothing in the catalog${list(r.unmatched_in_file)}`,
      ...(r.withdrawn_in_file > 0
        ? [
            `${r.withdrawn_in_file} withdrawn ${r.withdrawn_in_file === 1 ? 'entry in the file was' : 'entries in the file were'} skipped`,
          ]
        : []),
      r.written ? `wrote ${displayPath(r.written)}` : 'dry run: nothing written',
    ].join('\n') + '\n'
  );
}
