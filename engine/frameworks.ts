/**
 * Loads the Unified Control Framework (frameworks/ucf/controls.yaml) and the framework catalogs
 * (frameworks/<id>/<version>.yaml), validates them against their JSON Schemas and each other, and joins the
 * rule → control links from the bundle catalog. Every problem is reported as file:line.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import {
  validatorFor,
  type FrameworkCatalog,
  type UcfControl,
  type UcfControlCatalog,
} from '../schemas/index.ts';
import { parse } from 'yaml';
import type { Catalog } from './catalog.ts';
import { EngineError, ERROR_CODES, ProblemList, SourceError } from './errors.ts';
import { DEFAULT_BUNDLE_DIR, DEFAULT_FRAMEWORKS_DIR } from './paths.ts';
import { keyLineAt, lineAt, parseYamlSource, schemaProblems, type YamlSource } from './yaml-source.ts';

/** Everything mapping and scoring need. */
export interface Frameworks {
  /** Version of the UCF catalog. */
  ucf_version: string;
  controls: UcfControl[];
  /** Framework catalogs, sorted by id then version. */
  frameworks: FrameworkCatalog[];
  /** rule id → UCF control ids, from the bundle catalog. */
  rule_controls: Record<string, string[]>;
}

/** The UCF and framework catalogs without the rule links (what the rules build validates against). */
export type FrameworkDefinitions = Omit<Frameworks, 'rule_controls'>;

function mustValidator(name: string) {
  const v = validatorFor(name);
  if (!v) throw new Error(`schemas/${name}.schema.json is missing`);
  return v;
}

/**
 * A source whose positions are computed only when a problem needs a line: the catalogs are large, and a plain
 * parse is a few times faster than one that keeps every node's position. Syntax errors take the slow path
 * straight away, which reports them with their lines.
 */
export function lazySource(file: string, text: string): YamlSource {
  let data: unknown;
  try {
    data = parse(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch {
    return parseYamlSource(file, text);
  }
  let full: YamlSource | undefined;
  const positions = () => (full ??= parseYamlSource(file, text));
  return {
    file,
    text,
    data,
    get doc() {
      return positions().doc;
    },
    get lineCounter() {
      return positions().lineCounter;
    },
  };
}

async function readSource(file: string, problems: ProblemList): Promise<YamlSource | null> {
  try {
    return lazySource(file, await readFile(file, 'utf8'));
  } catch (e) {
    if (e instanceof SourceError) problems.push(...e.problems);
    else throw e;
    return null;
  }
}

/** frameworks/<id>/<version>.yaml files, excluding the UCF folder, sorted. */
async function frameworkFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    if (!entry.isDirectory() || entry.name === 'ucf' || entry.name.startsWith('.')) continue;
    for (const f of (await readdir(join(dir, entry.name))).sort()) {
      if (f.endsWith('.yaml') || f.endsWith('.yml')) files.push(join(dir, entry.name, f));
    }
  }
  return files;
}

/**
 * Loads and cross-checks the UCF controls and framework catalogs under `dir`. Throws a SourceError listing
 * every problem (schema, duplicate ids, unknown frameworks or requirements in mappings, parent cycles, bad
 * links). Results are cached by content, so the returned objects are shared: treat them as read-only.
 */
export async function loadFrameworkDefinitions(
  dir: string = DEFAULT_FRAMEWORKS_DIR,
): Promise<FrameworkDefinitions> {
  const root = isAbsolute(dir) ? dir : resolve(dir);
  // Parsing and validating the catalogs takes a few hundred milliseconds; the API and the scan worker ask for
  // them again and again. The same bytes give the same result, so validate once per distinct content.
  const files = [
    ...(await frameworkFiles(root)),
    join(root, 'ucf', 'controls.yaml'),
    ...(await overlayFiles(root)),
  ];
  const hash = createHash('sha256').update(root);
  for (const file of files) {
    hash.update(`\0${file}\0`);
    if (existsSync(file)) hash.update(await readFile(file));
  }
  const key = hash.digest('hex');
  const cached = definitionsCache.get(key);
  if (cached) return cached;
  const definitions = await readFrameworkDefinitions(root);
  definitionsCache.set(key, definitions);
  if (definitionsCache.size > 8) definitionsCache.delete(definitionsCache.keys().next().value!);
  return definitions;
}

/** Validated definitions by content hash (see loadFrameworkDefinitions). Callers must not mutate them. */
const definitionsCache = new Map<string, FrameworkDefinitions>();

async function readFrameworkDefinitions(root: string): Promise<FrameworkDefinitions> {
  const problems = new ProblemList();
  const frameworks: { src: YamlSource; data: FrameworkCatalog }[] = [];

  for (const file of await frameworkFiles(root)) {
    const src = await readSource(file, problems);
    if (!src) continue;
    const schema = schemaProblems(src, mustValidator('framework'));
    if (schema.length > 0) {
      problems.push(...schema);
      continue;
    }
    const data = src.data as FrameworkCatalog;
    const expected = join(root, data.id, `${data.version}.yaml`);
    if (file !== expected) {
      problems.add(
        ERROR_CODES.SCHEMA_INVALID,
        file,
        keyLineAt(src, ['id']),
        `framework ${data.id} version ${data.version} must live in ${data.id}/${data.version}.yaml`,
      );
    }
    checkTree(src, data, problems);
    frameworks.push({ src, data });
  }
  await applyOverlays(root, frameworks, problems);
  checkLinks(frameworks, problems);

  const ucfFile = join(root, 'ucf', 'controls.yaml');
  let ucf: UcfControlCatalog | null = null;
  if (!existsSync(ucfFile)) {
    problems.add(ERROR_CODES.UNKNOWN_REFERENCE, ucfFile, 1, 'the UCF control catalog is missing');
  } else {
    const src = await readSource(ucfFile, problems);
    if (src) {
      const schema = schemaProblems(src, mustValidator('ucf-controls'));
      if (schema.length > 0) problems.push(...schema);
      else {
        ucf = src.data as UcfControlCatalog;
        checkMappings(src, ucf, frameworks, problems);
      }
    }
  }
  problems.throwIfAny();
  return {
    ucf_version: ucf!.version,
    controls: ucf!.controls,
    frameworks: frameworks
      .map((f) => f.data)
      .sort((a, b) => (a.id === b.id ? (a.version < b.version ? -1 : 1) : a.id < b.id ? -1 : 1)),
  };
}

/** Folder of imported official text, beside the catalogs and never committed (see .gitignore). */
export const OVERLAY_DIR = '.overlay';

/** Where the official text imported for `id@version` lives: `<dir>/.overlay/<id>/<version>.yaml`. */
export function overlayPath(dir: string, id: string, version: string): string {
  return join(dir, OVERLAY_DIR, id, `${version}.yaml`);
}

/** An overlay file: requirement id → official statement, for one framework version. */
export interface Overlay {
  framework: string;
  version: string;
  statements?: Record<string, string>;
}

/** Parses an overlay file; anything but `{ framework, version, statements: { id: text } }` is an error at its line. */
export function readOverlay(file: string, text: string): Overlay {
  const src = parseYamlSource(file, text);
  const data = src.data as Partial<Overlay> | null;
  const bad = (path: (string | number)[], message: string) =>
    new SourceError([{ code: ERROR_CODES.SCHEMA_INVALID, file, line: lineAt(src, path), message }]);
  if (
    !data ||
    typeof data !== 'object' ||
    typeof data.framework !== 'string' ||
    typeof data.version !== 'string'
  )
    throw bad([], 'an overlay names its framework and version');
  const statements = data.statements ?? {};
  if (typeof statements !== 'object' || Array.isArray(statements))
    throw bad(['statements'], 'statements: must be a mapping');
  for (const [id, statement] of Object.entries(statements)) {
    if (typeof statement !== 'string') throw bad(['statements', id], `statements.${id}: must be text`);
  }
  return data as Overlay;
}

async function overlayFiles(root: string): Promise<string[]> {
  const dir = join(root, OVERLAY_DIR);
  return existsSync(dir) ? frameworkFiles(dir) : [];
}

/**
 * Merges each overlay's statements into its catalog. An overlay for a catalog that is not there, or naming a
 * requirement the catalog does not have, is an error at its line: stale text never attaches silently.
 */
async function applyOverlays(
  root: string,
  frameworks: { src: YamlSource; data: FrameworkCatalog }[],
  problems: ProblemList,
): Promise<void> {
  for (const file of await overlayFiles(root)) {
    let overlay: Overlay;
    let src: YamlSource;
    try {
      const text = await readFile(file, 'utf8');
      overlay = readOverlay(file, text);
      src = parseYamlSource(file, text);
    } catch (e) {
      if (!(e instanceof SourceError)) throw e;
      problems.push(...e.problems);
      continue;
    }
    const target = frameworks.find(
      (f) => f.data.id === overlay.framework && f.data.version === overlay.version,
    );
    if (!target || file !== overlayPath(root, overlay.framework, overlay.version)) {
      problems.add(
        ERROR_CODES.UNKNOWN_REFERENCE,
        file,
        lineAt(src, ['framework']),
        `overlay for ${overlay.framework} ${overlay.version}: no such catalog at ${overlay.framework}/${overlay.version}.yaml`,
      );
      continue;
    }
    const byId = new Map(target.data.requirements.map((r) => [r.id, r]));
    for (const [id, statement] of Object.entries(overlay.statements ?? {})) {
      const req = byId.get(id);
      if (req) req.statement = statement;
      else
        problems.add(
          ERROR_CODES.UNKNOWN_REFERENCE,
          file,
          keyLineAt(src, ['statements', id]),
          `overlay statement for ${id}: ${overlay.framework} ${overlay.version} has no such requirement`,
        );
    }
  }
}

/**
 * Group and requirement ids are unique within a catalog, every parent exists, and following parents never
 * comes back to where it started.
 */
export function checkTree(src: YamlSource, data: FrameworkCatalog, problems: ProblemList): void {
  const file = src.file;
  const nodes = new Map<
    string,
    { idPath: (string | number)[]; parent?: string; path: (string | number)[] }
  >();
  const visit = (
    kind: 'group' | 'requirement',
    list: readonly { id: string; parent?: string }[],
    key: 'groups' | 'requirements',
  ) =>
    list.forEach((node, i) => {
      const first = nodes.get(node.id);
      if (first !== undefined) {
        problems.add(
          ERROR_CODES.DUPLICATE_ID,
          file,
          lineAt(src, [key, i, 'id']),
          `${kind} ${node.id} is already defined on line ${lineAt(src, first.idPath)}`,
        );
      } else nodes.set(node.id, { idPath: [key, i, 'id'], parent: node.parent, path: [key, i, 'parent'] });
    });
  visit('group', data.groups ?? [], 'groups');
  visit('requirement', data.requirements, 'requirements');
  for (const [id, node] of nodes) {
    if (node.parent === undefined) continue;
    if (!nodes.has(node.parent)) {
      problems.add(
        ERROR_CODES.UNKNOWN_REFERENCE,
        file,
        lineAt(src, node.path),
        `${id}: parent ${node.parent} is neither a group nor a requirement of ${data.id} ${data.version}`,
      );
      continue;
    }
    // Walk up; a chain longer than the number of nodes, or one that meets itself, is a cycle.
    const chain = [id];
    let at: string | undefined = node.parent;
    while (at !== undefined && chain.length <= nodes.size) {
      if (at === id) {
        problems.add(
          ERROR_CODES.PARENT_CYCLE,
          file,
          lineAt(src, node.path),
          `${id}: its parents form a cycle (${[...chain, id].join(' → ')})`,
        );
        break;
      }
      chain.push(at);
      at = nodes.get(at)?.parent;
    }
  }
}

/** `id@version` → the requirement ids of each catalog. */
export function requirementsByFramework(catalogs: readonly FrameworkCatalog[]): Map<string, Set<string>> {
  return new Map(catalogs.map((c) => [`${c.id}@${c.version}`, new Set(c.requirements.map((r) => r.id))]));
}

/** Every requirement link of one catalog points at a requirement of a known catalog (`requirementsOf`). */
export function checkCatalogLinks(
  src: YamlSource,
  data: FrameworkCatalog,
  requirementsOf: Map<string, Set<string>>,
  problems: ProblemList,
): void {
  data.requirements.forEach((req, r) => {
    (req.links ?? []).forEach((link, l) => {
      const known = requirementsOf.get(`${link.framework}@${link.framework_version}`);
      if (known?.has(link.requirement)) return;
      problems.add(
        ERROR_CODES.UNKNOWN_REFERENCE,
        src.file,
        lineAt(src, ['requirements', r, 'links', l, known ? 'requirement' : 'framework']),
        known
          ? `${req.id}: linked ${link.framework} ${link.framework_version} has no requirement ${link.requirement}`
          : `${req.id}: no framework ${link.framework} version ${link.framework_version} to link to`,
      );
    });
  });
}

/** Every requirement link points at a requirement of a loaded catalog. */
function checkLinks(frameworks: { src: YamlSource; data: FrameworkCatalog }[], problems: ProblemList): void {
  const requirementsOf = requirementsByFramework(frameworks.map((f) => f.data));
  for (const { src, data } of frameworks) checkCatalogLinks(src, data, requirementsOf, problems);
}

function checkMappings(
  src: YamlSource,
  ucf: UcfControlCatalog,
  frameworks: { data: FrameworkCatalog }[],
  problems: ProblemList,
): void {
  const requirementsOf = requirementsByFramework(frameworks.map((f) => f.data));
  const controlIndex = new Map<string, number>();
  ucf.controls.forEach((control, c) => {
    const first = controlIndex.get(control.id);
    if (first !== undefined) {
      problems.add(
        ERROR_CODES.DUPLICATE_ID,
        src.file,
        lineAt(src, ['controls', c, 'id']),
        `control ${control.id} is already defined on line ${lineAt(src, ['controls', first, 'id'])}`,
      );
    } else controlIndex.set(control.id, c);
    const mapped = new Set<string>();
    control.mappings.forEach((m, i) => {
      const at = (field: string) => lineAt(src, ['controls', c, 'mappings', i, field]);
      const key = `${m.framework}@${m.framework_version}`;
      const requirements = requirementsOf.get(key);
      if (!requirements) {
        problems.add(
          ERROR_CODES.UNKNOWN_REFERENCE,
          src.file,
          at('framework'),
          `field controls[${c}].mappings[${i}].framework: no framework ${m.framework} version ${m.framework_version} (frameworks/${m.framework}/${m.framework_version}.yaml)`,
        );
      } else if (!requirements.has(m.requirement)) {
        problems.add(
          ERROR_CODES.UNKNOWN_REFERENCE,
          src.file,
          at('requirement'),
          `field controls[${c}].mappings[${i}].requirement: ${m.framework} ${m.framework_version} has no requirement ${m.requirement}`,
        );
      }
      if (mapped.has(`${key}/${m.requirement}`)) {
        problems.add(
          ERROR_CODES.DUPLICATE_ID,
          src.file,
          at('requirement'),
          `control ${control.id} maps to ${m.framework} ${m.framework_version} ${m.requirement} twice`,
        );
      }
      mapped.add(`${key}/${m.requirement}`);
    });
  });
}

/** Reads a bundle catalog from a catalog.json path (or a bundle directory holding one). */
async function readCatalogFile(path: string): Promise<{ catalog: Catalog; src: YamlSource }> {
  const file = path.endsWith('.json') ? path : join(path, 'catalog.json');
  if (!existsSync(file)) {
    throw new EngineError(ERROR_CODES.BUNDLE_INVALID, `${file} is missing: run \`complywise rules build\``, {
      file,
    });
  }
  const src = lazySource(file, await readFile(file, 'utf8'));
  return { catalog: src.data as Catalog, src };
}

/**
 * Loads the UCF, the framework catalogs and the rule → control links of the bundle catalog.
 * `options.catalog`: a Catalog, a path to catalog.json (default rules/dist/catalog.json), or null for none.
 * A rule pointing at a control the UCF does not define is an error.
 */
export async function loadFrameworks(
  dir: string = DEFAULT_FRAMEWORKS_DIR,
  options: { catalog?: Catalog | string | null } = {},
): Promise<Frameworks> {
  const definitions = await loadFrameworkDefinitions(dir);
  const catalogOption = options.catalog === undefined ? DEFAULT_BUNDLE_DIR : options.catalog;
  const rule_controls: Record<string, string[]> = {};
  if (catalogOption !== null) {
    const { catalog, src } =
      typeof catalogOption === 'string'
        ? await readCatalogFile(catalogOption)
        : { catalog: catalogOption, src: null };
    const known = new Set(definitions.controls.map((c) => c.id));
    const problems = new ProblemList();
    catalog.rules.forEach((rule, r) => {
      rule_controls[rule.id] = [...rule.ucf_controls];
      rule.ucf_controls.forEach((id, i) => {
        if (!known.has(id)) {
          problems.add(
            ERROR_CODES.UNKNOWN_REFERENCE,
            src?.file ?? 'catalog',
            src ? lineAt(src, ['rules', r, 'ucf_controls', i]) : 1,
            `rule ${rule.id} points at UCF control ${id}, which frameworks/ucf/controls.yaml does not define`,
          );
        }
      });
    });
    problems.throwIfAny();
  }
  return { ...definitions, rule_controls };
}
