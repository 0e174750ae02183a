/**
 * Where the shared reference data lives (real NIST OSCAL catalogs and schemas, the SARIF schema, ...):
 * `shared/reference/` beside the checkout, as on our machines and in CI, or COMPLYWISE_REFERENCE_DIR.
 * Tests read it; nothing from it is ever copied into the repository.
 */
import { join } from 'node:path';

const defaultDir = new URL('../../shared/reference/', import.meta.url).pathname;

/** The path of `parts` inside the reference folder. */
export function referencePath(...parts: string[]): string {
  return join(process.env.COMPLYWISE_REFERENCE_DIR ?? defaultDir, ...parts);
}
