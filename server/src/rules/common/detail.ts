// A finding's `detail` (types.ts): what was seen, in terms of this code, then what to do.
// The hover shows the first paragraph as "Seen" (when the diagnostic does not already say
// it) and the first sentence of the rest as "Do"; the hover's Explain link opens the
// whole text ("This finding"), and SARIF carries it.

/** `seen`: one sentence on why this code is slow; `todo`: the remedy, markdown. */
export function detail(seen: string, todo: string): string {
  return `${seen.trim()}\n\n${todo.trim()}`;
}

/** Characters of a symbolic size quoted in a message; a longer one (a product of a conv's shape) is not read, only skimmed. */
const QUOTED_SIZE = 40;

/** A distance in elements as a message says it: `` `lda` elements ``, or a long symbolic one in words. */
export function elementsText(size: { isConstant: boolean; constant: number; toString(): string }): string {
  if (size.isConstant) return `${Math.abs(size.constant)} elements`;
  const text = size.toString();
  // (the run-time distance between an object's rows, facts/object-rows.ts: said as what it is)
  const pitch = /^(-?)(?:(\d+)\*)?(row|channel)_pitch\(([^()]+)\)$/.exec(text);
  if (pitch) return pitch[2] ? `${pitch[2]} ${pitch[3]}s of \`${pitch[4]}\`` : `a ${pitch[3]} of \`${pitch[4]}\``;
  return text.length <= QUOTED_SIZE ? `\`${text}\` elements` : 'a symbolic product of sizes, many elements';
}
