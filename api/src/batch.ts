/** Multi-row inserts go in batches of this many rows: well under PostgreSQL's 65535 bind parameters. */
export const BATCH = 200;

/** `items` cut into consecutive batches of at most `size`. */
export function chunks<T>(items: readonly T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
