/**
 * Rule packs: rules/packs/<id>.yaml, each a named, versioned list of rule ids with the official ids of the
 * benchmark they implement (schemas/rule-pack.schema.json). Loaded with the rules by lint and build, every
 * problem of every pack reported at once as file:line: YAML syntax, schema, a file not named after its id, an
 * unknown rule id (with the closest known one) and a rule listed twice.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validatorFor, type RulePack } from '../../schemas/index.ts';
import type { CatalogPack } from '../catalog.ts';
import { ERROR_CODES, ProblemList, SourceError, type SourceProblem } from '../errors.ts';
import { lineAt, parseYamlSource, schemaProblems, type YamlSource } from '../yaml-source.ts';
import { didYouMean } from './attribute-schema.ts';

/** The folder under the rules root that holds the packs. */
export const PACKS_FOLDER = 'packs';

/** sha256 of a pack file's bytes: what an auditor compares to know which pack definition was in force. */
function packHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The problems of one parsed pack against the known rule ids (file name, unknown and repeated rules). */
function packProblems(
  src: YamlSource,
  name: string,
  pack: RulePack,
  ruleIds: readonly string[],
): ProblemList {
  const problems = new ProblemList();
  if (name !== `${pack.id}.yaml`) {
    problems.add(
      ERROR_CODES.RULE_LAYOUT,
      src.file,
      lineAt(src, ['id']),
      `field id: pack ${pack.id} must be in a file named ${pack.id}.yaml, not ${name}`,
    );
  }
  const known = new Set(ruleIds);
  const firstLine = new Map<string, number>();
  pack.rules.forEach((entry, i) => {
    const line = lineAt(src, ['rules', i, 'id']);
    if (!known.has(entry.id)) {
      const guess = didYouMean(entry.id, ruleIds);
      problems.add(
        ERROR_CODES.UNKNOWN_REFERENCE,
        src.file,
        line,
        `field rules[${i}].id: no rule ${entry.id} under rules/${guess ? ` (did you mean ${guess}?)` : ''}`,
      );
    }
    const earlier = firstLine.get(entry.id);
    if (earlier !== undefined) {
      problems.add(
        ERROR_CODES.DUPLICATE_ID,
        src.file,
        line,
        `field rules[${i}].id: ${entry.id} is already listed at line ${earlier}`,
      );
    } else firstLine.set(entry.id, line);
  });
  return problems;
}

/**
 * Loads every pack under `<rulesDir>/packs/` against the known rule ids, sorted by pack id. `packs` holds the
 * ones without problems; `problems` every problem of every file (a missing folder means no packs).
 */
export async function collectRulePacks(
  rulesDir: string,
  ruleIds: readonly string[],
): Promise<{ packs: CatalogPack[]; problems: SourceProblem[] }> {
  const dir = join(rulesDir, PACKS_FOLDER);
  const problems = new ProblemList();
  const packs: CatalogPack[] = [];
  if (!existsSync(dir)) return { packs, problems: [] };
  const byId = new Map<string, string>();
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort()) {
    const file = join(dir, name);
    let src: YamlSource;
    try {
      src = parseYamlSource(file, await readFile(file, 'utf8'));
    } catch (e) {
      if (!(e instanceof SourceError)) throw e;
      problems.push(...e.problems);
      continue;
    }
    const schema = schemaProblems(src, validatorFor('rule-pack')!);
    if (schema.length > 0) {
      problems.push(...schema);
      continue;
    }
    const pack = src.data as RulePack;
    const own = packProblems(src, name, pack, ruleIds);
    const other = byId.get(pack.id);
    if (other) {
      own.add(
        ERROR_CODES.DUPLICATE_ID,
        file,
        lineAt(src, ['id']),
        `pack id ${pack.id} is already used by ${PACKS_FOLDER}/${other}`,
      );
    }
    problems.push(...own.items);
    if (own.items.length > 0) continue;
    byId.set(pack.id, name);
    packs.push({
      id: pack.id,
      version: pack.version,
      title: pack.title,
      description: pack.description,
      reference_source: pack.reference_source ?? null,
      rules: pack.rules.map((r) => ({ id: r.id, references: r.references ?? [] })),
      source: `${PACKS_FOLDER}/${name}`,
      hash: packHash(src.text),
    });
  }
  return { packs: packs.sort((a, b) => (a.id < b.id ? -1 : 1)), problems: problems.items };
}
