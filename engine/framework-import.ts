/**
 * `complywise frameworks import`: overlay official wording a user has (OSCAL catalog JSON/XML, or CSV with a
 * column map) onto a committed catalog, matching by requirement id and never touching ids or mappings; or turn
 * a whole OSCAL catalog into a new custom framework. Files are written whole or not at all.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isMap, isSeq, stringify } from 'yaml';
import { validatorFor, type FrameworkCatalog } from '../schemas/index.ts';
import { ERROR_CODES, SourceError } from './errors.ts';
import { loadFrameworkDefinitions, overlayPath, readOverlay } from './frameworks.ts';
import { readOscalCatalog, type OscalCatalog, type OscalNode } from './oscal-read.ts';
import { DEFAULT_FRAMEWORKS_DIR } from './paths.ts';
import { parseYamlSource, schemaProblems } from './yaml-source.ts';

/** One piece of official text from an import file, with every id it may be known by. */
export interface OfficialText {
  /** The id shown in reports (the label when it is id-like, else the file's id). */
  id: string;
  keys: string[];
  title?: string;
  statement?: string;
  withdrawn: boolean;
}

/** What an overlay did. */
export interface ImportReport {
  framework_id: string;
  framework_version: string;
  /** Requirements that got official text. */
  matched: number;
  /** Catalog requirements the file has no text for. */
  unmatched_in_catalog: string[];
  /** Ids in the file that match no requirement or group of the catalog (withdrawn ones left out). */
  unmatched_in_file: string[];
  /** Entries the file marks withdrawn. */
  withdrawn_in_file: number;
  /** The file written, or null for a dry run. */
  written: string | null;
}

const importError = (file: string, line: number, message: string) =>
  new SourceError([{ code: ERROR_CODES.IMPORT_INVALID, file, line, message }]);

/** The id a node is best known by: its own label when that looks like an id, the id in "(…)" at the end of a label, else its OSCAL id. */
export function preferredId(node: OscalNode): string {
  for (const label of [node.label, ...node.labels]) {
    if (!label) continue;
    if (/^[A-Za-z0-9][A-Za-z0-9.()-]*$/.test(label)) return label;
    const inParens = /\(([A-Za-z0-9][A-Za-z0-9.-]*)\)$/.exec(label);
    if (inParens) return inParens[1]!;
  }
  return node.id;
}

/** Every group and control of an OSCAL catalog as official text entries. */
export function officialTextFromOscal(catalog: OscalCatalog): OfficialText[] {
  const out: OfficialText[] = [];
  const walk = (nodes: OscalNode[]) => {
    for (const n of nodes) {
      const keys = new Set([n.id, preferredId(n), ...n.labels]);
      out.push({
        id: preferredId(n),
        keys: [...keys],
        title: n.title || undefined,
        statement: n.statement,
        withdrawn: n.withdrawn,
      });
      walk(n.children);
    }
  };
  walk(catalog.nodes);
  return out;
}

/** Splits CSV text (RFC 4180: quoted fields, doubled quotes, newlines inside quotes) into rows with their start lines. */
export function parseCsv(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const body = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (quoted) {
      if (ch === '"' && body[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && body[i + 1] === '\n') i++;
      cells.push(cell);
      if (cells.some((c) => c !== '')) rows.push({ line: rowLine, cells });
      cells = [];
      cell = '';
      line++;
      rowLine = line;
    } else cell += ch;
  }
  cells.push(cell);
  if (cells.some((c) => c !== '')) rows.push({ line: rowLine, cells });
  return rows;
}

/** Column map from "id=Control ID,statement=Requirement Text,title=Name". */
export function parseColumnMap(spec: string): { id: string; statement?: string; title?: string } {
  const map: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const [key, ...rest] = part.split('=');
    const column = rest.join('=').trim();
    if (!key || !column || !['id', 'statement', 'title'].includes(key.trim())) {
      throw new Error(`--columns: "${part}" is not field=column with field one of id, statement, title`);
    }
    map[key.trim()] = column;
  }
  if (!map.id) throw new Error('--columns must name the id column (id=<column>)');
  if (!map.statement && !map.title) throw new Error('--columns must name a statement or title column');
  return map as { id: string; statement?: string; title?: string };
}

/** Official text rows from CSV, by a column map; a missing column or a row without an id is an error at its line. */
export function officialTextFromCsv(
  file: string,
  text: string,
  columns: { id: string; statement?: string; title?: string },
): OfficialText[] {
  const rows = parseCsv(text);
  const header = rows.shift();
  if (!header) throw importError(file, 1, 'the CSV file is empty');
  const index = (name: string | undefined) => {
    if (name === undefined) return -1;
    const i = header.cells.findIndex((c) => c.trim() === name);
    if (i < 0) {
      throw importError(
        file,
        header.line,
        `the CSV header has no column "${name}" (columns: ${header.cells.map((c) => c.trim()).join(', ')})`,
      );
    }
    return i;
  };
  const [idAt, statementAt, titleAt] = [index(columns.id), index(columns.statement), index(columns.title)];
  const problems = [];
  const out: OfficialText[] = [];
  for (const row of rows) {
    const id = (row.cells[idAt] ?? '').trim();
    if (!id) {
      problems.push({
        code: ERROR_CODES.IMPORT_INVALID,
        file,
        line: row.line,
        message: `row has no value in the id column "${columns.id}"`,
      });
      continue;
    }
    const cellAt = (i: number) => (i >= 0 ? (row.cells[i] ?? '').trim() || undefined : undefined);
    out.push({ id, keys: [id], statement: cellAt(statementAt), title: cellAt(titleAt), withdrawn: false });
  }
  if (problems.length > 0) throw new SourceError(problems);
  return out;
}

/** Reads an import file: OSCAL JSON/XML, or CSV when `columns` is given. */
export async function readOfficialText(
  file: string,
  options: { columns?: { id: string; statement?: string; title?: string } } = {},
): Promise<OfficialText[]> {
  const text = await readFile(file, 'utf8');
  return options.columns
    ? officialTextFromCsv(file, text, options.columns)
    : officialTextFromOscal(readOscalCatalog(file, text));
}

/** Writes a file through a temporary sibling and a rename, so readers never see half of it. */
async function writeWhole(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Sets `statement` on every requirement of `framework@version` (in `dir`) that the entries have text for,
 * leaving ids, titles, mappings and comments as they are. Unless `dryRun`, writes the statements to the
 * framework's overlay (`<dir>/.overlay/<id>/<version>.yaml`, git-ignored, merged by the loader, keeping the
 * statements of earlier imports that this one does not replace), so licensed text never lands in a committed
 * catalog by accident; with `out`, writes the whole overlaid catalog there instead.
 */
export async function overlayOfficialText(
  entries: OfficialText[],
  options: { framework: string; version?: string; dir?: string; out?: string; dryRun?: boolean },
): Promise<ImportReport> {
  const dir = resolve(options.dir ?? DEFAULT_FRAMEWORKS_DIR);
  const definitions = await loadFrameworkDefinitions(dir);
  const candidates = definitions.frameworks.filter(
    (f) => f.id === options.framework && (options.version === undefined || f.version === options.version),
  );
  if (candidates.length !== 1) {
    const known = definitions.frameworks.map((f) => `${f.id}@${f.version}`).join(', ');
    throw new Error(
      candidates.length === 0
        ? `no framework ${options.framework}${options.version ? `@${options.version}` : ''} (known: ${known})`
        : `${options.framework} has several versions: name one (${candidates.map((f) => `${f.id}@${f.version}`).join(', ')})`,
    );
  }
  const fw = candidates[0]!;
  const file = join(dir, fw.id, `${fw.version}.yaml`);
  const src = parseYamlSource(file, await readFile(file, 'utf8'));

  const exact = new Map<string, OfficialText>();
  const folded = new Map<string, OfficialText>();
  for (const e of entries) {
    for (const k of e.keys) {
      if (!exact.has(k)) exact.set(k, e);
      if (!folded.has(k.toLowerCase())) folded.set(k.toLowerCase(), e);
    }
  }
  const find = (id: string) => exact.get(id) ?? folded.get(id.toLowerCase());
  const used = new Set<OfficialText>();
  for (const g of fw.groups ?? []) {
    const e = find(g.id);
    if (e) used.add(e);
  }
  const requirements = src.doc.get('requirements');
  if (!isSeq(requirements)) throw new Error(`${file}: requirements is not a list`);
  let matched = 0;
  const unmatched_in_catalog: string[] = [];
  fw.requirements.forEach((req, i) => {
    const e = find(req.id);
    if (!e) {
      unmatched_in_catalog.push(req.id);
      return;
    }
    used.add(e);
    const node = requirements.items[i];
    if (e.statement && isMap(node)) {
      node.set('statement', e.statement);
      matched++;
    } else if (!e.statement) unmatched_in_catalog.push(req.id);
  });
  const unmatched_in_file = entries.filter((e) => !used.has(e) && !e.withdrawn).map((e) => e.id);

  const text = src.doc.toString({ lineWidth: 0 });
  const check = parseYamlSource(file, text);
  const validate = validatorFor('framework');
  const problems = validate ? schemaProblems(check, validate) : [];
  if (problems.length > 0) throw new SourceError(problems);
  let written: string | null = null;
  if (!options.dryRun && options.out) {
    written = resolve(options.out);
    await writeWhole(written, text);
  } else if (!options.dryRun) {
    written = overlayPath(dir, fw.id, fw.version);
    const statements: Record<string, string> = existsSync(written)
      ? { ...(readOverlay(written, await readFile(written, 'utf8')).statements ?? {}) }
      : {};
    for (const req of fw.requirements) {
      const e = find(req.id);
      if (e?.statement) statements[req.id] = e.statement;
    }
    const overlay = { framework: fw.id, version: fw.version, statements };
    await writeWhole(
      written,
      `# Official text imported by \`complywise frameworks import\`: kept out of git (frameworks/.overlay/ is\n# ignored) and merged into ${fw.id}/${fw.version}.yaml when the catalogs load.\n${stringify(overlay, { lineWidth: 0 })}`,
    );
  }
  return {
    framework_id: fw.id,
    framework_version: fw.version,
    matched,
    unmatched_in_catalog,
    unmatched_in_file,
    withdrawn_in_file: entries.filter((e) => e.withdrawn).length,
    written,
  };
}

/**
 * A new framework catalog from a whole OSCAL catalog: groups stay groups, controls become requirements and
 * nested controls (enhancements, sub-requirements) keep their parent. Withdrawn controls are left out.
 */
export function catalogFromOscal(
  catalog: OscalCatalog,
  meta: { id: string; version: string; title?: string; owner?: string; source?: string; license?: string },
): FrameworkCatalog {
  const groups: NonNullable<FrameworkCatalog['groups']> = [];
  const requirements: FrameworkCatalog['requirements'][number][] = [];
  const walk = (nodes: OscalNode[], parent: string | undefined, underControl: boolean) => {
    for (const n of nodes) {
      if (n.withdrawn) continue;
      const id = preferredId(n);
      const title = n.title && n.title !== id ? n.title : (n.statement?.split('\n')[0] ?? id);
      if (n.kind === 'group' && !underControl) {
        groups.push({ id, title, ...(n.class ? { kind: n.class } : {}), ...(parent ? { parent } : {}) });
        walk(n.children, id, false);
      } else {
        requirements.push({
          id,
          title,
          ...(n.class ? { kind: n.class } : {}),
          ...(parent ? { parent } : {}),
          ...(n.statement ? { statement: n.statement } : {}),
        });
        walk(n.children, id, true);
      }
    }
  };
  walk(catalog.nodes, undefined, false);
  return {
    id: meta.id,
    version: meta.version,
    title: meta.title ?? (catalog.title || meta.id),
    owner: meta.owner ?? 'Imported from an OSCAL catalog',
    source: meta.source ?? 'https://pages.nist.gov/OSCAL/',
    license: meta.license ?? 'As published by the catalog owner; imported by the user.',
    text_policy: 'official_text',
    ...(groups.length > 0 ? { groups } : {}),
    requirements: requirements as FrameworkCatalog['requirements'],
  };
}

/**
 * Imports a whole OSCAL catalog as frameworks/<id>/<version>.yaml, validated with the rest of the catalogs
 * before it is kept (an invalid result is removed again). Refuses to replace an existing catalog.
 */
export async function importOscalAsFramework(
  file: string,
  meta: { id: string; version: string; title?: string; owner?: string; source?: string; license?: string },
  options: { dir?: string } = {},
): Promise<{ written: string; groups: number; requirements: number }> {
  const dir = resolve(options.dir ?? DEFAULT_FRAMEWORKS_DIR);
  const catalog = catalogFromOscal(readOscalCatalog(file, await readFile(file, 'utf8')), meta);
  if (catalog.requirements.length === 0)
    throw importError(file, 1, 'the OSCAL catalog has no controls to import');
  const target = join(dir, meta.id, `${meta.version}.yaml`);
  if (existsSync(target))
    throw new Error(`${target} already exists: a catalog is never replaced by an import`);
  const text = `# Imported from ${file} by \`complywise frameworks import --as\`.\n${stringify(catalog, { lineWidth: 0 })}`;
  await writeWhole(target, text);
  try {
    await loadFrameworkDefinitions(dir);
  } catch (e) {
    await rm(target, { force: true });
    throw e;
  }
  return { written: target, groups: catalog.groups?.length ?? 0, requirements: catalog.requirements.length };
}
