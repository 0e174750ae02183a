// Writes test/durations.json, the seconds each test file took, from the JSON report of a full run
// (.test-artifacts/vitest.json, written by ./scripts/test.sh). test/sequencer.ts starts the longest files first
// with it on a checkout that has no run of its own (CI). Run it after a full run when files were added or their
// time changed a lot; a stale file only changes the order, never a result. Another checkout's report:
// `node scripts/test-durations.ts <report.json> <the checkout it ran in>`.
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const reportFile = process.argv[2] ?? `${root}.test-artifacts/vitest.json`;
const reportRoot = process.argv[3] ?? root;
const outFile = `${root}test/durations.json`;

interface Report {
  testResults: { name: string; startTime: number; endTime: number }[];
}

/** Whole seconds per file, longest first; a file's path is relative to the repository root. */
function durationsOf(report: Report, reportRoot: string): Record<string, number> {
  const rows = report.testResults.map(
    (f) => [relative(reportRoot, f.name), Math.round((f.endTime - f.startTime) / 1000)] as const,
  );
  return Object.fromEntries(rows.sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)));
}

const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
writeFileSync(outFile, `${JSON.stringify(durationsOf(report, reportRoot), null, 2)}\n`);
console.log(`wrote ${relative(root, outFile)} (${report.testResults.length} files)`);
