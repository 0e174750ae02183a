/**
 * Differential test: every rule fixture through the engine (the committed WebAssembly bundle) and through
 * `opa eval` (Go OPA) on the Rego sources that bundle was compiled from, with the same data. Both must give
 * every (rule, resource) the same status, and each fixture the status its folder names.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resource } from '../schemas/index.ts';
import { typeEntrypoint, scanData } from './compile/generate.ts';
import { resolveOpa, runOpaOk } from './compile/opa.ts';
import { loadRuleSources, type Fixture } from './compile/rule-sources.ts';
import { loadPolicyEngine, type PolicyEngine } from './evaluate.ts';
import { parameterDefaults } from './params.ts';
import { DEFAULT_RULES_DIR } from './paths.ts';
import { sharedRuleBuild } from '../test/rule-build.ts';
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
/** The Rego sources the run's build compiled (read only: shared with the other files of the run). */
let sources: string;
const groups: Group[] = [];

beforeAll(async () => {
  dir = await tempDir('complywise-differential-');
  opa = await resolveOpa();
  // The run's one build of the repository's rules (test/rule-build.ts): its staged Rego is what `opa eval`
  // reads below.
  const shared = await sharedRuleBuild();
  const built = shared.output;
  sources = join(shared.buildDir, 'src');
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
  // Compiling every rule to wasm (unless another file of the run already did) takes about 45 s on an idle
  // 2-core machine and over two minutes beside a loaded full run: the bound is for a hang, not the expected
  // time.
}, 300_000);

afterAll(async () => {
  await dir?.remove();
});

/**
 * Every group's statuses under Go OPA, from one `opa eval` process: OPA parses and compiles the whole rule tree
 * once, then evaluates each group's type entrypoint with that group's inventory and scan time in place of
 * `data.inventory` and `data.scan` (`with`), the way the engine gets them. (One process per group spent most
 * of its time compiling the same sources again: 75 groups took 250 s of wall time at a load of 12, one
 * process 9 s.)
 */
async function goStatuses(): Promise<Statuses[]> {
  const params: Record<string, unknown> = {};
  for (const rule of engine.catalog.rules) if (rule.parameters) params[rule.id] = parameterDefaults(rule);
  const data = {
    params,
    differential: groups.map((group) => ({
      inventory: { [group.type]: group.fixtures.map((f) => f.resource) },
      scan: scanData(group.collectedAt),
    })),
  };
  const file = join(dir.path, 'data.json');
  await writeFile(file, JSON.stringify(data));
  const query = groups
    .map((group, i) => {
      const entrypoint = `data.${typeEntrypoint(group.type).replace(/\//g, '.')}`;
      const given = `data.differential[${i}]`;
      return `group${i} := ${entrypoint} with data.inventory as ${given}.inventory with data.scan as ${given}.scan`;
    })
    .join('; ');
  const out = await runOpaOk(opa, ['eval', '--format', 'json', '-d', sources, '-d', file, '--stdin'], {
    stdin: query,
  });
  const bindings = (JSON.parse(out) as { result: { bindings: Record<string, Statuses> }[] }).result[0]!
    .bindings;
  return groups.map((_, i) => bindings[`group${i}`]!);
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
    const go = await goStatuses();
    expect(go).toHaveLength(groups.length);
    for (const [i, group] of groups.entries()) {
      const wasm = await wasmStatuses(group);
      expect(wasm, `${group.type} at ${group.collectedAt}`).toEqual(go[i]);
      expect(Object.keys(wasm).sort()).toEqual([...engine.catalog.types[group.type]!.rule_ids].sort());
      for (const { fixture, ruleId, resource } of group.fixtures) {
        expect(wasm[ruleId]?.[resource.id], fixture.source).toBe(fixture.expected);
      }
    }
    // One `opa eval` process over every group (about 10 s at 335 rules beside other work) and the engine's
    // evaluation of each group: the bound is for a hang, not the expected time.
  }, 240_000);
});
