/**
 * How deep a parsed JSON value nests, found without recursion: a hostile document thousands of levels deep
 * must be refused with a clear error, never overflow the stack of the code that walks it afterwards.
 */

/** A step of a JSON path: an object key or an array index. */
export type JsonStep = string | number;

/**
 * The path to the first value nested deeper than `maxDepth` levels (a top-level object or array is level 1),
 * or null when the whole value fits. Iterative, so any depth is safe to check.
 */
export function pathBeyondDepth(value: unknown, maxDepth: number): JsonStep[] | null {
  const stack: { value: unknown; path: JsonStep[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (path.length >= maxDepth) return path;
    const entries: [JsonStep, unknown][] = Array.isArray(current)
      ? current.map((item, index) => [index, item])
      : Object.entries(current);
    for (const [step, child] of entries) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, path: [...path, step] });
    }
  }
  return null;
}

/** A JSON path as a JSON Pointer (RFC 6901), e.g. `/note/a/0`. */
export function jsonPointer(path: JsonStep[]): string {
  return path.map((step) => `/${String(step).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
