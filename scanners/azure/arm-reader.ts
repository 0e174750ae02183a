/**
 * What the per-service readers (defender.ts, monitor.ts, ...) use of a subscription's scan (azure.ts makes
 * it). In a file of its own so that those readers and azure.ts, which imports them, do not import each other.
 */
import type { Resource } from '../../schemas/index.ts';

type Json = Record<string, unknown>;

export interface ArmReader {
  readonly subscriptionId: string;
  readonly endpoint: string;
  /** One ARM GET; `operation` is the Azure action it needs (a key of AZURE_PERMISSIONS in azure.ts). */
  get(operation: string, url: string, resourceId: string | null): Promise<Json | null | undefined>;
  /** Every page of an ARM listing (`value` + `nextLink`); null when a page was refused (error recorded). */
  list(
    operation: string,
    path: string,
    apiVersion: string,
    resourceId?: string | null,
  ): Promise<Json[] | null>;
  /** The normalized resource of an ARM item. */
  envelope(item: Json, type: string, attributes: Json): Resource;
}
