/**
 * One measurement in its own process, so its peak memory (maxRSS) is its own:
 *   node bench/engine/measure.ts engine <inventory.json>   our engine (wasm, committed bundle)
 *   node bench/engine/measure.ts parallel <inventory.json> the same over 2 worker threads
 *   node bench/engine/measure.ts json <inventory.json>     the floor: parse the inventory, serialise it once
 * Prints one JSON line: { seconds, cpu_seconds, findings?, max_rss_mib, setup_cpu_seconds? } where both times exclude
 * reading the file (and, for the engine, loading the bundle and one warm-up evaluation of the first 1,000
 * resources, whose CPU time is setup_cpu_seconds).
 */
import { readFile } from 'node:fs/promises';
import { loadPolicyEngine } from '../../engine/evaluate.ts';
import { loadParallelPolicyEngine } from '../../engine/parallel.ts';
import type { Resource } from '../../schemas/index.ts';
import { SCAN_TIME } from './inventory.ts';

const [mode, file] = process.argv.slice(2);
if (!file || !['engine', 'parallel', 'json'].includes(mode ?? '')) {
  console.error('usage: measure.ts engine|parallel|json <inventory.json>');
  process.exit(64);
}
const text = await readFile(file, 'utf8');
let seconds: number;
// CPU time beside wall time: on a loaded machine the wall clock mostly measures the other jobs.
let cpu: NodeJS.CpuUsage;
let findings: number | undefined;
let setupCpu: NodeJS.CpuUsage | undefined;
if (mode === 'json') {
  cpu = process.cpuUsage();
  const start = performance.now();
  const parsed = JSON.parse(text) as Resource[];
  const back = JSON.stringify(parsed);
  seconds = (performance.now() - start) / 1000;
  cpu = process.cpuUsage(cpu);
  if (back.length === 0) throw new Error('unreachable');
} else {
  const resources = JSON.parse(text) as Resource[];
  setupCpu = process.cpuUsage();
  const parallel = mode === 'parallel' ? await loadParallelPolicyEngine(2) : null;
  const engine = parallel ?? (await loadPolicyEngine());
  // Steady state, as in a worker that keeps the engine loaded: the first evaluation pays for compiling the
  // wasm to optimised code, which is not a per-resource cost.
  await engine.evaluate(resources.slice(0, 1000), { scanTime: SCAN_TIME });
  setupCpu = process.cpuUsage(setupCpu);
  cpu = process.cpuUsage();
  const start = performance.now();
  findings = (await engine.evaluate(resources, { scanTime: SCAN_TIME })).length;
  seconds = (performance.now() - start) / 1000;
  cpu = process.cpuUsage(cpu);
  await parallel?.close();
}
const maxRssMib = process.resourceUsage().maxRSS / 1024;
const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;
process.stdout.write(
  `${JSON.stringify({
    seconds,
    cpu_seconds: cpuSeconds(cpu),
    findings,
    max_rss_mib: Math.round(maxRssMib),
    setup_cpu_seconds: setupCpu && cpuSeconds(setupCpu),
  })}\n`,
);
