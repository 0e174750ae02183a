/**
 * One measurement of the findings CSV benchmark, in a process of its own so its peak RSS is its own: starts
 * the app (no worker) on the benchmark database, signs in as the tenant, then either fetches one JSON page of
 * 1,000 findings (`baseline`) or streams the whole findings CSV (`csv`), reading the answer as it arrives and
 * keeping only counts. Prints one JSON line: rows, bytes, seconds, peak RSS, and the peak live heap (heap
 * used right after a forced collection, sampled every `sampleMs` (100 ms unless told): what the process really holds, without the
 * garbage V8 has not collected yet, which peak RSS includes). Run with --expose-gc.
 */
import { buildApp } from '../../api/src/app.ts';
import { openDatabase } from '../../api/src/plugins/external/db.ts';
import { login, testConfig } from '../../api/test/helpers.ts';

const {
  databaseUrl,
  dataDir,
  email,
  password,
  scanId,
  mode,
  sampleMs = 100,
} = JSON.parse(process.argv[2]!) as {
  databaseUrl: string;
  dataDir: string;
  email: string;
  password: string;
  scanId: string;
  mode: 'baseline' | 'csv';
  sampleMs?: number;
};

const config = testConfig(dataDir, databaseUrl, { loginAttemptsPerMinute: 1_000_000 });
const database = await openDatabase(config);
const app = await buildApp({ config, database, ownsDatabase: false, worker: false, logger: false });
const base = await app.listen({ port: 0, host: '127.0.0.1' });
const { access_token: token } = await login(app, email, password);

const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('run with node --expose-gc');
let peakLiveHeap = 0;
const sample = () => {
  collect();
  peakLiveHeap = Math.max(peakLiveHeap, process.memoryUsage().heapUsed);
};
sample();
const sampler = setInterval(sample, sampleMs);
const started = performance.now();
const path =
  mode === 'baseline'
    ? `/api/scans/${scanId}/findings?limit=1000`
    : `/api/reports/findings.csv?scan_id=${scanId}`;
const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
let bytes = 0;
let lines = 0;
for await (const chunk of response.body!) {
  const data = chunk as Uint8Array;
  bytes += data.length;
  for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, at + 1)) lines += 1;
}
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
sample();
await app.close();
await database.close();
// maxRSS is in KiB: the largest resident set of this process so far, app start included.
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
const rows = mode === 'baseline' ? 1000 : lines - 1;
const peakLiveHeapMiB = peakLiveHeap / 2 ** 20;
console.log(JSON.stringify({ mode, rows, bytes, seconds, peakRssMiB, peakLiveHeapMiB }));
