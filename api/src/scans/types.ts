/** The scans domain's shapes: what the API returns of a scan and its findings, and what a scan job carries. */
import type { SourceAge } from '../../../engine/index.ts';
import type { FrameworkScore, ScanError } from '../../../schemas/index.ts';
import type { FindingException } from '../overrides/store.ts';

export type ScanStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** The statuses a scan can be in; `cancelled` is final like succeeded and failed. */
export const SCAN_STATUSES: readonly ScanStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

export interface ScanProgressView {
  phase: string;
  resources_collected: number;
  calls_made: number;
  errors: number;
}

export interface ScanView {
  id: string;
  integration_id: string;
  integration_name: string;
  status: ScanStatus;
  progress: ScanProgressView;
  errors: ScanError[];
  bundle_revision: string | null;
  /** sha256 of the tenant's override set in force when the scan was evaluated (engine overridesHash). */
  overrides_hash: string | null;
  /**
   * The parts the scan is split into (each collected by any worker) and how many are collected; 0 of 0
   * until the scan is planned.
   */
  parts: { total: number; done: number };
  /** Why the whole scan failed; null unless status is failed. */
  failure: { code: string; message: string } | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

/** What a scan job carries: ids only, never credentials. */
export interface ScanJobData {
  tenant_id: string;
  scan_id: string;
}

/** What a scan part job carries: the scan and the part's key (ScannerProvider.parts). */
export interface ScanPartJobData extends ScanJobData {
  part: string;
}

export interface FindingView {
  id: string;
  rule_id: string;
  rule_version: string;
  rule_hash: string;
  bundle_revision: string;
  resource_id: string;
  resource_type: string;
  resource_name: string;
  status: string;
  severity: string;
  message: string;
  evidence_sha256: string | null;
  /** The exception that set this failing finding aside (left out of the score), or null. */
  exception_id: string | null;
  exception: FindingException | null;
}

export const QUEUED_PROGRESS: ScanProgressView = {
  phase: 'queued',
  resources_collected: 0,
  calls_made: 0,
  errors: 0,
};

/** The dashboard's scores: the tenant's posture at its newest scoring event. */
export interface LatestScores {
  /** The tenant's newest succeeded scan (its controls are the ones the dashboard lists). */
  scan_id: string | null;
  finished_at: Date | null;
  items: FrameworkScore[];
  /** Where the scores come from; null before the first scoring event. */
  posture: {
    event_id: string;
    reason: string;
    /** The integration and scan that caused the event (null for manual evidence). */
    integration_id: string | null;
    event_scan_id: string | null;
    scored_at: Date;
    stale_after_days: number;
    /** Each integration's contribution: its latest succeeded scan, how old it is, whether it is stale. */
    integrations: SourceAge[];
  } | null;
}

/** One page of a list: its items and the cursor of the next page (null on the last). */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface ScanListOptions {
  limit: number;
  cursor?: string;
  sort?: 'created_at' | '-created_at';
  status?: string;
  integration_id?: string;
  /** Only scans that finished in [finished_from, finished_to] (an audit period). */
  finished_from?: Date;
  finished_to?: Date;
}

export interface FindingListOptions {
  limit: number;
  cursor?: string;
  sort?: 'rule_id' | 'resource_id' | 'status';
  status?: string;
  severity?: string;
  rule_id?: string;
  resource_type?: string;
  /** true: only excepted findings; false: none of them. */
  excepted?: boolean;
}

export interface ScanResourceListOptions {
  limit: number;
  cursor?: string;
  /** Only the resources this part collected. */
  part?: string;
  /** Only resources of this type (provider.service.kind). */
  type?: string;
}

/**
 * A resource a scan collected: the part that collected it and its evidence snapshot, where it is (from its
 * findings in the scan, or from the snapshot when no rule checked it) and how many findings the scan made on it.
 */
export interface ScanResourceView {
  resource_id: string;
  part: string;
  evidence_sha256: string;
  /** Null only when no finding names it and its snapshot is gone from the evidence store (retention). */
  resource_type: string | null;
  resource_name: string | null;
  account: string | null;
  region: string | null;
  findings: number;
  /** Failing findings no exception set aside. */
  failing: number;
}
