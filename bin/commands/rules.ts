/**
 * `complywise rules …`: the GRC engineer's loop over rules/.
 *   rules new <folder> --id <id> --type <type> [--rego]   scaffold a rule package
 *   rules lint [--format text|json|sarif]                   validate without building (exit 1 on problems)
 *   rules test [--format text|json|sarif] [--rule <id>]     run every fixture and Rego test (exit 1 on failures)
 *   rules build [--check]                                   compile rules/ into rules/dist (exit 2 when stale)
 *   rules explain <id>                                      the Rego a rule compiles to
 *   rules inspect <id> [--format text|json]                 metadata, hash, parameters and fixtures of a rule
 *   rules history <id> [--format text|json]                 every committed version of a rule (from git)
 *   rules diff <id> <from> [<to>]                           source diff between two versions or revisions
 *   rules history|diff … --api <url> --token <token>         the same from a deployment's rule-version registry
 * Exit codes: 0 ok, 1 invalid sources or failed tests, 2 stale bundle, 3 environment (OPA, git), 64 usage.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  buildRules,
  checkBundle,
  explainRule,
  lintRules,
  testRules,
  type BuildOptions,
  type RuleTestResult,
} from '../../engine/compile/build.ts';
import { attributesSchema, resourceTypeNames } from '../../engine/compile/attribute-schema.ts';
import { loadRuleSources, type RuleSource } from '../../engine/compile/rule-sources.ts';
import { displayPath, EngineError, ERROR_CODES, formatProblem, SourceError } from '../../engine/errors.ts';
import { DEFAULT_BUNDLE_DIR, DEFAULT_RULES_DIR } from '../../engine/paths.ts';
import { historyText, registryClient, RegistryApiError, type RegistryClient } from './rules-api.ts';
import { ruleDiff, ruleHistory } from './rules-git.ts';
import { scaffoldRule } from './rules-new.ts';
import { lintSarif, testSarif } from './rules-sarif.ts';

export const EXIT = { OK: 0, INVALID: 1, STALE: 2, ENVIRONMENT: 3, USAGE: 64 } as const;

export interface RulesIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

interface DirOptions {
  rulesDir?: string;
  frameworksDir?: string;
  out?: string;
  buildDir?: string;
}

type Format = 'text' | 'json' | 'sarif';

function buildOptions(o: DirOptions, progress?: (stage: string) => void): BuildOptions {
  return {
    rulesDir: o.rulesDir,
    frameworksDir: o.frameworksDir,
    outDir: o.out,
    buildDir: o.buildDir,
    onProgress: progress,
  };
}

/** Progress on stderr, so stdout stays the result (and parseable with --format json). */
function progressTo(io: RulesIo, format: string = 'text'): ((stage: string) => void) | undefined {
  return format === 'text' ? (stage) => io.stderr(`… ${stage}\n`) : undefined;
}

/** Prints an error the way CI reads it and returns the exit code it deserves. */
function report(e: unknown, io: RulesIo): number {
  if (e instanceof SourceError) {
    io.stderr(`${e.message}\n${e.problems.length} problem${e.problems.length === 1 ? '' : 's'} found\n`);
    return EXIT.INVALID;
  }
  if (e instanceof EngineError) {
    io.stderr(`error ${e.code}: ${e.message}\n`);
    if (e.code === ERROR_CODES.UNKNOWN_RULE) return EXIT.USAGE;
    return e.code === ERROR_CODES.OPA_FAILED ? EXIT.ENVIRONMENT : EXIT.INVALID;
  }
  io.stderr(`error: ${(e as Error).stack ?? String(e)}\n`);
  return EXIT.ENVIRONMENT;
}

interface ApiOptions {
  api?: string;
  token?: string;
}

/** Runs `work` against the registry at --api; its failures are reported here (they are not engine errors). */
async function fromRegistry(
  io: RulesIo,
  o: ApiOptions,
  work: (client: RegistryClient) => Promise<void>,
): Promise<number> {
  const token = o.token ?? process.env.COMPLYWISE_API_TOKEN;
  if (!token) {
    io.stderr('error: --api needs --token <api token> (or COMPLYWISE_API_TOKEN)\n');
    return EXIT.USAGE;
  }
  try {
    await work(registryClient(o.api!, token));
    return EXIT.OK;
  } catch (e) {
    if (!(e instanceof RegistryApiError)) throw e;
    io.stderr(`error: ${e.message}\n`);
    return e.usage ? EXIT.USAGE : EXIT.ENVIRONMENT;
  }
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function parseFormat(value: string, allowed: readonly Format[]): Format {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new EngineError(ERROR_CODES.UNKNOWN_RULE, `unknown format ${value}; use ${allowed.join(', ')}`);
  }
  return value as Format;
}

/** A rule by id from the sources (no OPA needed); UNKNOWN_RULE lists the ids that exist. */
async function findRule(id: string, o: DirOptions): Promise<RuleSource> {
  const rules = await loadRuleSources(o.rulesDir ?? DEFAULT_RULES_DIR, null);
  const rule = rules.find((r) => r.id === id);
  if (!rule) {
    throw new EngineError(
      ERROR_CODES.UNKNOWN_RULE,
      `no rule ${id}; known rules: ${rules.map((r) => r.id).join(', ')}`,
    );
  }
  return rule;
}

function testSummary(results: readonly RuleTestResult[]): string {
  const failed = results.filter((r) => !r.passed);
  const lines = failed.map((r) => `FAIL ${displayPath(r.file)}:${r.line}: ${r.message ?? r.test}`);
  const rules = new Set(results.map((r) => r.rule_id).filter(Boolean)).size;
  lines.push(
    `${results.length - failed.length}/${results.length} tests passed across ${rules} rules${failed.length ? `, ${failed.length} failed` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

function inspectText(rule: RuleSource): string {
  const m = rule.metadata;
  const lines = [
    `${m.id} ${m.version} (${rule.kind}) ${m.title}`,
    `  folder:        ${rule.folder}`,
    `  hash:          ${rule.hash}`,
    `  severity:      ${m.severity}`,
    `  types:         ${m.resource_types.join(', ')}`,
    `  UCF controls:  ${m.ucf_controls.join(', ')}`,
  ];
  const params = Object.entries(rule.defaults);
  if (params.length)
    lines.push(`  parameters:    ${params.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}`);
  const counts = new Map<string, number>();
  for (const f of rule.fixtures) counts.set(f.expected, (counts.get(f.expected) ?? 0) + 1);
  lines.push(`  fixtures:      ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

const RULE_ID = /^CW-[A-Z0-9]+(-[A-Z0-9]+)*-[0-9]{3}$/;

/** Registers `complywise rules …` on the program. `setCode` receives the exit code of the command that ran. */
export function registerRulesCommands(program: Command, io: RulesIo, setCode: (code: number) => void): void {
  const rules = program.command('rules').description('write, test, build and inspect rules');
  const dirs = (cmd: Command) =>
    cmd
      .option('--rules-dir <dir>', 'rules folder (default: rules/)')
      .option('--frameworks-dir <dir>', 'frameworks folder, for UCF control ids (default: frameworks/)');
  const run = (action: () => Promise<number | void>) =>
    action().then(
      (c) => setCode(c ?? EXIT.OK),
      (e: unknown) => setCode(report(e, io)),
    );

  dirs(rules.command('build'))
    .description('validate, test and compile the rules into policy.wasm, .manifest and catalog.json')
    .option('--out <dir>', 'bundle folder (default: rules/dist/)')
    .option('--check', 'build to a temporary folder and fail if the bundle in --out differs')
    .option(
      '--build-dir <dir>',
      'stage the generated Rego and OPA output in <dir> and keep it (default: .build in the rules folder; with --check, a temporary folder; a check keeps its fresh bundle in <dir>/dist)',
    )
    .action((o: DirOptions & { check?: boolean }) =>
      run(async () => {
        const where = displayPath(o.out ?? DEFAULT_BUNDLE_DIR);
        if (o.check) {
          const { differing, revision } = await checkBundle(buildOptions(o));
          if (differing.length > 0) {
            io.stderr(
              `${where} is stale: ${differing.join(', ')} ${differing.length === 1 ? 'differs' : 'differ'} from a fresh build (revision ${revision}); run \`complywise rules build\` and commit it\n`,
            );
            return EXIT.STALE;
          }
          io.stdout(`${where} is up to date (revision ${revision})\n`);
          return EXIT.OK;
        }
        const out = await buildRules(buildOptions(o, progressTo(io)));
        io.stdout(
          `built ${out.catalog.rules.length} rules into ${where} (revision ${out.revision}, OPA ${out.opaVersion})\n`,
        );
        return EXIT.OK;
      }),
    );

  dirs(rules.command('lint'))
    .description('validate metadata, fixtures, DSL and Rego (opa fmt, opa check --strict) without building')
    .option('--format <format>', 'text, json or sarif', 'text')
    .action((o: DirOptions & { format: string }) =>
      run(async () => {
        const format = parseFormat(o.format, ['text', 'json', 'sarif']);
        const { rules: count, problems } = await lintRules(buildOptions(o, progressTo(io, format)));
        if (format === 'json') io.stdout(json({ ok: problems.length === 0, rules: count, problems }));
        else if (format === 'sarif') io.stdout(json(lintSarif(problems)));
        else if (problems.length) {
          io.stderr(
            `${problems.map(formatProblem).join('\n')}\n${problems.length} problem${problems.length === 1 ? '' : 's'} found\n`,
          );
        } else io.stdout(`${count} rules are clean\n`);
        return problems.length ? EXIT.INVALID : EXIT.OK;
      }),
    );

  dirs(rules.command('test'))
    .description('run every fixture and hand-written Rego test with opa test')
    .option('--format <format>', 'text, json or sarif', 'text')
    .option('--rule <id>', 'report only this rule')
    .action((o: DirOptions & { format: string; rule?: string }) =>
      run(async () => {
        const format = parseFormat(o.format, ['text', 'json', 'sarif']);
        let results: RuleTestResult[];
        try {
          results = await testRules(buildOptions(o, progressTo(io, format)));
        } catch (e) {
          if (!(e instanceof SourceError) || format === 'text') throw e;
          io.stdout(
            json(format === 'sarif' ? lintSarif(e.problems) : { ok: false, problems: e.problems, tests: [] }),
          );
          return EXIT.INVALID;
        }
        if (o.rule) {
          if (!results.some((r) => r.rule_id === o.rule)) {
            throw new EngineError(ERROR_CODES.UNKNOWN_RULE, `no tests for rule ${o.rule}`);
          }
          results = results.filter((r) => r.rule_id === o.rule);
        }
        const ok = results.every((r) => r.passed);
        if (format === 'json') io.stdout(json({ ok, tests: results }));
        else if (format === 'sarif') io.stdout(json(testSarif(results)));
        else (ok ? io.stdout : io.stderr)(testSummary(results));
        return ok ? EXIT.OK : EXIT.INVALID;
      }),
    );

  dirs(rules.command('explain'))
    .description('print the Rego a rule compiles to')
    .argument('<id>', 'rule id, e.g. CW-AWS-S3-001')
    .action((id: string, o: DirOptions) =>
      run(async () => {
        io.stdout(await explainRule(id, buildOptions(o)));
      }),
    );

  dirs(rules.command('inspect'))
    .description("a rule's metadata, content hash, parameter defaults and fixtures")
    .argument('<id>', 'rule id')
    .option('--format <format>', 'text or json', 'text')
    .action((id: string, o: DirOptions & { format: string }) =>
      run(async () => {
        const format = parseFormat(o.format, ['text', 'json']);
        const rule = await findRule(id, o);
        if (format === 'json') {
          io.stdout(
            json({
              ...rule.metadata,
              kind: rule.kind,
              folder: rule.folder,
              hash: rule.hash,
              parameter_defaults: rule.defaults,
              fixtures: rule.fixtures.map((f) => ({ file: f.source, expected: f.expected })),
            }),
          );
        } else io.stdout(inspectText(rule));
      }),
    );

  dirs(rules.command('history'))
    .description(
      'every committed version of a rule: commit, date, version and content hash (from git, or with --api from the deployed registry)',
    )
    .argument('<id>', 'rule id')
    .option('--format <format>', 'text or json', 'text')
    .option('--api <url>', 'read the rule-version registry of this deployment instead of git')
    .option('--token <token>', 'API token for --api (or COMPLYWISE_API_TOKEN)')
    .action((id: string, o: DirOptions & ApiOptions & { format: string }) =>
      run(async () => {
        const format = parseFormat(o.format, ['text', 'json']);
        if (o.api) {
          return fromRegistry(io, o, async (client) => {
            const versions = await client.history(id);
            io.stdout(format === 'json' ? json(versions) : historyText(id, versions));
          });
        }
        const history = await ruleHistory((await findRule(id, o)).dir);
        if (format === 'json') io.stdout(json(history));
        else {
          io.stdout(
            history.length
              ? `${history.map((h) => `${h.commit.slice(0, 12)}  ${h.date}  ${h.version ?? '?'}  ${h.hash.slice(0, 12)}  ${h.subject}`).join('\n')}\n`
              : `${id} has no committed version yet\n`,
          );
        }
      }),
    );

  dirs(rules.command('diff'))
    .description(
      "diff a rule's sources between two versions (1.0.0) or git revisions; <to> defaults to the working tree",
    )
    .argument('<id>', 'rule id')
    .argument('<from>', 'rule version or git revision')
    .argument(
      '[to]',
      'rule version or git revision (with --api: a version or hash; default the one in force)',
    )
    .option('--api <url>', 'diff registered versions of this deployment instead of git revisions')
    .option('--token <token>', 'API token for --api (or COMPLYWISE_API_TOKEN)')
    .action((id: string, from: string, to: string | undefined, o: DirOptions & ApiOptions) =>
      run(async () => {
        if (o.api) return fromRegistry(io, o, async (client) => io.stdout(await client.diff(id, from, to)));
        io.stdout(await ruleDiff((await findRule(id, o)).dir, from, to));
      }),
    );

  rules
    .command('new')
    .description('scaffold a rule package: rule.yaml (a DSL check, or policy.rego with --rego) and fixtures')
    .argument('<folder>', 'provider/service/name under the rules folder, e.g. aws/s3/bucket-tagging')
    .requiredOption('--id <id>', 'the new rule id, e.g. CW-AWS-S3-010')
    .requiredOption('--type <type>', 'the resource type, e.g. aws.s3.bucket')
    .option('--rego', 'write a policy.rego instead of a DSL check')
    .option('--rules-dir <dir>', 'rules folder (default: rules/)')
    .action((folder: string, o: { id: string; type: string; rego?: boolean; rulesDir?: string }) =>
      run(async () => {
        if (!RULE_ID.test(o.id)) {
          io.stderr(`error: --id ${o.id} is not a rule id like CW-AWS-S3-010\n`);
          return EXIT.USAGE;
        }
        if (!/^[a-z0-9-]+\/[a-z0-9-]+\/[a-z0-9-]+$/.test(folder)) {
          io.stderr(`error: ${folder} is not provider/service/name (lower case, digits and dashes)\n`);
          return EXIT.USAGE;
        }
        const dir = resolve(o.rulesDir ?? DEFAULT_RULES_DIR, folder);
        if (existsSync(dir)) {
          io.stderr(`error: ${displayPath(dir)} already exists\n`);
          return EXIT.USAGE;
        }
        if (!attributesSchema(o.type)) {
          io.stderr(
            `error: --type ${o.type} has no schema (schemas/resources/<type>.schema.json); known types: ${resourceTypeNames().join(', ')}\n`,
          );
          return EXIT.USAGE;
        }
        const existing = await loadRuleSources(o.rulesDir ?? DEFAULT_RULES_DIR, null).catch(() => []);
        if (existing.some((r) => r.id === o.id)) {
          io.stderr(`error: rule id ${o.id} is already used\n`);
          return EXIT.USAGE;
        }
        for (const [path, text] of Object.entries(scaffoldRule(o.id, o.type, Boolean(o.rego)))) {
          await mkdir(join(dir, path, '..'), { recursive: true });
          await writeFile(join(dir, path), text);
        }
        io.stdout(
          `created ${displayPath(dir)}: its placeholder check and fixtures pass; edit rule.yaml${o.rego ? ' and policy.rego' : ''} and the fixtures, then run \`complywise rules test\`\n`,
        );
      }),
    );
}
