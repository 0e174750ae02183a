/**
 * Every DSL operator, compiled to Rego and evaluated by both evaluators on the same data: the WebAssembly
 * bundle (what the engine runs) and `opa eval` (Go OPA). Each case lists resources and the status each must get.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseYamlSource } from '../yaml-source.ts';
import { tempDir, type TempDir } from '../testing.ts';
import { wasmCapabilities, type Capabilities } from './capabilities.ts';
import { parseDslCheck } from './dsl.ts';
import { compileDslToRego, dslPredicates } from './dsl-rego.ts';
import { decideModule, rulePackage, typeEntrypoint, typeModule } from './generate.ts';
import { resolveOpa, runOpaOk } from './opa.ts';
import { readTarGz } from './tar.ts';

const TYPE = 'test.thing';
const SCAN = { time: '2026-11-26T12:00:00.000Z', unix_seconds: Date.parse('2026-11-26T12:00:00Z') / 1000 };

interface Case {
  name: string;
  /** The rule.yaml text after `check:` (indented by two spaces), plus an optional parameters block. */
  check: string[];
  parameters?: string[];
  params?: Record<string, unknown>;
  /** attributes → expected status. */
  resources: [Record<string, unknown>, string][];
}

const CASES: Case[] = [
  {
    name: 'equals (structural) and absent is undecided',
    check: ['  assert:', '    attribute: a.b', '    equals: {x: [1, 2]}'],
    resources: [
      [{ a: { b: { x: [1, 2] } } }, 'pass'],
      [{ a: { b: { x: [2, 1] } } }, 'fail'],
      [{ a: null }, 'fail'],
      [{ a: {} }, 'error'],
      [{}, 'error'],
    ],
  },
  {
    // Compiled to direct references: a null at any step reads as null, anything else missing on the way is absent.
    name: 'a path of three steps',
    check: ['  assert:', '    attribute: a.b.c', '    exists: false'],
    resources: [
      [{ a: { b: { c: null } } }, 'pass'],
      [{ a: { b: null } }, 'pass'],
      [{ a: null }, 'pass'],
      [{ a: { b: { c: 0 } } }, 'fail'],
      [{ a: { b: { c: false } } }, 'fail'],
      [{ a: { b: {} } }, 'error'],
      [{ a: { b: [null] } }, 'error'],
      [{ a: 'x' }, 'error'],
      [{}, 'error'],
    ],
  },
  {
    name: 'not_equals',
    check: ['  assert:', '    attribute: status', '    not_equals: Disabled'],
    resources: [
      [{ status: 'Enabled' }, 'pass'],
      [{ status: 'Disabled' }, 'fail'],
      [{ status: null }, 'pass'],
      [{}, 'error'],
    ],
  },
  {
    name: 'in / not_in',
    check: [
      '  assert:',
      '    all_of:',
      '      - attribute: tls',
      '        in: ["1.2", "1.3"]',
      '      - attribute: cipher',
      '        not_in: [rc4, des]',
    ],
    resources: [
      [{ tls: '1.3', cipher: 'aes' }, 'pass'],
      [{ tls: '1.0', cipher: 'aes' }, 'fail'],
      [{ tls: '1.2', cipher: 'rc4' }, 'fail'],
      [{ tls: '1.0' }, 'fail'], // what was read already fails it
      [{ tls: '1.2' }, 'error'],
    ],
  },
  {
    name: 'exists and absent',
    check: [
      '  assert:',
      '    all_of:',
      '      - attribute: key',
      '        exists: true',
      '      - attribute: tags.temporary',
      '        absent: true',
    ],
    resources: [
      [{ key: 'k', tags: {} }, 'pass'],
      [{ key: 'k', tags: { temporary: null } }, 'pass'],
      [{ key: 'k', tags: null }, 'pass'],
      [{ key: 'k', tags: { temporary: 'yes' } }, 'fail'],
      [{ key: null, tags: {} }, 'fail'],
      [{ tags: {} }, 'error'],
    ],
  },
  {
    name: 'matches, contains, starts_with',
    check: [
      '  assert:',
      '    all_of:',
      '      - attribute: name',
      '        matches: "^prod-[a-z]+$"',
      '      - attribute: owners',
      '        contains: security',
      '      - attribute: arn',
      '        starts_with: "arn:aws:"',
    ],
    resources: [
      [{ name: 'prod-web', owners: ['ops', 'security'], arn: 'arn:aws:x' }, 'pass'],
      [{ name: 'prod-web', owners: 'security-team', arn: 'arn:aws:x' }, 'pass'],
      [{ name: 'dev-web', owners: ['security'], arn: 'arn:aws:x' }, 'fail'],
      [{ name: 'prod-web', owners: ['ops'], arn: 'arn:aws:x' }, 'fail'],
      [{ name: 'prod-web', owners: ['security'], arn: 'arn:azure:x' }, 'fail'],
      [{ name: 42, owners: ['security'], arn: 'arn:aws:x' }, 'fail'],
      [{ name: 'prod-web', owners: ['security'] }, 'error'],
    ],
  },
  {
    name: 'gt / gte / lt / lte with a $params reference and its default',
    parameters: [
      'parameters:',
      '  type: object',
      '  properties:',
      '    min_length:',
      '      type: integer',
      '      default: 14',
    ],
    check: [
      '  assert:',
      '    all_of:',
      '      - attribute: min_length',
      '        gte: $params.min_length',
      '      - attribute: max_age',
      '        lte: 90',
      '      - attribute: reuse',
      '        gt: 0',
      '      - attribute: lockout',
      '        lt: 11',
    ],
    resources: [
      [{ min_length: 14, max_age: 90, reuse: 1, lockout: 10 }, 'pass'],
      [{ min_length: 13, max_age: 90, reuse: 1, lockout: 10 }, 'fail'],
      [{ min_length: 14, max_age: 91, reuse: 1, lockout: 10 }, 'fail'],
      [{ min_length: 14, max_age: 90, reuse: 0, lockout: 10 }, 'fail'],
      [{ min_length: 14, max_age: 90, reuse: 1, lockout: 11 }, 'fail'],
      [{ min_length: '14', max_age: 90, reuse: 1, lockout: 10 }, 'fail'],
      [{ max_age: 90, reuse: 1, lockout: 10 }, 'error'],
    ],
  },
  {
    name: 'a tenant value for $params replaces the default',
    parameters: [
      'parameters:',
      '  type: object',
      '  properties:',
      '    min_length:',
      '      type: integer',
      '      default: 14',
    ],
    params: { min_length: 8 },
    check: ['  assert:', '    attribute: min_length', '    gte: $params.min_length'],
    resources: [
      [{ min_length: 8 }, 'pass'],
      [{ min_length: 7 }, 'fail'],
    ],
  },
  {
    name: 'length',
    check: ['  assert:', '    attribute: admins', '    length: {lte: 2}'],
    resources: [
      [{ admins: ['a', 'b'] }, 'pass'],
      [{ admins: [] }, 'pass'],
      [{ admins: ['a', 'b', 'c'] }, 'fail'],
      [{ admins: null }, 'fail'],
      [{}, 'error'],
    ],
  },
  {
    name: 'age_days against the scan time, with time zones',
    check: ['  assert:', '    attribute: rotated_at', '    age_days: {lte: 90}'],
    resources: [
      [{ rotated_at: '2026-11-25T12:00:00Z' }, 'pass'],
      [{ rotated_at: '2026-08-28T12:00:00Z' }, 'pass'], // exactly 90 days
      [{ rotated_at: '2026-08-28T11:59:59Z' }, 'fail'],
      [{ rotated_at: '2026-08-28T13:00:00+02:00' }, 'fail'], // 11:00 UTC
      [{ rotated_at: '2026-08-28T10:30:00-02:00' }, 'pass'], // 12:30 UTC
      [{ rotated_at: '2024-02-29T00:00:00.123Z' }, 'fail'],
      [{ rotated_at: 'yesterday' }, 'fail'],
      [{ rotated_at: null }, 'fail'],
      [{}, 'error'],
    ],
  },
  {
    name: 'is_public_cidr',
    check: ['  assert:', '    attribute: cidr', '    is_public_cidr: false'],
    resources: [
      [{ cidr: '10.0.0.0/16' }, 'pass'],
      [{ cidr: '192.168.1.7' }, 'pass'],
      [{ cidr: 'fd00::/8' }, 'pass'],
      [{ cidr: '0.0.0.0/0' }, 'fail'],
      [{ cidr: '::/0' }, 'fail'],
      [{ cidr: '8.8.8.8/32' }, 'fail'],
      [{ cidr: '172.15.0.0/16' }, 'fail'],
      [{ cidr: '10.0.0.0/7' }, 'fail'], // reaches past the private block
      [{}, 'error'],
    ],
  },
  {
    name: 'cidr_contains',
    check: ['  assert:', '    attribute: allowed', '    cidr_contains: 203.0.113.9'],
    resources: [
      [{ allowed: '203.0.113.0/24' }, 'pass'],
      [{ allowed: '0.0.0.0/0' }, 'pass'],
      [{ allowed: '10.0.0.0/8' }, 'fail'],
      [{ allowed: '203.0.113.9' }, 'fail'], // an address, not a block
      [{ allowed: '999.0.0.0/8' }, 'fail'],
      [{ allowed: null }, 'fail'],
      [{}, 'error'],
    ],
  },
  {
    name: 'quantifiers any / all / none, nested, over lists of objects and of scalars',
    check: [
      '  assert:',
      '    attribute: rules',
      '    none:',
      '      all_of:',
      '        - attribute: port',
      '          equals: 22',
      '        - attribute: sources',
      '          any:',
      '            attribute: .',
      '            is_public_cidr: true',
    ],
    resources: [
      [{ rules: [] }, 'pass'],
      [{ rules: null }, 'pass'],
      [
        {
          rules: [
            { port: 22, sources: ['10.0.0.0/8'] },
            { port: 443, sources: ['0.0.0.0/0'] },
          ],
        },
        'pass',
      ],
      [{ rules: [{ port: 22, sources: ['10.0.0.0/8', '0.0.0.0/0'] }] }, 'fail'],
      [{ rules: [{ port: 22 }] }, 'error'],
      [{ rules: [{ port: 22 }, { port: 22, sources: ['1.1.1.1/32'] }] }, 'fail'],
      [{ rules: 'all' }, 'fail'],
      [{}, 'error'],
    ],
  },
  {
    name: 'all over elements',
    check: ['  assert:', '    attribute: users', '    all:', '      attribute: mfa', '      equals: true'],
    resources: [
      [{ users: [{ mfa: true }, { mfa: true }] }, 'pass'],
      [{ users: [] }, 'pass'],
      [{ users: [{ mfa: true }, { mfa: false }] }, 'fail'],
      [{ users: [{ mfa: false }, {}] }, 'fail'],
      [{ users: [{ mfa: true }, {}] }, 'error'],
    ],
  },
  {
    name: 'when: gives not_applicable, not: swaps',
    check: [
      '  when:',
      '    attribute: kind',
      '    equals: public',
      '  assert:',
      '    not:',
      '      attribute: open',
      '      equals: true',
    ],
    resources: [
      [{ kind: 'private', open: true }, 'not_applicable'],
      [{ kind: 'public', open: false }, 'pass'],
      [{ kind: 'public', open: true }, 'fail'],
      [{ open: false }, 'error'],
      [{ kind: 'private' }, 'not_applicable'], // not applicable before undecidable
      [{ kind: 'public' }, 'error'],
      [{}, 'error'],
    ],
  },
];

const ruleId = (i: number) => `CW-TEST-OPS-${String(i + 1).padStart(3, '0')}`;

let dir: TempDir;
let goResults: Record<string, Record<string, string>>;
let wasmResults: Record<string, Record<string, string>>;

beforeAll(async () => {
  dir = await tempDir('complywise-dsl-ops-');
  const opa = await resolveOpa();
  const inventory: unknown[] = [];
  const params: Record<string, unknown> = {};
  const ids: string[] = [];
  for (const [i, c] of CASES.entries()) {
    const id = ruleId(i);
    ids.push(id);
    const yaml = [...(c.parameters ?? []), 'check:', ...c.check, ''].join('\n');
    const { check, problems } = parseDslCheck(parseYamlSource(`${id}.yaml`, yaml));
    expect(problems, c.name).toEqual([]);
    const info = { id, version: '1.0.0', title: c.name, packageName: rulePackage(id), source: `${id}.yaml` };
    await dir.write(`src/${id}.rego`, compileDslToRego(check!, info));
    await dir.write(
      `src/${id}.decide.rego`,
      decideModule({ id, resourceTypes: [TYPE], predicates: dslPredicates(check!) }),
    );
    const defaults = /default: (\S+)/.exec(yaml)?.[1];
    params[id] = c.params ?? (defaults ? { min_length: Number(defaults) } : {});
    c.resources.forEach(([attributes], j) => inventory.push({ id: `${id}/${j}`, attributes }));
  }
  await dir.write('src/lib.rego', await readFile(new URL('./rego/lib.rego', import.meta.url), 'utf8'));
  await dir.write('src/types.rego', typeModule(TYPE, ids));
  const data = { inventory: { [TYPE]: inventory }, params, scan: SCAN };
  await mkdir(join(dir.path, 'data'));
  await writeFile(join(dir.path, 'data', 'data.json'), JSON.stringify(data));
  const full = JSON.parse(await runOpaOk(opa, ['capabilities', '--current'])) as Capabilities;
  await dir.write('capabilities.json', JSON.stringify(wasmCapabilities(full)));
  await runOpaOk(opa, ['check', '--strict', '--capabilities', 'capabilities.json', 'src'], { cwd: dir.path });

  const entrypoint = typeEntrypoint(TYPE);
  const evalOut = await runOpaOk(
    opa,
    [
      'eval',
      '--format',
      'json',
      '-d',
      'src',
      '-d',
      'data/data.json',
      `data.${entrypoint.replace(/\//g, '.')}`,
    ],
    { cwd: dir.path },
  );
  goResults = (JSON.parse(evalOut) as { result: { expressions: { value: typeof goResults }[] }[] }).result[0]!
    .expressions[0]!.value;

  await runOpaOk(
    opa,
    [
      'build',
      '-t',
      'wasm',
      '--capabilities',
      'capabilities.json',
      '-e',
      entrypoint,
      '-o',
      'bundle.tar.gz',
      'src',
    ],
    { cwd: dir.path },
  );
  const policy = await loadPolicy(
    readTarGz(await readFile(join(dir.path, 'bundle.tar.gz'))).get('policy.wasm')!,
  );
  policy.setData(data);
  wasmResults = (policy.evaluate({}, entrypoint) as { result: typeof wasmResults }[])[0]!.result;
});

afterAll(async () => {
  await dir?.remove();
});

describe('DSL operators in both evaluators', () => {
  it.each(CASES.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const id = ruleId(i);
    const expected = Object.fromEntries(CASES[i]!.resources.map(([, status], j) => [`${id}/${j}`, status]));
    const own = (all: typeof goResults) =>
      Object.fromEntries(Object.entries(all[id] ?? {}).filter(([rid]) => rid.startsWith(`${id}/`)));
    expect({ wasm: own(wasmResults), go: own(goResults) }).toEqual({ wasm: expected, go: expected });
  });
});
