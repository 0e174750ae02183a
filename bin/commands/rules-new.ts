/**
 * The files `complywise rules new` writes: a rule.yaml with a working placeholder check (or a policy.rego),
 * and good and bad fixtures filled from the resource type's schema, so the new package lints and its fixtures
 * decide pass and fail before the author changes anything.
 */
import { attributesSchema } from '../../engine/compile/attribute-schema.ts';
import { exampleValue, firstBooleanPath, withValue } from '../../engine/compile/schema-example.ts';
import { rulePackage } from '../../engine/compile/generate.ts';

/** The placeholder check: a boolean attribute that must be true, or else the first attribute being set. */
interface Probe {
  path: string[];
  /** The DSL test, under `attribute: <path>`. */
  dsl: string;
  /** The good and bad fixture's attributes. */
  good: unknown;
  bad: unknown;
  rego: string;
}

function probeOf(type: string): Probe {
  const schema = attributesSchema(type);
  if (!schema) throw new Error(`no schema for ${type}`);
  const good = exampleValue(schema, true) as Record<string, unknown>;
  const path = firstBooleanPath(schema);
  if (path) {
    const ref = `r.attributes.${path.join('.')}`;
    return {
      path,
      dsl: 'equals: true',
      good: withValue(good, path, true),
      bad: withValue(good, path, false),
      rego: `compliant(r) if ${ref} == true\n\nundecidable(r) if not "${path[0]}" in object.keys(r.attributes)\n`,
    };
  }
  const first = Object.keys(good)[0] ?? 'enabled';
  const { [first]: _left, ...bad } = good;
  return {
    path: [first],
    dsl: 'absent: false',
    good,
    bad,
    rego: `compliant(r) if "${first}" in object.keys(r.attributes)\n`,
  };
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The files of a new rule package, by path relative to its folder. `type` must have a resource schema. */
export function scaffoldRule(id: string, type: string, rego: boolean): Record<string, string> {
  const provider = type.split('.')[0]!;
  const probe = probeOf(type);
  const attribute = probe.path.join('.');
  const yaml = [
    `id: ${id}`,
    'version: 0.1.0',
    `title: Say what passing means (the placeholder check reads ${attribute})`,
    'description: What is checked, in one or two sentences.',
    'rationale: Why it matters, in our own words.',
    'severity: medium',
    `resource_types: [${type}]`,
    'ucf_controls: [UCF-DP-01]',
    'remediation: How to fix a failing resource (console, CLI, Terraform).',
    'messages:',
    "  pass: '{name} passes.'",
    "  fail: '{name} fails.'",
    ...(rego ? [] : ['check:', '  assert:', `    attribute: ${attribute}`, `    ${probe.dsl}`]),
    '',
  ].join('\n');
  const resource = (name: string, attributes: unknown) =>
    json({
      id: `${provider}:example/${name}`,
      provider,
      account: 'example',
      region: 'global',
      type,
      name,
      attributes,
      collected_at: '2026-01-01T00:00:00.000Z',
    });
  const files: Record<string, string> = {
    'rule.yaml': yaml,
    'fixtures/good/compliant.json': resource('compliant', probe.good),
    'fixtures/bad/non-compliant.json': resource('non-compliant', probe.bad),
  };
  if (rego) {
    files['policy.rego'] = `# ${id}: contract in docs/rules.md.\npackage ${rulePackage(id)}\n\n${probe.rego}`;
  }
  return files;
}
