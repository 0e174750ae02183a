// The timestamp index must be a pure cache of lib.unix_seconds: for any string it gives either nothing or
// exactly what the Rego parser gives (checked against the real `opa eval` on lib.rego, on thousands of
// generated timestamps, valid and mangled), and it indexes the date-time attributes the schemas declare.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Resource } from '../schemas/index.ts';
import { resolveOpa, runOpaOk } from './compile/opa.ts';
import { dateTimePaths, rfc3339Seconds, timestampIndex } from './timestamps.ts';

const LIB = new URL('./compile/rego/lib.rego', import.meta.url).pathname;

/** lib.unix_seconds of each string, by the Go evaluator; a string it leaves undefined is absent. */
async function regoSeconds(strings: string[], data: object = {}): Promise<Record<string, number>> {
  const opa = await resolveOpa();
  const query = 'x := {s: v | some s in input.strings; v := data.complywise.lib.unix_seconds(s)}';
  const dir = await mkdtemp(join(tmpdir(), 'complywise-ts-'));
  try {
    await writeFile(join(dir, 'data.json'), JSON.stringify(data));
    const out = await runOpaOk(
      opa,
      ['eval', '--format', 'json', '-d', LIB, '-d', join(dir, 'data.json'), '--stdin-input', query],
      { stdin: JSON.stringify({ strings }) },
    );
    return (JSON.parse(out) as { result: { bindings: { x: Record<string, number> } }[] }).result[0]!.bindings
      .x;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** RFC 3339 timestamps in the shapes real APIs send: any zone offset, optional fraction, t/z in any case. */
const timestamp = fc
  .record({
    ms: fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2200, 0, 1) }),
    offsetMinutes: fc.constantFrom(0, 60, -300, 330, 545, -720, 840),
    fraction: fc.constantFrom('', '.0', '.123', '.123456789'),
    zulu: fc.boolean(),
    lower: fc.boolean(),
  })
  .map(({ ms, offsetMinutes, fraction, zulu, lower }) => {
    const offset = zulu ? 0 : offsetMinutes;
    const d = new Date(ms + offset * 60_000);
    const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fraction}`;
    const zone = zulu
      ? 'Z'
      : `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
    const text = `${date}T${time}${zone}`;
    return { text: lower ? text.toLowerCase() : text, seconds: Math.floor(ms / 1000) };
  });

/** A valid timestamp with a few characters replaced, cut or added: the near misses a parser gets wrong. */
const mangled = fc
  .tuple(
    timestamp,
    fc.array(fc.tuple(fc.nat(40), fc.constantFrom(...'0123456789-:TtZz+. xé'.split(''))), {
      minLength: 1,
      maxLength: 3,
    }),
    fc.integer({ min: -6, max: 4 }),
  )
  .map(([{ text }, edits, cut]) => {
    let s = text;
    for (const [at, c] of edits) s = s.slice(0, at % (s.length + 1)) + c + s.slice((at % (s.length + 1)) + 1);
    return cut < 0 ? s.slice(0, cut) : s + '0'.repeat(cut);
  });

describe('rfc3339Seconds', () => {
  const seed = Number(process.env.TIMESTAMP_SEED ?? Date.now() % 2 ** 31);

  it('reads valid timestamps as the instant they name', () => {
    for (const { text, seconds } of fc.sample(timestamp, { numRuns: 2000, seed }))
      expect(rfc3339Seconds(text), `${text} (TIMESTAMP_SEED=${seed})`).toBe(seconds);
  });

  it('gives nothing or exactly what lib.unix_seconds gives, for valid and mangled strings', async () => {
    const valid = fc.sample(timestamp, { numRuns: 1500, seed }).map((t) => t.text);
    const strings = [
      ...valid,
      ...fc.sample(mangled, { numRuns: 3000, seed }),
      // Edges of the grammar: no digit after the point, a zone without minutes, a short year, too short.
      '2026-01-01T00:00:00.Z',
      '2026-01-01T00:00:00+01',
      '2026-01-01T00:00:00',
      '226-01-01T00:00:00Z',
      '2026-1-01T00:00:00Z',
      '2026-13-40T99:99:99Z',
      '2026-01-01 00:00:00Z',
      '2026-01-01T00:00:00.5-00:00',
      '',
    ];
    const rego = await regoSeconds(strings);
    const disagreements = strings
      .map((s) => ({ s, js: rfc3339Seconds(s), rego: rego[s] }))
      .filter(({ s, js, rego }) => js !== rego && !(js === undefined && /[^\x20-\x7e]/.test(s)));
    expect(disagreements, `TIMESTAMP_SEED=${seed}`).toEqual([]);
    // Not a vacuous agreement: the valid ones are all read, and some mangled ones are refused by both.
    expect(valid.filter((s) => rego[s] === undefined)).toEqual([]);
    expect(strings.filter((s) => rego[s] === undefined).length).toBeGreaterThan(100);
  });

  it('is what lib.unix_seconds looks up first when the engine hands in an index', async () => {
    const rego = await regoSeconds(['2026-01-01T00:00:00Z', 'not a time'], {
      timestamp_index: { 'not a time': 42 },
    });
    expect(rego).toEqual({ '2026-01-01T00:00:00Z': 1767225600, 'not a time': 42 });
  });
});

describe('timestampIndex', () => {
  it('finds the date-time attributes the schema declares, inside arrays too', () => {
    const paths = dateTimePaths('aws.iam.user').map((p) => p.join('.'));
    expect(paths).toEqual(
      expect.arrayContaining([
        'collected_at',
        'attributes.create_date',
        'attributes.password_last_used',
        'attributes.mfa_devices.[].enable_date',
        'attributes.access_keys.[].create_date',
        'attributes.access_keys.[].last_used_date',
      ]),
    );
    expect(dateTimePaths('no.such.type').map((p) => p.join('.'))).toEqual(['collected_at']);
  });

  it('indexes every timestamp of a chunk and nothing else', async () => {
    const fixture = JSON.parse(
      await readFile(
        new URL('../rules/aws/iam/unused-credentials/fixtures/bad/key-never-used.json', import.meta.url),
        'utf8',
      ),
    ) as Resource;
    const index = timestampIndex('aws.iam.user', [fixture]);
    const attributes = fixture.attributes as {
      create_date: string;
      password_last_used: string | null;
      mfa_devices: { enable_date: string | null }[];
      access_keys: { create_date: string; last_used_date: string | null }[];
    };
    const expected = [
      fixture.collected_at,
      attributes.create_date,
      attributes.password_last_used,
      ...attributes.mfa_devices.map((d) => d.enable_date),
      ...attributes.access_keys.flatMap((k) => [k.create_date, k.last_used_date]),
    ].filter((t): t is string => typeof t === 'string');
    expect(Object.keys(index).sort()).toEqual([...new Set(expected)].sort());
    for (const t of expected) expect(index[t]).toBe(Math.floor(Date.parse(t) / 1000));
  });
});
