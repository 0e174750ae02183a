/**
 * Differential test: every rule fixture through the engine (the committed WebAssembly bundle) and through
 * `opa eval` (Go OPA) on the Rego sources that bundle was compiled from, with the same data. Both must give
 * every (rule, resource) the same status, and each fixture the status its folder names.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resource } from '../schemas/index.ts';
import { compileBundle } from './compile/build.ts';
import { typeEntrypoint, scanData } from './compile/generate.ts';
import { resolveOpa, runOpaOk } from './compile/opa.ts';
import { loadRuleSources, type Fixture } from './compile/rule-sources.ts';
import { loadPolicyEngine, type PolicyEngine } from './evaluate.ts';
import { parameterDefaults } from './params.ts';
import { DEFAULT_RULES_DIR } from './paths.ts';
import { tempDir, type TempDir } from './testing.ts';

type Statuses = Record<string, Record<string, string>>;

interface Group {
  type: string;
  collectedAt: string;
  fixtures: { fixture: Fixture; ruleId: string; resource: Resource }[];
}

let dir: TempDir;
let engine: PolicyEngine;
let opa: string;
const groups: Group[] = [];

beforeAll(async () => {
  dir = await tempDir('complywise-differential-');
  opa = await resolveOpa();
  const built = await compileBundle({ buildDir: dir.path, opa });
  engine = await loadPolicyEngine();
  // The committed bundle must be the one these sources compile to, or the comparison proves nothing.
  expect(engine.revision).toBe(built.revision);
  const byKey = new Map<string, Group>();
  for (const rule of await loadRuleSources(DEFAULT_RULES_DIR, null)) {
    for (const fixture of rule.fixtures) {
      const key = `${fixture.resource.type}\0${fixture.resource.collected_at}`;
      const group = byKey.get(key) ?? {
        type: fixture.resource.type,
        collectedAt: fixture.resource.collected_at,
        fixtures: [],
      };
      // Fixtures of different rules may reuse an id; the fixture path is unique.
      group.fixtures.push({
        fixture,
        ruleId: rule.id,
        resource: { ...fixture.resource, id: fixture.source },
      });
      byKey.set(key, group);
    }
  }
  groups.push(...byKey.values());
  // Compiling every rule to wasm takes about 30 s on an idle 2-core machine and over two minutes beside a
  // loaded full run: the bound is for a hang, not the expected time.
}, 300_000);

afterAll(async () => {
  await dir?.remove();
});

async function goStatuses(group: Group, index: number): Promise<Statuses> {
  const params: Record<string, unknown> = {};
  for (const rule of engine.catalog.rules) if (rule.parameters) params[rule.id] = parameterDefaults(rule);
  const data = {
    inventory: { [group.type]: group.fixtures.map((f) => f.resource) },
    params,
    scan: scanData(group.collectedAt),
  };
  const file = join(dir.path, `data-${index}.json`);
  await writeFile(file, JSON.stringify(data));
  const query = `data.${typeEntrypoint(group.type).replace(/\//g, '.')}`;
  const out = await runOpaOk(opa, [
    'eval',
    '--format',
    'json',
    '-d',
    join(dir.path, 'src'),
    '-d',
    file,
    query,
  ]);
  return (JSON.parse(out) as { result: { expressions: { value: Statuses }[] }[] }).result[0]!.expressions[0]!
    .value;
}

async function wasmStatuses(group: Group): Promise<Statuses> {
  const findings = await engine.evaluate(
    group.fixtures.map((f) => f.resource),
    { scanTime: new Date(group.collectedAt) },
  );
  const out: Statuses = {};
  for (const f of findings) (out[f.rule_id] ??= {})[f.resource_id] = f.status;
  return out;
}

describe('engine vs opa eval on every rule fixture', () => {
  it('covers every rule of the bundle', () => {
    const covered = new Set(groups.flatMap((g) => g.fixtures.map((f) => f.ruleId)));
    expect([...covered].sort()).toEqual(engine.catalog.rules.map((r) => r.id).sort());
  });

  it('gives identical statuses, and each fixture the status its folder names', async () => {
    for (const [i, group] of groups.entries()) {
      const [wasm, go] = await Promise.all([wasmStatuses(group), goStatuses(group, i)]);
      expect(wasm, `${group.type} at ${group.collectedAt}`).toEqual(go);
      expect(Object.keys(wasm).sort()).toEqual([...engine.catalog.types[group.type]!.rule_ids].sort());
      for (const { fixture, ruleId, resource } of group.fixtures) {
        expect(wasm[ruleId]?.[resource.id], fixture.source).toBe(fixture.expected);
      }
    }
    // One `opa eval` process per resource type and collection time (about 25 s for 127 rules on an idle
    // 2-core machine, over a minute beside a full run, and past four minutes for 335 rules at a load average
    // of 16): the bound is for a hang, not the expected time.
  }, 600_000);
});
