/**
 * A line diff of two texts for showing how a rule changed between two registered versions. Rule sources
 * are small (tens to hundreds of lines), so a plain longest-common-subsequence table is enough; the output
 * keeps every line (full context) so an auditor reads the whole rule with its changes marked.
 */

/** One line of a diff: ' ' kept, '-' only in the old text, '+' only in the new one. */
export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The lines of `before` and `after` in order, each marked kept, removed or added. */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = splitLines(before);
  const b = splitLines(after);
  // lcs[i][j] = length of the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) {
      out.push({ op: '-', text: a[i++]! });
    } else {
      out.push({ op: '+', text: b[j++]! });
    }
  }
  while (i < a.length) out.push({ op: '-', text: a[i++]! });
  while (j < b.length) out.push({ op: '+', text: b[j++]! });
  return out;
}

/** The diff as text: each line prefixed by its mark, like a unified diff with full context. */
export function formatLineDiff(lines: readonly DiffLine[]): string {
  return lines.map((l) => `${l.op}${l.text}\n`).join('');
}
