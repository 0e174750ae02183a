import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resource } from '../schemas/index.ts';
import { loadRuleSources } from './compile/rule-sources.ts';
import { ERROR_CODES } from './errors.ts';
import { loadPolicyEngine, type PolicyEngine } from './evaluate.ts';
import { loadParallelPolicyEngine, type ParallelPolicyEngine } from './parallel.ts';
import { DEFAULT_RULES_DIR } from './paths.ts';

const scanTime = new Date('2026-11-26T10:00:00.000Z');
let parallel: ParallelPolicyEngine;
let serial: PolicyEngine;
let inventory: Resource[];

beforeAll(async () => {
  [parallel, serial] = await Promise.all([
    loadParallelPolicyEngine(2, undefined, { chunkSize: 50 }),
    loadPolicyEngine(undefined, { chunkSize: 50 }),
  ]);
  const fixtures = (await loadRuleSources(DEFAULT_RULES_DIR, null)).flatMap((r) =>
    r.fixtures.map((f) => f.resource),
  );
  // Every fixture of every rule, cloned with unique ids, plus one repeated id and one type no rule covers.
  inventory = Array.from({ length: 1500 }, (_, i) => {
    const t = fixtures[i % fixtures.length]!;
    return { ...structuredClone(t), id: `${t.id}#${i}` };
  });
  inventory.push(inventory[7]!, { ...inventory[0]!, id: 'x', type: 'example.unruled.thing' });
});

afterAll(async () => {
  await parallel?.close();
});

describe('the engine over worker threads', () => {
  it('gives exactly the findings of the serial engine, in the same order', async () => {
    const [a, b] = [
      await parallel.evaluate(inventory, { scanTime }),
      await serial.evaluate(inventory, { scanTime }),
    ];
    expect(a.length).toBeGreaterThan(3000);
    expect(a).toEqual(b);
    expect(new Set(a.map((f) => f.status))).toEqual(new Set(['pass', 'fail', 'error', 'not_applicable']));
  });

  it('passes tenant parameters to the workers and refuses invalid ones before starting', async () => {
    const params = { 'CW-AWS-EC2-001': { admin_ports: [3389] } };
    const [a, b] = [
      await parallel.evaluate(inventory, { scanTime, params }),
      await serial.evaluate(inventory, { scanTime, params }),
    ];
    expect(a).toEqual(b);
    await expect(
      parallel.evaluate(inventory, { scanTime, params: { 'CW-AWS-EC2-001': { admin_ports: 'ssh' } } }),
    ).rejects.toMatchObject({ code: ERROR_CODES.PARAMS_INVALID, details: { rule_id: 'CW-AWS-EC2-001' } });
    expect(await parallel.evaluate([], { scanTime })).toEqual([]);
  });
});
