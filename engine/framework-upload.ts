/**
 * Checks a framework catalog a tenant uploads (through the API) the way `frameworks lint` checks the committed
 * ones, against the shared catalogs and UCF it will be scored with. Accepted: the YAML or JSON of a
 * frameworks/<id>/<version>.yaml catalog with a `mappings` list (UCF control → requirement), or a whole OSCAL
 * catalog (JSON or XML) with its id, version and mappings given beside it. Every problem is reported with its
 * line in the uploaded text; nothing is returned unless the whole upload is valid.
 */
import { validatorFor, type FrameworkCatalog, type UcfMapping } from '../schemas/index.ts';
import { ERROR_CODES, ProblemList, SourceError, type SourceProblem } from './errors.ts';
import { catalogFromOscal } from './framework-import.ts';
import { checkCatalogLinks, checkTree, requirementsByFramework, type Frameworks } from './frameworks.ts';
import { readOscalCatalog } from './oscal-read.ts';
import { lineAt, parseYamlSource, schemaProblems, type YamlSource } from './yaml-source.ts';

export type UploadFormat = 'yaml' | 'json' | 'oscal';

/** One mapping of an uploaded catalog, as written in the upload. */
export interface UploadMapping {
  control: string;
  requirement: string;
  relationship: UcfMapping['relationship'];
  rationale: string;
  provenance?: string;
}

export interface FrameworkUpload {
  format: UploadFormat;
  /** The uploaded text (a catalog, or an OSCAL catalog). */
  content: string;
  /** Name shown in problems (default `upload.<format>`). */
  file?: string;
  /** For OSCAL: the id, version and title the catalog gets, and its mappings. */
  framework_id?: string;
  framework_version?: string;
  title?: string;
  mappings?: UploadMapping[];
}

/** A valid upload: the catalog, its mappings as UCF mappings by control, and the lint warnings. */
export interface CheckedUpload {
  catalog: FrameworkCatalog;
  mappings: (UcfMapping & { control_id: string })[];
  warnings: SourceProblem[];
}

const RELATIONSHIPS = new Set(['equal', 'subset_of', 'superset_of', 'intersects_with']);
const ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

function catalogOf(upload: FrameworkUpload, file: string, problems: ProblemList) {
  if (upload.format === 'oscal') {
    let oscal;
    try {
      oscal = readOscalCatalog(file, upload.content);
    } catch (e) {
      if (e instanceof SourceError) throw e;
      // The reader trusts the OSCAL shapes it walks; a file that only looks like OSCAL fails inside it.
      throw new SourceError([
        {
          code: ERROR_CODES.IMPORT_INVALID,
          file,
          line: 1,
          message: `not a well-formed OSCAL catalog: ${(e as Error).message}`,
        },
      ]);
    }
    if (!upload.framework_id || !ID.test(upload.framework_id))
      problems.add(ERROR_CODES.SCHEMA_INVALID, file, 1, 'framework_id: an OSCAL upload needs a lowercase id');
    if (!upload.framework_version)
      problems.add(ERROR_CODES.SCHEMA_INVALID, file, 1, 'framework_version: an OSCAL upload needs a version');
    problems.throwIfAny();
    const catalog = catalogFromOscal(oscal, {
      id: upload.framework_id!,
      version: upload.framework_version!,
      ...(upload.title ? { title: upload.title } : {}),
    });
    if (catalog.requirements.length === 0)
      problems.add(ERROR_CODES.IMPORT_INVALID, file, 1, 'the OSCAL catalog has no controls to import');
    // Positions for the mappings given beside the catalog: there are none, so problems point at line 1.
    const src = parseYamlSource(file, JSON.stringify({ ...catalog, mappings: upload.mappings ?? [] }));
    problems.push(...schemaProblems(src, validatorFor('framework')!, ERROR_CODES.IMPORT_INVALID, catalog));
    problems.throwIfAny();
    return { src, catalog, mappings: upload.mappings ?? [], mappingLines: false };
  }
  const src = parseYamlSource(file, upload.content);
  const data = src.data;
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new SourceError([
      { code: ERROR_CODES.SCHEMA_INVALID, file, line: 1, message: 'a catalog is a mapping (id, version, …)' },
    ]);
  }
  const { mappings = [], ...catalog } = data as Record<string, unknown>;
  problems.push(...schemaProblems(src, validatorFor('framework')!, ERROR_CODES.SCHEMA_INVALID, catalog));
  if (!Array.isArray(mappings))
    problems.add(
      ERROR_CODES.SCHEMA_INVALID,
      file,
      lineAt(src, ['mappings']),
      'field mappings: must be a list',
    );
  problems.throwIfAny();
  return {
    src,
    catalog: catalog as unknown as FrameworkCatalog,
    mappings: mappings as UploadMapping[],
    mappingLines: true,
  };
}

/** Validates `upload` against `base` (the shared catalogs and UCF); throws a SourceError listing every problem. */
export function checkFrameworkUpload(upload: FrameworkUpload, base: Frameworks): CheckedUpload {
  const file = upload.file ?? `upload.${upload.format === 'oscal' ? 'json' : upload.format}`;
  const problems = new ProblemList();
  const { src, catalog, mappings, mappingLines } = catalogOf(upload, file, problems);
  const at = (path: (string | number)[]) => (mappingLines ? lineAt(src, path) : 1);

  if (base.frameworks.some((f) => f.id === catalog.id)) {
    problems.add(
      ERROR_CODES.DUPLICATE_ID,
      file,
      lineAt(src, ['id']),
      `framework ${catalog.id} is a shared catalog: an uploaded framework needs an id of its own`,
    );
  }
  checkTree(src, catalog, problems);
  checkCatalogLinks(src, catalog, requirementsByFramework([...base.frameworks, catalog]), problems);
  const out = checkMappings(src, catalog, mappings, base, problems, at);
  problems.throwIfAny();
  return { catalog, mappings: out, warnings: unmapped(src, catalog, out) };
}

function checkMappings(
  src: YamlSource,
  catalog: FrameworkCatalog,
  mappings: UploadMapping[],
  base: Frameworks,
  problems: ProblemList,
  at: (path: (string | number)[]) => number,
): CheckedUpload['mappings'] {
  const controls = new Set(base.controls.map((c) => c.id));
  const requirements = new Map(catalog.requirements.map((r) => [r.id, r]));
  const seen = new Map<string, number>();
  const out: CheckedUpload['mappings'] = [];
  mappings.forEach((m, i) => {
    const field = (name: string) => ['mappings', i, name];
    const add = (code: SourceProblem['code'], name: string, message: string) =>
      problems.add(code, src.file, at(field(name)), `mappings[${i}].${name}: ${message}`);
    if (!m || typeof m !== 'object') {
      problems.add(
        ERROR_CODES.SCHEMA_INVALID,
        src.file,
        at(['mappings', i]),
        `mappings[${i}]: must be a mapping`,
      );
      return;
    }
    const before = problems.items.length;
    if (typeof m.control !== 'string' || !controls.has(m.control))
      add(ERROR_CODES.UNKNOWN_REFERENCE, 'control', `no UCF control ${String(m.control)}`);
    const req = typeof m.requirement === 'string' ? requirements.get(m.requirement) : undefined;
    if (!req)
      add(
        ERROR_CODES.UNKNOWN_REFERENCE,
        'requirement',
        `${catalog.id} ${catalog.version} has no requirement ${String(m.requirement)}`,
      );
    else if (req.out_of_scope)
      add(ERROR_CODES.MAPPING_CONFLICT, 'requirement', `${req.id} is marked out of scope but is mapped`);
    if (!RELATIONSHIPS.has(m.relationship))
      add(
        ERROR_CODES.SCHEMA_INVALID,
        'relationship',
        `unknown relationship type ${String(m.relationship)} (equal, subset_of, superset_of, intersects_with)`,
      );
    if (typeof m.rationale !== 'string' || m.rationale.trim() === '')
      add(ERROR_CODES.SCHEMA_INVALID, 'rationale', 'is required (why the control covers the requirement)');
    const key = `${m.control}\0${m.requirement}`;
    const first = seen.get(key);
    if (first !== undefined)
      add(
        ERROR_CODES.DUPLICATE_ID,
        'requirement',
        `${m.control} → ${m.requirement} is already mapped by mappings[${first}]`,
      );
    else seen.set(key, i);
    if (problems.items.length > before) return;
    out.push({
      control_id: m.control,
      framework: catalog.id,
      framework_version: catalog.version,
      requirement: m.requirement,
      relationship: m.relationship,
      rationale: m.rationale,
      ...(m.provenance ? { provenance: m.provenance } : {}),
    } as CheckedUpload['mappings'][number]);
  });
  return out;
}

/** Requirements nothing maps to and not marked out of scope: reported, not refused (as `frameworks lint`). */
function unmapped(
  src: YamlSource,
  catalog: FrameworkCatalog,
  mappings: CheckedUpload['mappings'],
): SourceProblem[] {
  const mapped = new Set(mappings.map((m) => m.requirement));
  return catalog.requirements.flatMap((req, i) =>
    req.out_of_scope || mapped.has(req.id)
      ? []
      : [
          {
            code: ERROR_CODES.UNMAPPED_REQUIREMENT,
            file: src.file,
            line: lineAt(src, ['requirements', i, 'id']),
            message: `${catalog.id} ${catalog.version} ${req.id} is neither mapped by a UCF control nor marked out_of_scope`,
          },
        ],
  );
}
