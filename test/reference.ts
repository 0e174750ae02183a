/**
 * The reference tier of the tests: large third-party data (real NIST OSCAL catalogs and schemas, the SARIF
 * schema, AWS Config samples and resource schemas) in `shared/reference/` beside the checkout, as on our
 * machines and in CI, or in COMPLYWISE_REFERENCE_DIR. Nothing from it is ever copied into the repository.
 *
 * A fresh clone has no such folder: every test must pass without it, on our own fixtures in the real formats,
 * so the tests that need the reference data are declared with `describeWithReference` / `itWithReference`
 * and are skipped there, the reason carried in their names so scripts/test.sh reports it once in its summary.
 * CI sets COMPLYWISE_REQUIRE_REFERENCE=1: a missing folder is then an error, never a silent skip.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';

const defaultDir = new URL('../../shared/reference/', import.meta.url).pathname;
const referenceDir = process.env.COMPLYWISE_REFERENCE_DIR || defaultDir;

/** The path of `parts` inside the reference folder. */
export function referencePath(...parts: string[]): string {
  return join(referenceDir, ...parts);
}

/** Why the reference tier does not run here (the marker scripts/test.sh looks for in skipped test names). */
const SKIP_REASON = process.env.COMPLYWISE_REFERENCE_DIR
  ? `reference tier skipped: no ${process.env.COMPLYWISE_REFERENCE_DIR} (COMPLYWISE_REFERENCE_DIR)`
  : 'reference tier skipped: no ../shared/reference (set COMPLYWISE_REFERENCE_DIR)';

/**
 * Whether the reference folder is there. Where it is required (COMPLYWISE_REQUIRE_REFERENCE=1, as in CI),
 * its absence throws, so the test file fails instead of skipping.
 */
export function referenceAvailable(): boolean {
  if (existsSync(referenceDir)) return true;
  if (process.env.COMPLYWISE_REQUIRE_REFERENCE === '1') {
    throw new Error(
      `COMPLYWISE_REQUIRE_REFERENCE=1 but the reference folder ${referenceDir} does not exist ` +
        '(put shared/reference beside the checkout or set COMPLYWISE_REFERENCE_DIR)',
    );
  }
  return false;
}

/** The name a reference-tier suite or test runs under: marked, and with the reason when it is skipped. */
function tierName(name: string, available: boolean): string {
  return `${name} [${available ? 'reference tier' : SKIP_REASON}]`;
}

/** A suite of the reference tier: runs when the reference folder is there, else is skipped with the reason. */
export function describeWithReference(name: string, fn: () => void): void {
  const available = referenceAvailable();
  describe.skipIf(!available)(tierName(name, available), fn);
}

/** One test of the reference tier inside an always-on suite (e.g. one that shares a started app). */
export function itWithReference(name: string, fn: () => Promise<void> | void, timeout?: number): void {
  const available = referenceAvailable();
  it.skipIf(!available)(tierName(name, available), fn, timeout);
}
