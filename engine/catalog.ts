/**
 * catalog.json: what the bundle in rules/dist holds, written by `complywise rules build` beside policy.wasm and
 * .manifest. Every rule's metadata (rule.yaml as validated) plus its content hash and where to evaluate it.
 */
import type { RuleMetadata, RulePack } from '../schemas/index.ts';

export const CATALOG_FORMAT = 1;

/** One rule as the bundle knows it. */
export interface CatalogRule extends RuleMetadata {
  /** dsl: compiled from `check:`; rego: hand-written policy.rego. */
  kind: 'dsl' | 'rego';
  /** The rule folder, relative to the rules root (posix separators). */
  source: string;
  /** sha256 of the rule's sources (rule.yaml, then policy.rego when present), see docs/rules.md. */
  hash: string;
  /** Rego package of the rule. */
  package: string;
  /** Entrypoint evaluating this rule alone. */
  entrypoint: string;
}

export interface CatalogType {
  /** Entrypoint evaluating every rule of this resource type at once. */
  entrypoint: string;
  rule_ids: string[];
}

/**
 * A rule pack as the bundle holds it (rules/packs/<id>.yaml as validated, every entry's references filled),
 * with its source file and the sha256 of that file, so the pack version in force is on record.
 */
export interface CatalogPack extends Required<Omit<RulePack, 'rules'>> {
  rules: { id: string; references: string[] }[];
  /** The pack file, relative to the rules root (posix separators). */
  source: string;
  /** sha256 of the pack file's bytes. */
  hash: string;
}

export interface Catalog {
  format: typeof CATALOG_FORMAT;
  /** Bundle revision, equal to the revision in .manifest. */
  revision: string;
  opa_version: string;
  types: Record<string, CatalogType>;
  rules: CatalogRule[];
  /** The rule packs, sorted by id (docs/rules.md, "Rule packs"). */
  packs: CatalogPack[];
}

/** Serialises a catalog exactly as the build commits it (stable key order, 2-space JSON, final newline). */
export function serializeCatalog(catalog: Catalog): string {
  return `${JSON.stringify(catalog, null, 2)}\n`;
}
