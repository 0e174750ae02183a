/**
 * Finds and validates rule packages: rules/<provider>/<service>/<name>/ with rule.yaml, either a DSL `check:`
 * or a policy.rego, fixtures under fixtures/<expected status>/*.json, and optional hand-written *_test.rego.
 * Every problem is collected and reported as file:line before anything is compiled.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { validatorFor, type Resource, type RuleMetadata, type Status } from '../../schemas/index.ts';
import { ERROR_CODES, ProblemList, SourceError, type SourceProblem } from '../errors.ts';
import { placeholderProblem } from '../messages.ts';
import { keyLineAt, lineAt, parseYamlSource, schemaProblems, type YamlSource } from '../yaml-source.ts';
import { parseDslCheck, type DslCheck } from './dsl.ts';
import { dslSchemaProblems } from './dsl-schema.ts';
import { ruleSnake } from './generate.ts';

/** Fixture folders and the status a fixture in each must get. */
export const FIXTURE_FOLDERS: Record<string, Status> = {
  good: 'pass',
  bad: 'fail',
  error: 'error',
  not_applicable: 'not_applicable',
};

export interface Fixture {
  file: string;
  /** Path relative to the rules root (posix), for messages and generated comments. */
  source: string;
  expected: Status;
  resource: Resource;
}

export interface SourceFile {
  file: string;
  /** Path relative to the rules root (posix). */
  source: string;
  text: string;
}

export interface RuleSource {
  id: string;
  snake: string;
  /** The rule folder relative to the rules root (posix). */
  folder: string;
  dir: string;
  yaml: YamlSource;
  metadata: RuleMetadata;
  kind: 'dsl' | 'rego';
  check: DslCheck | null;
  policy: SourceFile | null;
  tests: SourceFile[];
  fixtures: Fixture[];
  /** Parameter defaults (from the parameters schema). */
  defaults: Record<string, unknown>;
  /** sha256 over rule.yaml then policy.rego (see ruleHash). */
  hash: string;
}

const SKIP_DIRS = new Set(['dist', 'node_modules', 'fixtures']);

function posix(path: string): string {
  return path.split(sep).join('/');
}

/** Every folder under `root` holding a rule.yaml, sorted. */
async function ruleFolders(root: string): Promise<string[]> {
  const found: string[] = [];
  async function visit(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name === 'rule.yaml')) found.push(dir);
    for (const e of entries) {
      if (e.isDirectory() && !e.name.startsWith('.') && !SKIP_DIRS.has(e.name))
        await visit(join(dir, e.name));
    }
  }
  await visit(root);
  return found.sort();
}

/**
 * sha256 of a rule's sources: for each file (rule.yaml, then policy.rego when present) its name, a NUL, its
 * bytes, a NUL. Fixtures and tests are not part of it: they check the rule, they do not change it.
 */
export function ruleHash(files: { name: string; text: string }[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.name}\0`).update(f.text).update('\0');
  return h.digest('hex');
}

function checkMessages(src: YamlSource, meta: RuleMetadata, problems: ProblemList): void {
  const params = Object.keys(meta.parameters?.properties ?? {});
  for (const [kind, template] of Object.entries(meta.messages)) {
    for (const match of template.matchAll(/\{([^}]*)\}/g)) {
      const problem = placeholderProblem(match[1] ?? '', params);
      if (problem) {
        problems.add(
          ERROR_CODES.MESSAGE_PLACEHOLDER,
          src.file,
          lineAt(src, ['messages', kind]),
          `field messages.${kind}: ${problem}`,
        );
      }
    }
  }
}

/** Compiles the parameters schema and checks its defaults; returns the defaults. */
function checkParameters(
  src: YamlSource,
  meta: RuleMetadata,
  problems: ProblemList,
): Record<string, unknown> {
  if (!meta.parameters) return {};
  const defaults: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(meta.parameters.properties)) defaults[name] = schema.default;
  try {
    const validate = new Ajv2020({ strict: true, allErrors: true }).compile(meta.parameters);
    if (!validate(defaults)) {
      for (const e of validate.errors ?? []) {
        const name = e.instancePath.slice(1).split('/')[0] ?? '';
        problems.add(
          ERROR_CODES.PARAMETERS_INVALID,
          src.file,
          lineAt(src, ['parameters', 'properties', name, 'default']),
          `field parameters.properties.${name}.default: ${e.message ?? 'does not match its schema'}`,
        );
      }
    }
  } catch (e) {
    problems.add(
      ERROR_CODES.PARAMETERS_INVALID,
      src.file,
      keyLineAt(src, ['parameters']),
      `field parameters: not a usable JSON Schema: ${(e as Error).message}`,
    );
  }
  return defaults;
}

async function loadFixtures(
  root: string,
  dir: string,
  meta: RuleMetadata,
  problems: ProblemList,
): Promise<Fixture[]> {
  const fixtures: Fixture[] = [];
  const base = join(dir, 'fixtures');
  const ruleFile = join(dir, 'rule.yaml');
  const folders = existsSync(base)
    ? (await readdir(base, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))
    : [];
  for (const folder of folders) {
    const expected = FIXTURE_FOLDERS[folder.name];
    if (!folder.isDirectory() || !expected) {
      problems.add(
        ERROR_CODES.RULE_LAYOUT,
        join(base, folder.name),
        1,
        `unexpected entry in fixtures/: use folders ${Object.keys(FIXTURE_FOLDERS).join(', ')}`,
      );
      continue;
    }
    for (const name of (await readdir(join(base, folder.name))).sort()) {
      const file = join(base, folder.name, name);
      if (!name.endsWith('.json')) {
        problems.add(ERROR_CODES.RULE_LAYOUT, file, 1, 'fixtures are .json files holding one resource');
        continue;
      }
      let src: YamlSource;
      try {
        src = parseYamlSource(file, await readFile(file, 'utf8'));
      } catch (e) {
        if (!(e instanceof SourceError)) throw e;
        problems.push(...e.problems.map((p) => ({ ...p, code: ERROR_CODES.FIXTURE_INVALID })));
        continue;
      }
      const envelope = schemaProblems(src, validatorFor('resource')!, ERROR_CODES.FIXTURE_INVALID);
      if (envelope.length > 0) {
        problems.push(...envelope);
        continue;
      }
      const resource = src.data as Resource;
      const attributes = validatorFor(`resources/${resource.type}`);
      if (attributes) {
        problems.push(
          ...schemaProblems(src, attributes, ERROR_CODES.FIXTURE_INVALID, resource.attributes, [
            'attributes',
          ]),
        );
      }
      if (!meta.resource_types.includes(resource.type)) {
        problems.add(
          ERROR_CODES.FIXTURE_INVALID,
          file,
          lineAt(src, ['type']),
          `field type: ${resource.type} is not one of the rule's resource_types (${meta.resource_types.join(', ')})`,
        );
      }
      fixtures.push({ file, source: posix(relative(root, file)), expected, resource });
    }
  }
  for (const [folder, status] of [
    ['good', 'pass'],
    ['bad', 'fail'],
  ] as const) {
    if (!fixtures.some((f) => f.expected === status)) {
      problems.add(
        ERROR_CODES.RULE_LAYOUT,
        ruleFile,
        1,
        `rule needs at least one fixture in fixtures/${folder}/`,
      );
    }
  }
  return fixtures;
}

/**
 * What is wrong with the `check:` block: its syntax, then its attributes and operators against the schemas of
 * `resourceTypes` (when it parsed and those are a list of type names).
 */
function checkDsl(
  yaml: YamlSource,
  resourceTypes: unknown,
): { check: DslCheck | null; problems: SourceProblem[] } {
  const { check, problems } = parseDslCheck(yaml);
  if (!check || !Array.isArray(resourceTypes)) return { check, problems };
  const types = resourceTypes.filter((t): t is string => typeof t === 'string');
  return { check, problems: dslSchemaProblems(check, yaml.file, types) };
}

async function readOptional(file: string, root: string): Promise<SourceFile | null> {
  if (!existsSync(file)) return null;
  return { file, source: posix(relative(root, file)), text: await readFile(file, 'utf8') };
}

async function loadRule(
  root: string,
  dir: string,
  ucfControls: ReadonlySet<string> | null,
  problems: ProblemList,
  ids: Set<string>,
): Promise<RuleSource | null> {
  const file = join(dir, 'rule.yaml');
  let yaml: YamlSource;
  try {
    yaml = parseYamlSource(file, await readFile(file, 'utf8'));
  } catch (e) {
    if (!(e instanceof SourceError)) throw e;
    problems.push(...e.problems);
    return null;
  }
  const id = (yaml.data as { id?: unknown } | null)?.id;
  if (typeof id === 'string') ids.add(id);
  const schema = schemaProblems(yaml, validatorFor('rule')!);
  if (schema.length > 0) {
    problems.push(...schema);
    // Report what the check gets wrong too, so one run lists every problem of the file.
    const check = (yaml.data as { check?: unknown } | null)?.check;
    if (typeof check === 'object' && check !== null && 'assert' in check) {
      problems.push(...checkDsl(yaml, (yaml.data as { resource_types?: unknown }).resource_types).problems);
    }
    return null;
  }
  const metadata = yaml.data as RuleMetadata;
  const before = problems.items.length;

  metadata.resource_types.forEach((type, i) => {
    if (!validatorFor(`resources/${type}`)) {
      problems.add(
        ERROR_CODES.UNKNOWN_REFERENCE,
        file,
        lineAt(yaml, ['resource_types', i]),
        `field resource_types[${i}]: no resource type ${type} (schemas/resources/${type}.schema.json)`,
      );
    }
  });
  if (ucfControls) {
    metadata.ucf_controls.forEach((id, i) => {
      if (!ucfControls.has(id)) {
        problems.add(
          ERROR_CODES.UNKNOWN_REFERENCE,
          file,
          lineAt(yaml, ['ucf_controls', i]),
          `field ucf_controls[${i}]: no UCF control ${id} in frameworks/ucf/controls.yaml`,
        );
      }
    });
  }
  checkMessages(yaml, metadata, problems);
  const defaults = checkParameters(yaml, metadata, problems);

  const policy = await readOptional(join(dir, 'policy.rego'), root);
  const { check, problems: dslProblems } = checkDsl(yaml, metadata.resource_types);
  problems.push(...dslProblems);
  if (metadata.check && policy) {
    problems.add(
      ERROR_CODES.RULE_LAYOUT,
      file,
      keyLineAt(yaml, ['check']),
      'a rule has either a check: block or a policy.rego, not both',
    );
  } else if (!metadata.check && !policy) {
    problems.add(
      ERROR_CODES.RULE_LAYOUT,
      file,
      1,
      'a rule needs a check: block or a policy.rego beside rule.yaml',
    );
  }

  const tests: SourceFile[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (name.endsWith('_test.rego')) tests.push((await readOptional(join(dir, name), root))!);
    else if (name.endsWith('.rego') && name !== 'policy.rego') {
      problems.add(
        ERROR_CODES.RULE_LAYOUT,
        join(dir, name),
        1,
        'a rule folder holds policy.rego and *_test.rego only',
      );
    }
  }
  const fixtures = await loadFixtures(root, dir, metadata, problems);
  if (problems.items.length > before) return null;

  const hashed = [{ name: 'rule.yaml', text: yaml.text }];
  if (policy) hashed.push({ name: 'policy.rego', text: policy.text });
  return {
    id: metadata.id,
    snake: ruleSnake(metadata.id),
    folder: posix(relative(root, dir)),
    dir,
    yaml,
    metadata,
    kind: policy ? 'rego' : 'dsl',
    check,
    policy,
    tests,
    fixtures,
    defaults,
    hash: ruleHash(hashed),
  };
}

/**
 * Loads every rule package under `root` and collects every problem in every rule without throwing. `rules`
 * holds the packages that are valid on their own (a package whose id repeats an earlier one is left out);
 * `ids` the id of every rule.yaml that parses, valid or not (what a rule pack may name).
 * `ucfControls`: known UCF control ids (null skips that check).
 */
export async function collectRuleSources(
  root: string,
  ucfControls: ReadonlySet<string> | null,
): Promise<{ rules: RuleSource[]; ids: Set<string>; problems: SourceProblem[] }> {
  const problems = new ProblemList();
  const loaded: RuleSource[] = [];
  const ids = new Set<string>();
  for (const dir of await ruleFolders(root)) {
    const rule = await loadRule(root, dir, ucfControls, problems, ids);
    if (rule) loaded.push(rule);
  }
  const byId = new Map<string, RuleSource>();
  const bySnake = new Map<string, RuleSource>();
  const rules: RuleSource[] = [];
  for (const rule of loaded) {
    const other = byId.get(rule.id) ?? bySnake.get(rule.snake);
    if (other) {
      problems.add(
        ERROR_CODES.DUPLICATE_ID,
        rule.yaml.file,
        lineAt(rule.yaml, ['id']),
        `rule id ${rule.id} is already used by ${other.folder}/rule.yaml`,
      );
      continue;
    }
    byId.set(rule.id, rule);
    bySnake.set(rule.snake, rule);
    rules.push(rule);
  }
  return { rules: rules.sort((a, b) => (a.id < b.id ? -1 : 1)), ids, problems: problems.items };
}

/**
 * Loads every rule package under `root`. `ucfControls`: known UCF control ids (null skips that check).
 * Throws a SourceError listing every problem in every rule.
 */
export async function loadRuleSources(
  root: string,
  ucfControls: ReadonlySet<string> | null,
): Promise<RuleSource[]> {
  const { rules, problems } = await collectRuleSources(root, ucfControls);
  if (problems.length > 0) throw new SourceError(problems);
  return rules;
}
