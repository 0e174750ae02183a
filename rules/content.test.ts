/**
 * What the rule content amounts to, counted from the files themselves (issue 17): rule packages per provider,
 * normalized resource types, and the documentation of each type. The floors are what main holds today, so a
 * rule or a type lost by accident fails here; issue 17's targets are written beside them, and a floor rises
 * as content lands (never above what the files hold).
 */
import { globSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('..', import.meta.url).pathname;
const ruleFiles = globSync('rules/*/**/rule.yaml', { cwd: root });
const typeNames = globSync('schemas/resources/*.schema.json', { cwd: root }).map((file) =>
  basename(file, '.schema.json'),
);

/** Rule packages per provider (the first folder under rules/). */
function rulesPerProvider(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const file of ruleFiles) {
    const provider = file.split('/')[1]!;
    counts[provider] = (counts[provider] ?? 0) + 1;
  }
  return counts;
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
}

/** The JSON Schema type(s) of an attribute path of a resource type, or [] when the schema does not say. */
function attributeTypes(type: string, path: string[]): string[] {
  let node = JSON.parse(readFileSync(`${root}schemas/resources/${type}.schema.json`, 'utf8')) as JsonSchema;
  for (const step of path) {
    const next = node.properties?.[step];
    if (!next) return [];
    node = next;
  }
  return [node.type ?? []].flat();
}

/** `rule.yaml: messages.<kind> {placeholder}` for each placeholder that prints a list or an object whole. */
function wholeListMessages(): string[] {
  return ruleFiles.flatMap((file) => {
    const rule = parse(readFileSync(`${root}${file}`, 'utf8')) as {
      resource_types: string[];
      messages: Record<string, string>;
    };
    return Object.entries(rule.messages).flatMap(([kind, template]) =>
      [...template.matchAll(/\{attributes\.([^}|]+)\}/g)]
        .filter(([, path]) =>
          rule.resource_types.some((type) =>
            attributeTypes(type, path!.split('.')).some((t) => t === 'array' || t === 'object'),
          ),
        )
        .map(([placeholder]) => `${file}: messages.${kind} ${placeholder}`),
    );
  });
}

describe('rule content (issue 17)', () => {
  it('holds at least the rules main holds today, per provider (targets: 300 in all, AWS 200, Azure 50, GitHub 24, Okta 29)', () => {
    const counts = rulesPerProvider();
    expect(ruleFiles.length).toBeGreaterThanOrEqual(335);
    expect(counts.aws).toBeGreaterThanOrEqual(208);
    expect(counts.azure).toBeGreaterThanOrEqual(68);
    expect(counts.github).toBeGreaterThanOrEqual(30);
    expect(counts.okta).toBeGreaterThanOrEqual(29);
  });

  it('normalizes at least 60 resource types (one schema each), each documented in docs/resources.md; rules name only those', () => {
    expect(typeNames.length).toBeGreaterThanOrEqual(76);
    const docs = readFileSync(`${root}docs/resources.md`, 'utf8');
    expect(typeNames.filter((type) => !docs.includes(`\`${type}\``))).toEqual([]);
    // Every rule names only types that have a schema.
    const unknown = ruleFiles.flatMap((file) => {
      const types = (parse(readFileSync(`${root}${file}`, 'utf8')) as { resource_types: string[] })
        .resource_types;
      return types.filter((type) => !typeNames.includes(type)).map((type) => `${file}: ${type}`);
    });
    expect(unknown).toEqual([]);
  });

  it('prints no list or object whole in a message (a finding title): it names {attributes.<path>|count}', () => {
    expect(wholeListMessages()).toEqual([]);
  });
});
