/**
 * Bench only (COMPLYWISE_BENCH_CALL_SLOT_DIR, unset in production): each worker process appends the call
 * slots its shared limiter grants, and how late its event loop ran, to `<dir>/<pid>.jsonl`. The scale-out
 * bench (bench/scaleout) reads them to check the limit where it is decided, the slots of every worker
 * together, and to bound how late a granted call can reach the provider.
 *
 * Lines are written synchronously, one write each, so a worker killed with SIGKILL loses none it granted.
 * They hold an integration id and times, nothing else (no tenant data, no credentials).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { CallGrantRecorder } from './call-limiter.ts';

/** How often the event-loop delay is sampled (ms): a stall shorter than that may read up to that much short. */
export const LOOP_DELAY_RESOLUTION_MS = 5;

/** One line of a slot log: a granted call, or the event loop's longest delay over the past second. */
export type CallSlotLine =
  | { kind: 'grant'; integration: string; slot_at: number; interval_ms: number; granted_at: number }
  | { kind: 'loop'; at: number; max_delay_ms: number };

/** Starts the log of this process in `dir`: the recorder to hand the limiter, and stop() for shutdown. */
export function openCallSlotLog(dir: string): { record: CallGrantRecorder; stop(): void } {
  const fd = openSync(join(dir, `${process.pid}.jsonl`), 'a');
  const write = (line: CallSlotLine) => writeSync(fd, `${JSON.stringify(line)}\n`);
  // A stall between a grant and the call's request reaching the socket sends that call late: the longest
  // delay of each second is logged, so the bench can tell which seconds it overlapped.
  const stopSampling = sampleLoopDelayEachSecond((at, maxMs) =>
    write({ kind: 'loop', at, max_delay_ms: maxMs }),
  );
  let open = true;
  return {
    record: (grant) => {
      if (!open) return;
      write({
        kind: 'grant',
        integration: grant.integrationId,
        slot_at: grant.slotAt,
        interval_ms: grant.intervalMs,
        granted_at: grant.grantedAt,
      });
    },
    stop: () => {
      if (!open) return;
      open = false;
      stopSampling();
      closeSync(fd);
    },
  };
}

/**
 * Calls `onSample` at the end of each second with the longest event-loop delay of that second (skipped when
 * nothing was measured), and once more when stopped; the timer does not keep the process alive.
 */
export function sampleLoopDelayEachSecond(onSample: (at: number, maxMs: number) => void): () => void {
  const delay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  delay.enable();
  const sample = () => {
    if (delay.count > 0) onSample(Date.now(), delay.max / 1e6);
    delay.reset();
  };
  const timer = setInterval(sample, 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    sample();
    delay.disable();
  };
}
