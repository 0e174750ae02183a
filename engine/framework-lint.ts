/**
 * `complywise frameworks lint`: everything loadFrameworks rejects (schema, unknown ids, duplicates, parent
 * cycles, bad links, rules pointing at unknown controls) plus the checks that keep the catalogs honest:
 * every requirement is mapped or marked out of scope with a reason, nothing out of scope is mapped, every UCF
 * mapping gives a rationale, and a control people assess says what evidence an auditor expects. Unmapped requirements are warnings until the
 * UCF maps every catalog; `strict` makes them errors.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Catalog } from './catalog.ts';
import { ERROR_CODES, sortProblems, type SourceProblem } from './errors.ts';
import { loadFrameworks, type Frameworks } from './frameworks.ts';
import { DEFAULT_FRAMEWORKS_DIR } from './paths.ts';
import { lineAt, parseYamlSource } from './yaml-source.ts';

export interface LintResult {
  /** Problems that fail the lint. */
  errors: SourceProblem[];
  /** Problems reported but not failing (unless strict). */
  warnings: SourceProblem[];
  frameworks: Frameworks;
}

/**
 * Lints the frameworks folder. Load problems are thrown as a SourceError (as loadFrameworks does); the
 * catalog-level checks come back as errors and warnings with file:line.
 */
export async function lintFrameworks(
  dir: string = DEFAULT_FRAMEWORKS_DIR,
  options: { catalog?: Catalog | string | null; strict?: boolean } = {},
): Promise<LintResult> {
  dir = resolve(dir);
  const frameworks = await loadFrameworks(dir, { catalog: options.catalog });
  const errors: SourceProblem[] = [];
  const warnings: SourceProblem[] = [];

  const mapped = new Set<string>();
  for (const control of frameworks.controls) {
    for (const m of control.mappings) mapped.add(`${m.framework}@${m.framework_version}/${m.requirement}`);
  }
  for (const fw of frameworks.frameworks) {
    const file = join(dir, fw.id, `${fw.version}.yaml`);
    const src = parseYamlSource(file, await readFile(file, 'utf8'));
    fw.requirements.forEach((req, i) => {
      const line = lineAt(src, ['requirements', i, 'id']);
      const isMapped =
        mapped.has(`${fw.id}@${fw.version}/${req.id}`) ||
        (req.links ?? []).some(
          (l) =>
            l.relationship === 'equal' &&
            mapped.has(`${l.framework}@${l.framework_version}/${l.requirement}`),
        );
      if (req.out_of_scope && mapped.has(`${fw.id}@${fw.version}/${req.id}`)) {
        errors.push({
          code: ERROR_CODES.MAPPING_CONFLICT,
          file,
          line: lineAt(src, ['requirements', i, 'out_of_scope']),
          message: `${req.id} is marked out of scope but UCF controls map to it`,
        });
      } else if (!req.out_of_scope && !isMapped) {
        (options.strict ? errors : warnings).push({
          code: ERROR_CODES.UNMAPPED_REQUIREMENT,
          file,
          line,
          message: `${fw.id} ${fw.version} ${req.id} is neither mapped by a UCF control nor marked out_of_scope with a reason`,
        });
      }
    });
  }

  const ucfFile = join(dir, 'ucf', 'controls.yaml');
  const ucf = parseYamlSource(ucfFile, await readFile(ucfFile, 'utf8'));
  frameworks.controls.forEach((control, c) => {
    // The schema requires the key; a blank one says as little, and an auditor reads it to trust the mapping.
    control.mappings.forEach((m, i) => {
      if (m.rationale.trim() === '') {
        errors.push({
          code: ERROR_CODES.SCHEMA_INVALID,
          file: ucfFile,
          line: lineAt(ucf, ['controls', c, 'mappings', i, 'rationale']),
          message: `${control.id} maps ${m.framework} ${m.framework_version} ${m.requirement} without a rationale: say in one line why the control meets it`,
        });
      }
    });
    if (!control.automated && (control.evidence ?? []).length === 0) {
      errors.push({
        code: ERROR_CODES.SCHEMA_INVALID,
        file: ucfFile,
        line: lineAt(ucf, ['controls', c, 'id']),
        message: `${control.id} is assessed by people (automated: false) but lists no evidence an auditor expects`,
      });
    }
  });
  return { errors: sortProblems(errors), warnings: sortProblems(warnings), frameworks };
}
