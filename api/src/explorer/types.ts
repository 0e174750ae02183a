/** The findings explorer's shapes: its filters (shared by GET /api/findings and the findings CSV) and rows. */
import type { FindingView } from '../scans/types.ts';

/** The explorer's sorts; `severity` (most severe first) is the default. */
export const EXPLORER_SORTS = ['severity', 'rule_id', 'resource_id', 'resource_type'] as const;
export type ExplorerSort = (typeof EXPLORER_SORTS)[number];

/**
 * Which findings: those of the tenant's posture (the latest succeeded scan of every integration), or of one
 * scan with `scan_id`, narrowed by every filter given (all of them at once).
 */
export interface FindingFilters {
  sort?: ExplorerSort;
  scan_id?: string;
  provider?: string;
  integration_id?: string;
  account?: string;
  region?: string;
  resource_type?: string;
  /** One resource's findings (its id, an ARN for AWS). */
  resource_id?: string;
  rule_id?: string;
  severity?: string;
  status?: string;
  /** A framework id: findings of the rules mapped (through UCF controls) to any of its versions. */
  framework?: string;
  /** A UCF control id: findings of the rules that test it. */
  control?: string;
  /** true: only excepted findings; false: none of them. */
  excepted?: boolean;
  /** true: only failing findings its integration's previous succeeded scan did not fail. */
  new_since_last_scan?: boolean;
}

export type ExplorerQuery = FindingFilters & { limit: number; cursor?: string };

/** One scan the explorer reads, with where it comes from and the scan it is compared with. */
export interface ScanSource {
  scan_id: string;
  integration_id: string;
  integration_name: string;
  provider: string;
  /** The integration's succeeded scan before this one, or null for its first. */
  previous_scan_id: string | null;
  /** Whether the scan's findings carry `new_failure` (scans created since migration 0023). */
  new_failures_recorded: boolean;
}

/** A finding as the explorer lists it: the scan's finding with its integration and resource's place. */
export interface ExplorerFinding extends FindingView {
  scan_id: string;
  integration_id: string;
  integration_name: string;
  provider: string;
  resource_account: string;
  resource_region: string;
  new_since_last_scan: boolean;
}
