/**
 * Follows a scan until it ends, asking the API for its state at a fixed interval.
 */
import { ApiError, CLIENT_ERROR_CODES } from './errors.ts';
import type { Scan } from './types.ts';

/** Options of waitForScan. */
export interface WaitForScanOptions {
  /** Pause between two reads, in milliseconds (about 1 s by default). */
  intervalMs?: number;
  /** Stops the polling; waitForScan then rejects with code ABORTED. */
  signal?: AbortSignal;
  /** Called with every state read, including the last one. */
  onUpdate?: (scan: Scan) => void;
  /** How many failed reads in a row are tolerated (network blips, 5xx) before giving up. */
  maxConsecutiveFailures?: number;
}

/** True once a scan will not change any more. */
export function isScanFinished(scan: Pick<Scan, 'status'>): boolean {
  return scan.status === 'succeeded' || scan.status === 'failed' || scan.status === 'cancelled';
}

/** Resolves after `ms`, or rejects with ABORTED as soon as the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () => new ApiError(0, CLIENT_ERROR_CODES.ABORTED, 'Stopped following the scan.');
    if (signal?.aborted) return reject(aborted());
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A failure worth retrying: no answer at all, or a server-side error. */
function isTransient(error: unknown): boolean {
  return error instanceof ApiError && (error.code === CLIENT_ERROR_CODES.NETWORK || error.status >= 500);
}

/**
 * Reads the scan with `getScan` until it succeeded, failed or was cancelled and returns that last state.
 * Transient read failures are retried; anything else (404, session expired) is thrown.
 */
export async function waitForScan(
  getScan: (scanId: string, signal?: AbortSignal) => Promise<Scan>,
  scanId: string,
  options: WaitForScanOptions = {},
): Promise<Scan> {
  const intervalMs = options.intervalMs ?? 1000;
  const maxFailures = options.maxConsecutiveFailures ?? 3;
  let failures = 0;
  for (;;) {
    if (options.signal?.aborted) {
      throw new ApiError(0, CLIENT_ERROR_CODES.ABORTED, 'Stopped following the scan.');
    }
    try {
      const scan = await getScan(scanId, options.signal);
      // An answer that arrives after the caller stopped listening must not be reported.
      if (options.signal?.aborted) continue;
      failures = 0;
      options.onUpdate?.(scan);
      if (isScanFinished(scan)) return scan;
    } catch (error) {
      if (!isTransient(error) || ++failures > maxFailures) throw error;
    }
    await sleep(intervalMs, options.signal);
  }
}
