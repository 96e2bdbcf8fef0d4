// Suppression comments: `// kernel-advisor-disable-next-line <rule id>[, <rule id>...]`
// (`# ...` in Python) silences those rules on the next line; with no id, every rule.
const MARK = 'kernel-advisor-disable';
const DIRECTIVE = /(?:\/\/|#)\s*kernel-advisor-disable-next-line\b([^\n]*)/;

/** Whether a text may hold a suppression comment at all (most do not). */
export function mayBeSuppressed(text: string): boolean {
  return text.includes(MARK);
}

export function suppressedLines(lines: string[]): Map<number, Set<string> | 'all'> {
  const out = new Map<number, Set<string> | 'all'>();
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].includes(MARK)) continue;
    const m = DIRECTIVE.exec(lines[i]);
    if (!m) continue;
    const ids = m[1].replace(/\*\/.*$/, '').split(/[\s,]+/).filter((s) => /^[a-z-]+\/[a-z-]+$/.test(s));
    out.set(i + 1, ids.length ? new Set(ids) : 'all');
  }
  return out;
}

export function isSuppressed(map: Map<number, Set<string> | 'all'>, line: number, rule: string): boolean {
  const s = map.get(line);
  return s === 'all' || (s !== undefined && s.has(rule));
}

/** The comment to insert above `lineText` to silence `rule` on it. */
export function suppressionComment(rule: string, lineText: string, python: boolean): string {
  const indent = /^\s*/.exec(lineText)![0];
  return `${indent}${python ? '#' : '//'} kernel-advisor-disable-next-line ${rule}\n`;
}
