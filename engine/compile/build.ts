/**
 * `complywise rules build`: validate every rule and fixture, compile DSL checks to Rego, check formatting,
 * `opa check --strict` against the wasm capabilities, `opa test` the fixtures, then `opa build -t wasm` with one
 * entrypoint per resource type (and one per rule, to isolate failures). Output: policy.wasm, .manifest and
 * catalog.json, byte-for-byte reproducible from the same sources and OPA version.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import {
  CATALOG_FORMAT,
  serializeCatalog,
  type Catalog,
  type CatalogPack,
  type CatalogRule,
} from '../catalog.ts';
import {
  EngineError,
  ERROR_CODES,
  ProblemList,
  sortProblems,
  SourceError,
  type SourceProblem,
} from '../errors.ts';
import { loadFrameworkDefinitions } from '../frameworks.ts';
import { DEFAULT_BUNDLE_DIR, DEFAULT_FRAMEWORKS_DIR, DEFAULT_RULES_DIR } from '../paths.ts';
import { RULE_SOURCES_FORMAT, serializeRuleSources } from '../rule-versions.ts';
import { requiredHostBuiltins } from '../wasm-abi.ts';
import {
  allowedBuiltins,
  ENGINE_HOST_BUILTINS,
  wasmCapabilities,
  type Capabilities,
} from './capabilities.ts';
import { compileDslToRego, dslPredicates } from './dsl-rego.ts';
import {
  decideModule,
  fixtureTestModule,
  ruleEntrypoint,
  rulePackage,
  scanData,
  typeModule,
  typeStatusesEntrypoint,
  typeStatusesModule,
  typeSnake,
} from './generate.ts';
import { opaVersion, parseOpaErrors, resolveOpa, runOpa, runOpaOk, type OpaJsonError } from './opa.ts';
import { regoAttributeProblems } from './rego-attributes.ts';
import { formatProblem, regoContract } from './rego-contract.ts';
import { collectRulePacks } from './rule-packs.ts';
import { collectRuleSources, type Fixture, type RuleSource } from './rule-sources.ts';
import { readTarGz } from './tar.ts';

/** The files of a bundle directory, in the order we report them. */
export const BUNDLE_FILES = ['policy.wasm', '.manifest', 'catalog.json', 'sources.json'] as const;
export type BundleFileName = (typeof BUNDLE_FILES)[number];

export interface BuildOptions {
  rulesDir?: string;
  frameworksDir?: string;
  /** Where the bundle is written (rules/dist). */
  outDir?: string;
  /**
   * Scratch folder for generated Rego and OPA's output: `.build` inside the rules folder (rules/.build for the
   * repository's). Per rules folder, so commands on different rule folders never stage into one another's
   * (two test files running `rules test` on their own folders at once did, and one saw OPA fail).
   */
  buildDir?: string;
  /** Path of the opa binary; resolved with resolveOpa() when absent. */
  opa?: string;
  /** Called at the start of each stage (for progress on long runs), e.g. "opa test". */
  onProgress?: (stage: string) => void;
}

export interface BuildOutput {
  revision: string;
  opaVersion: string;
  catalog: Catalog;
  files: Record<BundleFileName, Buffer>;
}

const LIB_REGO = new URL('./rego/lib.rego', import.meta.url);

/** Where a staged file came from, to turn OPA's locations back into source locations. */
type Origin =
  | { kind: 'copy'; file: string }
  | { kind: 'dsl'; rule: RuleSource }
  | { kind: 'glue'; rule?: RuleSource }
  | { kind: 'fixtures'; rule: RuleSource; tests: Map<string, Fixture> };

class Stage {
  readonly files = new Map<string, string>();
  readonly origins = new Map<string, Origin>();
  add(path: string, text: string, origin: Origin): void {
    this.files.set(path, text);
    this.origins.set(path, origin);
  }
}

/**
 * Every rule that loads and every pack that checks out, and the problems of those that do not (see
 * collectRuleSources, collectRulePacks). Packs are checked against every rule folder's id, loaded or not,
 * so a rule with a problem of its own does not also make each pack that lists it fail.
 */
async function collectSources(
  options: BuildOptions,
): Promise<{ rules: RuleSource[]; packs: CatalogPack[]; problems: SourceProblem[] }> {
  const frameworks = await loadFrameworkDefinitions(options.frameworksDir ?? DEFAULT_FRAMEWORKS_DIR);
  const rulesDir = options.rulesDir ?? DEFAULT_RULES_DIR;
  const loaded = await collectRuleSources(rulesDir, new Set(frameworks.controls.map((c) => c.id)));
  const packs = await collectRulePacks(rulesDir, [...loaded.ids]);
  return { rules: loaded.rules, packs: packs.packs, problems: [...loaded.problems, ...packs.problems] };
}

async function loadSources(options: BuildOptions): Promise<{ rules: RuleSource[]; packs: CatalogPack[] }> {
  const { rules, packs, problems } = await collectSources(options);
  if (problems.length > 0) throw new SourceError(problems);
  return { rules, packs };
}

/**
 * Checks hand-written Rego (format, contract, the attributes it reads) and works out each rule's contract
 * predicates. `broken` holds the rules whose Rego does not parse or breaks the contract: they cannot be staged.
 */
async function contractPredicates(
  opa: string,
  rules: RuleSource[],
): Promise<{ predicates: Map<string, Set<string>>; problems: SourceProblem[]; broken: Set<string> }> {
  const problems = new ProblemList();
  const predicates = new Map<string, Set<string>>();
  const broken = new Set<string>();
  for (const rule of rules) {
    for (const file of [...(rule.policy ? [rule.policy] : []), ...rule.tests]) {
      const p = await formatProblem(opa, file);
      if (p) problems.push(p);
    }
    if (rule.policy) {
      const contract = await regoContract(opa, rule.policy, rulePackage(rule.id));
      problems.push(...contract.problems);
      if (contract.problems.length > 0) broken.add(rule.id);
      problems.push(...regoAttributeProblems(contract.module, rule.policy, rule.metadata.resource_types));
      predicates.set(rule.id, contract.predicates);
    } else {
      predicates.set(rule.id, dslPredicates(rule.check!));
    }
  }
  return { predicates, problems: problems.items, broken };
}

/** The Rego a DSL rule compiles to (unformatted). */
function dslRego(rule: RuleSource): string {
  return compileDslToRego(rule.check!, {
    id: rule.id,
    version: rule.metadata.version,
    title: rule.metadata.title,
    packageName: rulePackage(rule.id),
    source: `${rule.folder}/rule.yaml`,
  });
}

function stageSources(rules: RuleSource[], predicates: Map<string, Set<string>>, libRego: string): Stage {
  const stage = new Stage();
  stage.add('src/complywise/lib.rego', libRego, { kind: 'glue' });
  const byType = new Map<string, string[]>();
  for (const rule of rules) {
    if (rule.policy)
      stage.add(`src/rules/${rule.folder}/policy.rego`, rule.policy.text, {
        kind: 'copy',
        file: rule.policy.file,
      });
    else stage.add(`src/rules/${rule.folder}/generated.rego`, dslRego(rule), { kind: 'dsl', rule });
    stage.add(
      `src/complywise/decide/${rule.snake}.rego`,
      decideModule({
        id: rule.id,
        resourceTypes: rule.metadata.resource_types,
        predicates: predicates.get(rule.id)!,
      }),
      { kind: 'glue', rule },
    );
    for (const type of rule.metadata.resource_types) byType.set(type, [...(byType.get(type) ?? []), rule.id]);
    for (const test of rule.tests)
      stage.add(`tests/rules/${test.source}`, test.text, { kind: 'copy', file: test.file });
    const { text, testNames } = fixtureTestModule(
      rule.id,
      rule.fixtures.map((f) => ({ source: f.source, expected: f.expected, resource: f.resource })),
      rule.defaults,
    );
    stage.add(`tests/fixtures/${rule.snake}_test.rego`, text, {
      kind: 'fixtures',
      rule,
      tests: new Map(testNames.map((name, i) => [name, rule.fixtures[i]!])),
    });
  }
  for (const [type, ids] of [...byType].sort(([a], [b]) => (a < b ? -1 : 1))) {
    stage.add(`src/complywise/types/${typeSnake(type)}.rego`, typeModule(type, ids), { kind: 'glue' });
    stage.add(`src/complywise/statuses/${typeSnake(type)}.rego`, typeStatusesModule(type, ids), {
      kind: 'glue',
    });
  }
  return stage;
}

async function writeStage(buildDir: string, stage: Stage, capabilities: string): Promise<void> {
  for (const part of ['src', 'tests', 'capabilities.json', 'bundle.tar.gz']) {
    await rm(join(buildDir, part), { recursive: true, force: true });
  }
  // Both folders exist even when no rule is staged (a lint where every rule has problems).
  for (const part of ['src', 'tests']) await mkdir(join(buildDir, part), { recursive: true });
  for (const [path, text] of stage.files) {
    await mkdir(dirname(join(buildDir, path)), { recursive: true });
    await writeFile(join(buildDir, path), text);
  }
  await writeFile(join(buildDir, 'capabilities.json'), capabilities);
}

/** Turns an OPA error on a staged file into a problem at the source the file came from. */
function sourceProblem(
  e: OpaJsonError,
  stage: Stage,
  buildDir: string,
  known: Set<string>,
  allowed: Set<string>,
): SourceProblem {
  const staged = e.location?.file ?? '';
  const origin = stage.origins.get(staged);
  const row = e.location?.row ?? 1;
  const builtin = /^undefined function (\S+)$/.exec(e.message)?.[1];
  const unavailable = builtin !== undefined && known.has(builtin) && !allowed.has(builtin);
  const code = unavailable ? ERROR_CODES.REGO_BUILTIN_UNAVAILABLE : ERROR_CODES.REGO_CHECK;
  const message = unavailable
    ? `builtin ${builtin} is not available to rules: the WebAssembly bundle cannot run it (docs/rules.md, "Builtins")`
    : `${e.code}: ${e.message}`;
  switch (origin?.kind) {
    case 'copy':
      return { code, file: origin.file, line: row, message };
    case 'dsl':
      return {
        code,
        file: origin.rule.yaml.file,
        line: origin.rule.check?.line ?? 1,
        message: `the Rego compiled from check: fails opa check (a compiler bug): ${message}`,
      };
    case 'glue':
    case 'fixtures':
      return {
        code,
        file: origin.rule?.policy?.file ?? origin.rule?.yaml.file ?? join(buildDir, staged),
        line: origin.rule ? 1 : row,
        message: `generated ${staged}:${row}: ${message}`,
      };
    default:
      return { code, file: staged ? join(buildDir, staged) : buildDir, line: row, message };
  }
}

async function opaCheck(opa: string, buildDir: string, stage: Stage, full: Capabilities): Promise<void> {
  const r = await runOpa(
    opa,
    [
      'check',
      '--strict',
      '--capabilities',
      'capabilities.json',
      '--format',
      'json',
      '--max-errors',
      '100',
      'src',
      'tests',
    ],
    { cwd: buildDir },
  );
  if (r.code === 0) return;
  const errors = parseOpaErrors(r.stdout) ?? parseOpaErrors(r.stderr);
  if (!errors)
    throw new EngineError(ERROR_CODES.OPA_FAILED, `opa check failed: ${(r.stderr || r.stdout).trim()}`);
  const known = new Set(full.builtins.map((b) => b.name));
  const allowed = allowedBuiltins();
  throw new SourceError(errors.map((e) => sourceProblem(e, stage, buildDir, known, allowed)));
}

/** The status a fixture actually gets under Go OPA, for the error message of a failed fixture test. */
async function actualStatus(
  opa: string,
  buildDir: string,
  rule: RuleSource,
  fixture: Fixture,
): Promise<string> {
  const query = `data.complywise.decide.${rule.snake}.status(${JSON.stringify(fixture.resource)}) with data.params as ${JSON.stringify({ [rule.id]: rule.defaults })} with data.scan as ${JSON.stringify(scanData(fixture.resource.collected_at))}`;
  const r = await runOpa(opa, ['eval', '--format', 'json', '-d', 'src', '--stdin'], {
    cwd: buildDir,
    stdin: query,
  });
  try {
    const out = JSON.parse(r.stdout) as { result?: { expressions: { value: unknown }[] }[] };
    const value = out.result?.[0]?.expressions[0]?.value;
    return value === undefined ? 'no status' : String(value);
  } catch {
    return 'unknown';
  }
}

/** The outcome of one test `opa test` ran: a fixture test (with its rule and fixture) or a hand-written one. */
export interface RuleTestResult {
  /** The rule the test belongs to (null for a test OPA reports outside any rule). */
  rule_id: string | null;
  test: string;
  /** Where to look: the fixture file, or the hand-written test file. */
  file: string;
  line: number;
  passed: boolean;
  /** For a fixture: the status its folder promises, and the one the rule gave when it failed. */
  expected?: string;
  actual?: string;
  message?: string;
}

async function runFixtureTests(opa: string, buildDir: string, stage: Stage): Promise<RuleTestResult[]> {
  const r = await runOpa(opa, ['test', '--format', 'json', '--timeout', '60s', 'src', 'tests'], {
    cwd: buildDir,
  });
  let results: {
    location?: { file: string; row: number };
    name: string;
    fail?: boolean;
    error?: { message?: string };
  }[];
  try {
    results = JSON.parse(r.stdout) as typeof results;
  } catch {
    throw new EngineError(ERROR_CODES.OPA_FAILED, `opa test failed: ${(r.stderr || r.stdout).trim()}`);
  }
  if (r.code !== 0 && !results.some((t) => t.fail || t.error)) {
    throw new EngineError(ERROR_CODES.OPA_FAILED, `opa test failed: ${(r.stderr || r.stdout).trim()}`);
  }
  const out: RuleTestResult[] = [];
  for (const t of results) {
    const staged = t.location?.file ?? '';
    const origin = stage.origins.get(staged);
    const passed = !t.fail && !t.error;
    const detail = t.error?.message ? `: ${t.error.message}` : '';
    const fixture = origin?.kind === 'fixtures' ? origin.tests.get(t.name) : undefined;
    if (origin?.kind === 'fixtures' && fixture) {
      const actual = passed ? fixture.expected : await actualStatus(opa, buildDir, origin.rule, fixture);
      out.push({
        rule_id: origin.rule.id,
        test: t.name,
        file: fixture.file,
        line: 1,
        passed,
        expected: fixture.expected,
        actual,
        ...(passed
          ? {}
          : {
              message: `${origin.rule.id} should decide ${fixture.expected} for this fixture, but decides ${actual}${detail}`,
            }),
      });
      continue;
    }
    const file = origin?.kind === 'copy' ? origin.file : join(buildDir, staged);
    const rule = ruleOfFile(stage, file);
    out.push({
      rule_id: rule,
      test: t.name,
      file,
      line: t.location?.row ?? 1,
      passed,
      ...(passed ? {} : { message: `${t.name} failed${detail}` }),
    });
  }
  // opa test does not promise an order: sort, so reports and SARIF read the same from run to run.
  const key = (t: RuleTestResult) => `${t.rule_id ?? ''}\u0000${t.file}\u0000${t.test}`;
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The id of the rule whose folder holds `file`, from the staged rule sources. */
function ruleOfFile(stage: Stage, file: string): string | null {
  for (const origin of stage.origins.values()) {
    if ((origin.kind === 'dsl' || origin.kind === 'glue' || origin.kind === 'fixtures') && origin.rule) {
      if (file.startsWith(`${origin.rule.dir}/`)) return origin.rule.id;
    }
  }
  return null;
}

async function opaTest(opa: string, buildDir: string, stage: Stage): Promise<void> {
  const problems = new ProblemList();
  for (const t of await runFixtureTests(opa, buildDir, stage)) {
    if (!t.passed)
      problems.add(ERROR_CODES.REGO_TEST_FAILED, t.file, t.line, t.message ?? `${t.test} failed`);
  }
  problems.throwIfAny();
}

/**
 * Bundle revision: sha256 over the OPA version, the capabilities, every Rego file compiled into the bundle,
 * every rule's content hash (so a metadata-only change, e.g. a message, gets a new revision too) and every
 * pack's hash (a pack's rule list or references changed is a new revision as well).
 */
function bundleRevision(
  version: string,
  capabilities: string,
  stage: Stage,
  rules: RuleSource[],
  packs: CatalogPack[],
): string {
  const h = createHash('sha256');
  h.update(`opa ${version}\0`).update(capabilities).update('\0');
  for (const path of [...stage.files.keys()].filter((p) => p.startsWith('src/')).sort()) {
    h.update(`${path}\0`).update(stage.files.get(path)!).update('\0');
  }
  for (const rule of rules) h.update(`${rule.id}\0${rule.hash}\0`);
  for (const pack of packs) h.update(`pack ${pack.id}\0${pack.hash}\0`);
  return h.digest('hex');
}

function catalogOf(rules: RuleSource[], packs: CatalogPack[], revision: string, version: string): Catalog {
  const types: Catalog['types'] = {};
  for (const type of [...new Set(rules.flatMap((r) => r.metadata.resource_types))].sort()) {
    types[type] = {
      entrypoint: typeStatusesEntrypoint(type),
      rule_ids: rules.filter((r) => r.metadata.resource_types.includes(type)).map((r) => r.id),
    };
  }
  const catalogRules: CatalogRule[] = rules.map((r) => ({
    ...r.metadata,
    kind: r.kind,
    source: r.folder,
    hash: r.hash,
    package: rulePackage(r.id),
    entrypoint: ruleEntrypoint(r.id),
  }));
  return { format: CATALOG_FORMAT, revision, opa_version: version, types, rules: catalogRules, packs };
}

/** Sources validated, compiled to Rego and staged in the build folder, ready for OPA. */
interface Prepared {
  opa: string;
  version: string;
  buildDir: string;
  rules: RuleSource[];
  packs: CatalogPack[];
  stage: Stage;
  full: Capabilities;
  capabilities: string;
  progress: (stage: string) => void;
}

/**
 * Validates the sources and stages them for OPA. Without `collected`, any problem throws a SourceError; with it,
 * problems are added there and the rules they concern are left out, so a lint goes on to check the others.
 */
async function prepare(options: BuildOptions, collected?: ProblemList): Promise<Prepared> {
  const buildDir = options.buildDir ?? join(options.rulesDir ?? DEFAULT_RULES_DIR, '.build');
  const opa = options.opa ?? (await resolveOpa());
  const version = await opaVersion(opa);
  const progress = options.onProgress ?? (() => {});
  progress('validating rule sources');
  const loaded = collected
    ? await collectSources(options)
    : { ...(await loadSources(options)), problems: [] };
  collected?.push(...loaded.problems);
  progress(`compiling ${loaded.rules.length} rules to Rego`);
  const { predicates, problems, broken } = await contractPredicates(opa, loaded.rules);
  if (!collected && problems.length > 0) throw new SourceError(problems);
  collected?.push(...problems);
  const rules = loaded.rules.filter((r) => !broken.has(r.id));

  const full = JSON.parse(await runOpaOk(opa, ['capabilities', '--current'])) as Capabilities;
  const capabilities = `${JSON.stringify(wasmCapabilities(full), null, 2)}\n`;
  const stage = stageSources(rules, predicates, await readFile(LIB_REGO, 'utf8'));
  await mkdir(buildDir, { recursive: true });
  await writeStage(buildDir, stage, capabilities);
  // Generated modules are written roughly formatted; opa fmt makes them canonical (and readable).
  await runOpaOk(opa, ['fmt', '-w', 'src', 'tests'], { cwd: buildDir });
  for (const path of stage.files.keys()) stage.files.set(path, await readFile(join(buildDir, path), 'utf8'));
  return { opa, version, buildDir, rules, packs: loaded.packs, stage, full, capabilities, progress };
}

/**
 * Lints the rules without building: metadata, fixtures, DSL, the attributes rules read against the resource
 * schemas, formatting, the Rego contract and `opa check --strict` against the wasm capabilities. Returns every
 * problem of every file at once (empty when clean); throws only when OPA itself fails.
 */
export async function lintRules(
  options: BuildOptions = {},
): Promise<{ rules: number; problems: SourceProblem[] }> {
  const collected = new ProblemList();
  let p: Prepared;
  try {
    p = await prepare(options, collected);
  } catch (e) {
    // The framework catalogs do not load: without UCF control ids the rules cannot be checked.
    if (!(e instanceof SourceError)) throw e;
    return { rules: 0, problems: sortProblems([...collected.items, ...e.problems]) };
  }
  p.progress('opa check --strict');
  try {
    await opaCheck(p.opa, p.buildDir, p.stage, p.full);
  } catch (e) {
    if (!(e instanceof SourceError)) throw e;
    collected.push(...e.problems);
  }
  const problems = sortProblems(collected.items);
  const clean = p.rules.filter((r) => !problems.some((x) => x.file.startsWith(`${r.dir}/`)));
  return { rules: clean.length, problems };
}

/**
 * Runs every rule's tests (fixtures and hand-written *_test.rego) with `opa test`, after lint. Throws a
 * SourceError when the rules do not lint; otherwise returns one result per test, passed or not.
 */
export async function testRules(options: BuildOptions = {}): Promise<RuleTestResult[]> {
  const p = await prepare(options);
  p.progress('opa check --strict');
  await opaCheck(p.opa, p.buildDir, p.stage, p.full);
  p.progress('opa test');
  return runFixtureTests(p.opa, p.buildDir, p.stage);
}

/**
 * Compiles the rules into a bundle in memory, staging its work in `buildDir`. Throws a SourceError listing
 * file:line problems, or an EngineError when OPA itself fails.
 */
export async function compileBundle(options: BuildOptions = {}): Promise<BuildOutput> {
  const { opa, version, buildDir, rules, packs, stage, full, capabilities, progress } =
    await prepare(options);
  progress('opa check --strict');
  await opaCheck(opa, buildDir, stage, full);
  progress('opa test');
  await opaTest(opa, buildDir, stage);
  progress('opa build -t wasm');

  const revision = bundleRevision(version, capabilities, stage, rules, packs);
  const catalog = catalogOf(rules, packs, revision, version);
  const entrypoints = [
    ...Object.values(catalog.types).map((t) => t.entrypoint),
    ...catalog.rules.map((r) => r.entrypoint),
  ];
  // No -O: optimisation together with the wasm target panics in OPA (open upstream bug).
  await runOpaOk(
    opa,
    [
      'build',
      '-t',
      'wasm',
      '--capabilities',
      'capabilities.json',
      '--revision',
      revision,
      ...entrypoints.flatMap((e) => ['-e', e]),
      '-o',
      'bundle.tar.gz',
      'src',
    ],
    { cwd: buildDir },
  );
  const archive = readTarGz(await readFile(join(buildDir, 'bundle.tar.gz')));
  const wasm = archive.get('policy.wasm');
  const manifest = archive.get('.manifest');
  if (!wasm || !manifest)
    throw new EngineError(ERROR_CODES.OPA_FAILED, 'opa build wrote no policy.wasm or .manifest');

  const needed = requiredHostBuiltins(await loadPolicy(wasm)).filter((b) => !(b in ENGINE_HOST_BUILTINS));
  if (needed.length > 0) {
    throw new EngineError(
      ERROR_CODES.REGO_BUILTIN_UNAVAILABLE,
      `the bundle needs builtins the engine does not provide: ${needed.join(', ')} (update engine/compile/capabilities.ts)`,
    );
  }
  return {
    revision,
    opaVersion: version,
    catalog,
    files: {
      'policy.wasm': wasm,
      '.manifest': manifest,
      'catalog.json': Buffer.from(serializeCatalog(catalog)),
      'sources.json': Buffer.from(
        serializeRuleSources({
          format: RULE_SOURCES_FORMAT,
          revision,
          rules: Object.fromEntries(
            rules.map((r) => [
              r.id,
              {
                version: r.metadata.version,
                hash: r.hash,
                files: [
                  { name: 'rule.yaml', text: r.yaml.text },
                  ...(r.policy ? [{ name: 'policy.rego', text: r.policy.text }] : []),
                ],
              },
            ]),
          ),
        }),
      ),
    },
  };
}

/** Builds the bundle and writes policy.wasm, .manifest and catalog.json to `outDir` (rules/dist). */
export async function buildRules(options: BuildOptions = {}): Promise<BuildOutput> {
  const output = await compileBundle(options);
  const outDir = options.outDir ?? DEFAULT_BUNDLE_DIR;
  await mkdir(outDir, { recursive: true });
  for (const name of BUNDLE_FILES) await writeFile(join(outDir, name), output.files[name]);
  return output;
}

/** Where a check given a build folder keeps the bundle it built, inside that folder. */
export const CHECKED_BUNDLE_DIR = 'dist';

/**
 * Builds and compares with the bundle in `outDir`. Returns the names of the files that differ (or are
 * missing); empty when the committed bundle is what the sources build to. The build stages in a temporary
 * folder, removed afterwards, unless `buildDir` names one: that folder is kept, with the fresh bundle in its
 * `dist/` (CHECKED_BUNDLE_DIR), so a stale result can be compared file by file and the build reused
 * (scripts/test.sh hands it to the test run: test/rule-build.ts).
 */
export async function checkBundle(
  options: BuildOptions = {},
): Promise<{ differing: BundleFileName[]; revision: string }> {
  const scratch = await mkdtemp(join(tmpdir(), 'complywise-rules-check-'));
  try {
    const output = await compileBundle({ ...options, buildDir: options.buildDir ?? join(scratch, 'build') });
    if (options.buildDir) {
      const fresh = join(options.buildDir, CHECKED_BUNDLE_DIR);
      await mkdir(fresh, { recursive: true });
      for (const name of BUNDLE_FILES) await writeFile(join(fresh, name), output.files[name]);
    }
    const outDir = options.outDir ?? DEFAULT_BUNDLE_DIR;
    const differing: BundleFileName[] = [];
    for (const name of BUNDLE_FILES) {
      const file = join(outDir, name);
      const committed = existsSync(file) ? await readFile(file) : null;
      if (!committed || !committed.equals(output.files[name])) differing.push(name);
    }
    return { differing, revision: output.revision };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The Rego compiled for one rule: its module (generated from check:, or policy.rego) and its decide module. */
export async function explainRule(id: string, options: BuildOptions = {}): Promise<string> {
  const { rules } = await loadSources(options);
  const rule = rules.find((r) => r.id === id);
  if (!rule) {
    throw new EngineError(
      ERROR_CODES.UNKNOWN_RULE,
      `no rule ${id}; known rules: ${rules.map((r) => r.id).join(', ')}`,
    );
  }
  const opa = options.opa ?? (await resolveOpa());
  const { predicates, problems } = await contractPredicates(opa, [rule]);
  if (problems.length > 0) throw new SourceError(problems);
  const fmt = (text: string) => runOpaOk(opa, ['fmt'], { stdin: text });
  const module = rule.policy ? rule.policy.text : await fmt(dslRego(rule));
  const decide = await fmt(
    decideModule({
      id: rule.id,
      resourceTypes: rule.metadata.resource_types,
      predicates: predicates.get(rule.id)!,
    }),
  );
  const title = rule.policy
    ? `${rule.folder}/policy.rego (hand-written)`
    : `compiled from ${rule.folder}/rule.yaml`;
  return `# ---- ${title}\n${module}\n# ---- complywise.decide (generated)\n${decide}`;
}
