/**
 * Engine benchmark (not a test): synthetic inventories over every rule type, evaluated in one run by
 *   - our engine (committed rules/dist/policy.wasm through @open-policy-agent/opa-wasm, in its own process),
 *   - `opa eval` (the Go evaluator) on the Rego sources that bundle was compiled from, same data,
 *   - `opa exec` (the Go evaluator as a one-shot service) on a bundle of those sources whose data.json holds
 *     the inventory, with an empty input document,
 *   - the floor: JSON.parse + JSON.stringify of the inventory once.
 * Prints resources/s, peak memory (max RSS) and the ratios; results go in bench/README.md.
 *
 * Each contender runs `--runs` times (default 3), the rounds interleaved so a slow spell of a shared machine
 * hits all of them alike; the table gives the median wall and CPU time and the largest peak memory.
 *
 *   node bench/engine/run.ts [--sizes 10000,100000] [--runs 3]
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compileBundle } from '../../engine/compile/build.ts';
import { scanData } from '../../engine/compile/generate.ts';
import { resolveOpa } from '../../engine/compile/opa.ts';
import { loadPolicyEngine } from '../../engine/evaluate.ts';
import { parameterDefaults } from '../../engine/params.ts';
import type { Resource } from '../../schemas/index.ts';
import { SCAN_TIME, syntheticInventory, templates } from './inventory.ts';

const execFileAsync = promisify(execFile);
const MEASURE = new URL('./measure.ts', import.meta.url).pathname;

interface Measurement {
  seconds: number;
  /** User + system CPU: on a shared machine the wall clock mostly measures the other jobs. */
  cpu_seconds: number;
  max_rss_mib: number;
  findings?: number;
  /** Engine only: CPU of loading the bundle and the warm-up evaluation, which cpu_seconds leaves out. */
  setup_cpu_seconds?: number;
}

async function measure(mode: 'engine' | 'parallel' | 'json', file: string): Promise<Measurement> {
  const { stdout } = await execFileAsync(process.execPath, [MEASURE, mode, file], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as Measurement;
}

/** opa eval of every type entrypoint at once, timed and sized by /usr/bin/time (wall seconds, max RSS). */
async function opaEval(opa: string, src: string, dataFile: string): Promise<Measurement> {
  const { stdout, stderr } = await execFileAsync(
    '/usr/bin/time',
    [
      '-f',
      'TIME %e %M %U %S',
      opa,
      'eval',
      '--format',
      'json',
      '-d',
      src,
      '-d',
      dataFile,
      'data.complywise.types',
    ],
    { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 },
  );
  const [, seconds, kib, user, system] = /TIME (\S+) (\d+) (\S+) (\S+)/.exec(stderr) ?? [];
  const types = (
    JSON.parse(stdout) as {
      result: { expressions: { value: Record<string, { results: Record<string, object> }> }[] }[];
    }
  ).result[0]!.expressions[0]!.value;
  return {
    seconds: Number(seconds),
    cpu_seconds: Number(user) + Number(system),
    max_rss_mib: Math.round(Number(kib) / 1024),
    findings: decisions(types),
  };
}

/** The number of (rule, resource) decisions in a `data.complywise.types` value. */
function decisions(types: Record<string, { results: Record<string, object> }>): number {
  let findings = 0;
  for (const t of Object.values(types))
    for (const byResource of Object.values(t.results)) findings += Object.keys(byResource).length;
  return findings;
}

/**
 * opa exec of the decision every type entrypoint hangs under (complywise/types), against a bundle folder
 * holding the compiled Rego sources and, as its data.json, the inventory with parameters and scan time; the
 * input is an empty document, as our rules read data, not input. Wall time and max RSS of the process.
 */
async function opaExec(opa: string, src: string, dataFile: string, dir: string): Promise<Measurement> {
  await rm(dir, { recursive: true, force: true });
  await cp(src, dir, { recursive: true });
  await cp(dataFile, join(dir, 'data.json'));
  const input = join(dir, '..', 'exec-input.json');
  await writeFile(input, '{}');
  const { stdout, stderr } = await execFileAsync(
    '/usr/bin/time',
    ['-f', 'TIME %e %M %U %S', opa, 'exec', '--decision', 'complywise/types', '--bundle', dir, input],
    { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 },
  );
  await rm(dir, { recursive: true, force: true });
  const [, seconds, kib, user, system] = /TIME (\S+) (\d+) (\S+) (\S+)/.exec(stderr) ?? [];
  const types = (
    JSON.parse(stdout) as { result: { result: Record<string, { results: Record<string, object> }> }[] }
  ).result[0]!.result;
  return {
    seconds: Number(seconds),
    cpu_seconds: Number(user) + Number(system),
    max_rss_mib: Math.round(Number(kib) / 1024),
    findings: decisions(types),
  };
}

/** Median wall and CPU time of repeated measurements, with the largest peak memory of any of them. */
function summary(runs: readonly Measurement[]): Measurement {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const findings = new Set(runs.map((r) => r.findings));
  if (findings.size > 1)
    throw new Error(`repeated runs disagree on the findings: ${[...findings].join(', ')}`);
  return {
    seconds: median(runs.map((r) => r.seconds)),
    cpu_seconds: median(runs.map((r) => r.cpu_seconds)),
    max_rss_mib: Math.max(...runs.map((r) => r.max_rss_mib)),
    findings: runs[0]!.findings,
    setup_cpu_seconds:
      runs[0]!.setup_cpu_seconds === undefined ? undefined : median(runs.map((r) => r.setup_cpu_seconds!)),
  };
}

function byType(resources: readonly Resource[]): Record<string, Resource[]> {
  const out: Record<string, Resource[]> = {};
  for (const r of resources) (out[r.type] ??= []).push(r);
  return out;
}

const sizesArg = process.argv.indexOf('--sizes');
const sizes = (sizesArg > 0 ? process.argv[sizesArg + 1]! : '10000,100000').split(',').map(Number);
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive whole number');
const work = await mkdtemp(join(tmpdir(), 'complywise-bench-'));
try {
  const opa = await resolveOpa();
  const built = await compileBundle({ buildDir: join(work, 'build'), opa });
  const engine = await loadPolicyEngine();
  if (built.revision !== engine.revision)
    throw new Error('rules/dist is stale: run `complywise rules build`');
  const params: Record<string, unknown> = {};
  for (const rule of engine.catalog.rules) if (rule.parameters) params[rule.id] = parameterDefaults(rule);
  const from = await templates();
  const types = new Set(from.map((t) => t.type)).size;
  console.log(
    `bundle ${engine.revision.slice(0, 12)}: ${engine.catalog.rules.length} rules, ${types} resource types; OPA ${built.opaVersion}; node ${process.version}; median of ${runs} runs`,
  );
  const rows: string[] = [];
  const setups: string[] = [];
  for (const size of sizes) {
    const inventory = syntheticInventory(from, size);
    const inventoryFile = join(work, `inventory-${size}.json`);
    const dataFile = join(work, `data-${size}.json`);
    await writeFile(inventoryFile, JSON.stringify(inventory));
    await writeFile(
      dataFile,
      JSON.stringify({ inventory: byType(inventory), params, scan: scanData(SCAN_TIME.toISOString()) }),
    );
    const rounds: Record<'floor' | 'ours' | 'twoThreads' | 'go' | 'exec', Measurement[]> = {
      floor: [],
      ours: [],
      twoThreads: [],
      go: [],
      exec: [],
    };
    for (let round = 0; round < runs; round++) {
      rounds.floor.push(await measure('json', inventoryFile));
      rounds.ours.push(await measure('engine', inventoryFile));
      rounds.twoThreads.push(await measure('parallel', inventoryFile));
      rounds.go.push(await opaEval(opa, join(work, 'build', 'src'), dataFile));
      rounds.exec.push(await opaExec(opa, join(work, 'build', 'src'), dataFile, join(work, 'exec-bundle')));
    }
    const [floor, ours, twoThreads, go, exec] = [
      rounds.floor,
      rounds.ours,
      rounds.twoThreads,
      rounds.go,
      rounds.exec,
    ].map(summary) as [Measurement, Measurement, Measurement, Measurement, Measurement];
    if (
      ours.findings !== go.findings ||
      twoThreads.findings !== go.findings ||
      exec.findings !== go.findings
    ) {
      throw new Error(
        `engine gave ${ours.findings} findings (2 threads ${twoThreads.findings}), opa eval ${go.findings}, opa exec ${exec.findings}`,
      );
    }
    const rate = (m: Measurement) => Math.round(size / m.seconds).toLocaleString('en-US');
    const cell = (m: Measurement) => `${rate(m)} (${m.cpu_seconds.toFixed(2)} s CPU, ${m.max_rss_mib} MiB)`;
    // Each ratio twice: by wall time, then by CPU time.
    const ratio = (slow: Measurement, fast: Measurement) =>
      `${(slow.seconds / fast.seconds).toFixed(1)}x / ${(slow.cpu_seconds / fast.cpu_seconds).toFixed(1)}x`;
    rows.push(
      `| ${size.toLocaleString('en-US')} | ${ours.findings!.toLocaleString('en-US')} | ${cell(ours)} | ${cell(twoThreads)} | ${cell(go)} | ${cell(exec)} | ${cell(floor)} | ${ratio(go, ours)} | ${ratio(exec, ours)} | ${ratio(ours, floor)} |`,
    );
    console.log(rows.at(-1));
    setups.push(
      `${size.toLocaleString('en-US')}: ${ours.setup_cpu_seconds!.toFixed(2)} s (2 worker threads: ${twoThreads.setup_cpu_seconds!.toFixed(2)} s)`,
    );
  }
  console.log(
    [
      '',
      '| resources | findings | engine: resources/s (CPU, peak RSS) | engine, 2 worker threads | opa eval | opa exec | JSON floor | engine vs opa eval (wall / CPU) | engine vs opa exec (wall / CPU) | engine / floor (wall / CPU) |',
      '| --------- | -------- | ----------------------------------- | ------------------------ | -------- | -------- | ---------- | ------------------------------- | ------------------------------- | --------------------------- |',
      ...rows,
      '',
      `Engine CPU not counted above (loading the bundle, warm-up evaluation of 1,000 resources), median: ${setups.join('; ')}`,
    ].join('\n'),
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
