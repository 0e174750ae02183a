/**
 * Framework catalogs benchmark: `node bench/frameworks/run.ts [--repeat 5]`.
 * Prints, against a floor measured in the same run:
 * - cold load: loadFrameworks() in a fresh process (parse with positions, JSON Schema validation, cross-checks);
 * - cached load: the second loadFrameworks() in the same process (content hash hit);
 * - floor: plain `yaml.parse` of the same files (no positions, no validation);
 * - scoring: evaluateControls + scoreFrameworks of a synthetic scan (every rule of the bundle on 1,000 resources).
 */
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadFrameworks } from '../../engine/frameworks.ts';
import { evaluateControls } from '../../engine/map.ts';
import { DEFAULT_FRAMEWORKS_DIR } from '../../engine/paths.ts';
import { scoreFrameworks } from '../../engine/score.ts';
import type { Finding } from '../../schemas/index.ts';

const repeatAt = process.argv.indexOf('--repeat');
const repeat = repeatAt > 0 ? Number(process.argv[repeatAt + 1]) : 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (process.argv.includes('--child')) {
  const start = performance.now();
  await loadFrameworks();
  const cold = performance.now() - start;
  const again = performance.now();
  await loadFrameworks();
  console.log(JSON.stringify({ cold, cached: performance.now() - again }));
  process.exit(0);
}

const files: string[] = [];
for (const d of await readdir(DEFAULT_FRAMEWORKS_DIR, { withFileTypes: true })) {
  if (!d.isDirectory()) continue;
  for (const f of await readdir(join(DEFAULT_FRAMEWORKS_DIR, d.name))) {
    if (f.endsWith('.yaml')) files.push(join(DEFAULT_FRAMEWORKS_DIR, d.name, f));
  }
}
const texts = await Promise.all(files.map((f) => readFile(f, 'utf8')));
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);

const floor: number[] = [];
const cold: number[] = [];
const cached: number[] = [];
for (let i = 0; i < repeat; i++) {
  const start = performance.now();
  for (const t of texts) parse(t);
  floor.push(performance.now() - start);
  const child = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--child'], {
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(child.stderr);
  const r = JSON.parse(child.stdout) as { cold: number; cached: number };
  cold.push(r.cold);
  cached.push(r.cached);
}

const frameworks = await loadFrameworks();
const rules = Object.keys(frameworks.rule_controls);
const statuses: Finding['status'][] = ['pass', 'pass', 'fail', 'not_applicable', 'error'];
const findings: Finding[] = rules.flatMap((rule_id, r) =>
  Array.from({ length: 1000 }, (_, i) => ({
    rule_id,
    rule_version: '1.0.0',
    rule_hash: '0'.repeat(64),
    bundle_revision: 'bench',
    resource_id: `r${i}`,
    resource_type: 'bench',
    status: statuses[(i + r) % statuses.length]!,
    severity: 'low' as const,
    message: '',
    evidence_sha256: null,
  })),
);
const scoring: number[] = [];
for (let i = 0; i < repeat; i++) {
  const start = performance.now();
  scoreFrameworks(evaluateControls(findings, frameworks), frameworks);
  scoring.push(performance.now() - start);
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const requirements = frameworks.frameworks.reduce((n, f) => n + f.requirements.length, 0);
console.log(
  `${files.length} files, ${(bytes / 1024).toFixed(0)} KiB, ${frameworks.frameworks.length} frameworks, ${requirements} requirements, ${frameworks.controls.length} UCF controls; median of ${repeat}`,
);
console.log(`floor (yaml.parse only)     ${ms(median(floor))}`);
console.log(
  `cold loadFrameworks         ${ms(median(cold))}  (${(median(cold) / median(floor)).toFixed(1)}x floor)`,
);
console.log(
  `cached loadFrameworks       ${ms(median(cached))}  (${(median(cached) / median(floor)).toFixed(2)}x floor, ${(median(cold) / median(cached)).toFixed(0)}x faster than cold)`,
);
console.log(
  `evaluate + score ${findings.length} findings  ${ms(median(scoring))}  (${(median(scoring) / median(floor)).toFixed(2)}x floor)`,
);
