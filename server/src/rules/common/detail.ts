// A finding's `detail` (types.ts): what was seen, in terms of this code, then what to do.
// The hover shows the first paragraph as "Seen" (when the diagnostic does not already say
// it) and the first sentence of the rest as "Do"; the hover's Explain link opens the
// whole text ("This finding"), and SARIF carries it.

/** `seen`: one sentence on why this code is slow; `todo`: the remedy, markdown. */
export function detail(seen: string, todo: string): string {
  return `${seen.trim()}\n\n${todo.trim()}`;
}
