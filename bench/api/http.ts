/**
 * HTTP measurements shared by the API benchmarks: a fixed request rate held by autocannon (in a worker
 * thread, so the load generator does not share the server's event loop), the explorer's deep cursor found by
 * paging as a client does, and the findings CSV's export rate read off the wire.
 */
import autocannon from 'autocannon';

export interface Load {
  name: string;
  p50: number;
  p99: number;
  requests: number;
  /** Requests per second achieved (below the asked rate when the server falls behind). */
  rate: number;
  non2xx: number;
}

/** `path` at `rate` requests/s for `seconds` over 20 connections, as `token`; one line logged. */
export async function drive(
  base: string,
  name: string,
  path: string,
  token: string,
  options: { rate: number; seconds: number; log: (line: string) => void },
): Promise<Load> {
  const result = await autocannon({
    url: `${base}${path}`,
    headers: { authorization: `Bearer ${token}` },
    connections: 20,
    overallRate: options.rate,
    duration: options.seconds,
    workers: 1,
  });
  const out = {
    name,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    rate: result.requests.total / options.seconds,
    non2xx: result.non2xx + result.errors,
  };
  options.log(
    `${name.padEnd(40)} p50 ${String(out.p50).padStart(5)} ms  p99 ${String(out.p99).padStart(5)} ms  ` +
      `${out.requests} requests (${out.rate.toFixed(0)}/s), ${out.non2xx} not 2xx`,
  );
  return out;
}

interface ExplorerPage {
  items: unknown[];
  next_cursor: string | null;
}

/**
 * The cursor of the explorer page that follows the first `rows` rows of `path` (a query string of filters,
 * or none), paged 1,000 at a time as a client would; null when the answer has fewer rows than that.
 */
export async function cursorAfter(
  get: (url: string) => Promise<ExplorerPage>,
  path: string,
  rows: number,
): Promise<string | null> {
  const glue = path.includes('?') ? '&' : '?';
  let cursor: string | null = null;
  for (let seen = 0; seen < rows;) {
    const left = Math.min(1000, rows - seen);
    const page: ExplorerPage = await get(`${path}${glue}limit=${left}${cursor ? `&cursor=${cursor}` : ''}`);
    seen += page.items.length;
    cursor = page.next_cursor;
    if (!cursor) return null;
  }
  return cursor;
}

export interface ExportRate {
  rows: number;
  bytes: number;
  seconds: number;
  /** Whether the whole export arrived (false: stopped after `maxRows`). */
  complete: boolean;
}

/**
 * Reads a CSV answer off the wire until it ends or `maxRows` records have arrived (then hangs up), counting
 * records by their CRLF terminators (a quoted field's own line breaks are bare LF in our CSV), header left out.
 * Timed from the request to the last byte read.
 */
export async function exportRate(url: string, token: string, maxRows: number): Promise<ExportRate> {
  const controller = new AbortController();
  const started = performance.now();
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  if (!response.ok || !response.body) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  const reader = response.body.getReader();
  let records = 0;
  let bytes = 0;
  let previous = 0;
  let complete = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      complete = true;
      break;
    }
    bytes += value.byteLength;
    for (const byte of value) {
      if (byte === 10 && previous === 13) records += 1;
      previous = byte;
    }
    if (records - 1 >= maxRows) break;
  }
  const seconds = (performance.now() - started) / 1000;
  if (!complete) controller.abort();
  return { rows: Math.max(0, records - 1), bytes, seconds, complete };
}
