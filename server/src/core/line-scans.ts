// File-level scans of a text's lines, run on every edit, kept from one version of the lines to
// the next. Most of them look at few lines (directives, prototypes, a library's prefix) and
// pass over the rest at a glance; an edit changes a line or two, usually in a function body.
// An edited document keeps its unchanged lines as the same strings (lsp/documents.ts), so the
// lines an edit changed are found by comparing references from both ends. When every changed
// line, before and after, is one the scan passes over, the scan's result is the one it had.

/** Lines changed between two versions beyond which the scan is simply run again (a paste, another file). */
const MAX_CHANGED = 64;

/**
 * The lines where `after` differs from `before`: the first (`head`) and the ends, in each, of
 * the region between the equal lines at both ends.
 */
export function changedLines(before: readonly string[], after: readonly string[]): { head: number; beforeEnd: number; afterEnd: number } {
  // the scans of one analysis compare the same two versions: compared once (the lines of a version never change; lines
  // split anew from an equal text are equal strings that are not the same, each compared character by character)
  const last = lastCompared;
  if (last && last.before === before && last.after === after) return last.changed;
  const changed = compared(before, after);
  lastCompared = { before, after, changed };
  return changed;
}
let lastCompared: { before: readonly string[]; after: readonly string[]; changed: ReturnType<typeof changedLines> } | null = null;

function compared(before: readonly string[], after: readonly string[]): { head: number; beforeEnd: number; afterEnd: number } {
  const n = Math.min(before.length, after.length);
  let head = 0;
  while (head < n && before[head] === after[head]) head++;
  let tail = 0;
  while (tail < n - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  return { head, beforeEnd: before.length - tail, afterEnd: after.length - tail };
}

/**
 * Whether `after` differs from `before` only in lines `passes` says the scan passes over (in
 * both versions): a line added, removed or changed where the scan looks at nothing.
 */
export function changedOnlyWhere(before: readonly string[], after: readonly string[], passes: (line: string) => boolean): boolean {
  const { head, beforeEnd, afterEnd } = changedLines(before, after);
  if (beforeEnd - head > MAX_CHANGED || afterEnd - head > MAX_CHANGED) return false;
  for (let i = head; i < beforeEnd; i++) if (!passes(before[i])) return false;
  for (let i = head; i < afterEnd; i++) if (!passes(after[i])) return false;
  return true;
}

/**
 * A scan over lines whose result depends only on the lines `passes` does not pass over, in
 * their order (not on where they are, nor on the lines between them): its last result, for the
 * next version of the lines while the edits in between changed only lines it passes over.
 * One document's last version is kept (the one being edited).
 */
export function lineScan<R>(passes: (line: string) => boolean, scan: (lines: readonly string[]) => R): (lines: readonly string[]) => R {
  let last: { lines: readonly string[]; result: R } | null = null;
  forgetters.push(() => (last = null));
  return (lines) => {
    if (last && (last.lines === lines || changedOnlyWhere(last.lines, lines, passes))) {
      last = { lines, result: last.result };
      return last.result;
    }
    const result = scan(lines);
    last = { lines, result };
    return result;
  };
}

const forgetters: (() => void)[] = [];

/** Drops every scan's last result: the next scan reads all the lines (tests compare with it). */
export function forgetLineScans(): void {
  for (const forget of forgetters) forget();
}
