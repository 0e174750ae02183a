/**
 * The timestamp index handed to the policy with every chunk (`data.timestamp_index`): seconds since the epoch
 * of each timestamp at an attribute its resource schema declares `format: date-time`.
 *
 * Why: the WebAssembly target has no time.* builtins, so lib.unix_seconds parses RFC 3339 text in Rego, in
 * the wasm runtime's decimal arithmetic, and that was a third of all evaluation time (bench/README.md). With
 * the index, lib.unix_seconds is one object lookup; a string missing from it (no index, a literal, an
 * attribute not declared date-time) still goes through the Rego parser. The index is only a cache of that
 * parser: `rfc3339Seconds` follows it step for step, and leaves out whatever it is not sure to read the same
 * way, so a rule's result never depends on whether the index was there (the differential test evaluates with
 * it in the engine and without it in `opa eval`).
 */
import { readFileSync } from 'node:fs';
import type { Resource } from '../schemas/index.ts';

const ASCII_ONLY = /^[\x20-\x7e]*$/;
const DIGITS = /^[0-9]+$/;

/** digits() of lib.rego: a run of 2 or 4 decimal digits as a number. */
function digits(s: string): number | undefined {
  return (s.length === 2 || s.length === 4) && DIGITS.test(s) ? Number(s) : undefined;
}

/** zone_offset() of lib.rego: `Z` (either case) or `±hh:mm`, in seconds east of UTC. */
function zoneOffset(zone: string): number | undefined {
  if (zone.toUpperCase() === 'Z') return 0;
  if (zone.length !== 6 || zone[3] !== ':') return undefined;
  const sign = zone[0] === '+' ? 1 : zone[0] === '-' ? -1 : undefined;
  const hours = digits(zone.slice(1, 3));
  const minutes = digits(zone.slice(4, 6));
  if (sign === undefined || hours === undefined || minutes === undefined) return undefined;
  return sign * (hours * 3600 + minutes * 60);
}

/** days_from_civil() of lib.rego (H. Hinnant), with the same floor divisions. */
function daysFromCivil(y0: number, m: number, d: number): number {
  const y = y0 - Math.floor((14 - m) / 12);
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * lib.unix_seconds(ts) of engine/compile/rego/lib.rego: seconds since the epoch of an RFC 3339 timestamp,
 * fractions of a second ignored, fields range-checked as in Rego; undefined where Rego is undefined,
 * and also for any non-ASCII string (Rego's substring counts code points, JavaScript's UTF-16 units).
 */
export function rfc3339Seconds(ts: string): number | undefined {
  if (ts.length < 20 || !ASCII_ONLY.test(ts)) return undefined;
  if (ts[4] !== '-' || ts[7] !== '-' || ts[10]!.toUpperCase() !== 'T') return undefined;
  if (ts[13] !== ':' || ts[16] !== ':') return undefined;
  const rest = ts.slice(19);
  let zone = rest;
  if (rest.startsWith('.')) {
    zone = rest.slice(1).replace(/^[0-9]+/, '');
    if (zone.length >= rest.length - 1) return undefined; // no digit after the point
  }
  const offset = zoneOffset(zone);
  const parts = [
    [0, 4],
    [5, 2],
    [8, 2],
    [11, 2],
    [14, 2],
    [17, 2],
  ].map(([at, n]) => digits(ts.slice(at!, at! + n!)));
  if (offset === undefined || parts.some((p) => p === undefined)) return undefined;
  const [year, month, day, hour, minute, second] = parts as [number, number, number, number, number, number];
  // in_calendar() of lib.rego.
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return undefined;
  const days = daysFromCivil(year, month, day);
  return days * 86400 + hour * 3600 + minute * 60 + second - offset;
}

/** A path to date-time values inside a resource; `[]` steps into every item of an array. */
type Path = readonly string[];

interface SchemaNode {
  format?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  oneOf?: SchemaNode[];
}

function collectPaths(node: SchemaNode | undefined, at: Path, into: Path[]): void {
  if (!node) return;
  if (node.format === 'date-time') into.push(at);
  for (const [name, child] of Object.entries(node.properties ?? {})) collectPaths(child, [...at, name], into);
  collectPaths(node.items, [...at, '[]'], into);
  for (const alternative of node.oneOf ?? []) collectPaths(alternative, at, into);
}

function readSchema(name: string): SchemaNode | undefined {
  try {
    return JSON.parse(
      readFileSync(new URL(`../schemas/${name}.schema.json`, import.meta.url), 'utf8'),
    ) as SchemaNode;
  } catch {
    return undefined; // a type without a schema: its timestamps are left to the Rego parser
  }
}

const pathsByType = new Map<string, readonly Path[]>();

/** The date-time paths of a resource type: the envelope's and those of schemas/resources/<type>.schema.json. */
export function dateTimePaths(type: string): readonly Path[] {
  let paths = pathsByType.get(type);
  if (!paths) {
    const found: Path[] = [];
    collectPaths(readSchema('resource'), [], found);
    collectPaths(readSchema(`resources/${type}`), ['attributes'], found);
    paths = found;
    pathsByType.set(type, paths);
  }
  return paths;
}

function addAt(value: unknown, path: Path, step: number, index: Record<string, number>): void {
  if (step === path.length) {
    if (typeof value === 'string' && !(value in index)) {
      const seconds = rfc3339Seconds(value);
      if (seconds !== undefined) index[value] = seconds;
    }
    return;
  }
  if (path[step] === '[]') {
    if (Array.isArray(value)) for (const item of value) addAt(item, path, step + 1, index);
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    addAt((value as Record<string, unknown>)[path[step]!], path, step + 1, index);
  }
}

/** The timestamp index of one chunk of resources of one type. */
export function timestampIndex(type: string, resources: readonly Resource[]): Record<string, number> {
  const index: Record<string, number> = Object.create(null) as Record<string, number>;
  const paths = dateTimePaths(type);
  if (paths.length === 0) return index;
  for (const resource of resources) for (const path of paths) addAt(resource, path, 0, index);
  return index;
}
